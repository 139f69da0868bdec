import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { apiOperations } from '../../../api/src/openapi.ts'
import type { RunningApi } from '../../../api/src/start-api.ts'
import { recordingPublisher, startEmbeddedApi } from '../../support/api-harness.ts'
import { chromiumAvailable, launchChromium } from '../../support/browser.ts'

// /docs as a person uses it: Swagger UI renders under the page's CSP from the API's own files, shows
// how to authorize, and "Try it out" calls this same origin with the dev token.

vi.setConfig({ hookTimeout: 60_000, testTimeout: 60_000 })

describe.runIf(chromiumAvailable())('/docs in chromium', () => {
  let api: RunningApi | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    api = await startEmbeddedApi(recordingPublisher())
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await api?.close()
  })

  it('renders every operation with no CSP violation or foreign request, and tries one with a dev token', async () => {
    const page = await browser!.newPage()
    const problems: string[] = []
    const foreign: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`)
    })
    page.on('request', (request) => {
      if (!request.url().startsWith(api!.url) && !request.url().startsWith('data:'))
        foreign.push(request.url())
    })
    await page.goto(`${api!.url}/docs`)
    await page.locator('#operations-Notifications-streamNotifications').waitFor()
    expect(await page.locator('.opblock').count()).toBe(apiOperations.length)
    expect(await page.locator('#auth-hint').innerText()).toContain('dev.alice')

    await page.locator('button.authorize').first().click()
    await page.locator('.modal-ux input').fill('dev.alice')
    await page.locator('.modal-ux button.authorize').click()
    await page.locator('.modal-ux button.btn-done').click()

    const operation = page.locator('#operations-Tasks-listTasks')
    await operation.locator('.opblock-summary').click()
    const answered = page.waitForResponse((response) => response.url().startsWith(`${api!.url}/tasks`))
    await operation.locator('button.execute').click()
    const response = await answered
    expect(response.status()).toBe(200)
    expect(await response.request().headerValue('authorization')).toBe('Bearer dev.alice')
    await expect
      .poll(() => operation.locator('.live-responses-table tr.response .response-col_status').innerText())
      .toBe('200')

    expect(problems).toEqual([])
    expect(foreign).toEqual([])
  })
})
