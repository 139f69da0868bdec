import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resultsDir } from '../../../bench/src/render-charts.ts'
import { chromiumAvailable, launchChromium } from '../../support/browser.ts'

// The simulator's charts were the unreadable ones (issue 21): one of them, as a browser shows it.
const chart = join(resultsDir, 'simulator', 'audit-log-burst-consumers-and-pods.svg')

describe.runIf(chromiumAvailable())('a committed chart in chromium', () => {
  let browser: Browser | undefined
  let shots: string | undefined

  beforeAll(async () => {
    browser = await launchChromium()
    shots = await mkdtemp(join(tmpdir(), 'taskflow-chart-shot-'))
  })
  afterAll(async () => {
    await browser?.close()
    if (shots) await rm(shots, { recursive: true, force: true })
  })

  it('renders as a chart with its title, axes and legend, not an XML error page', async () => {
    const page = await browser!.newPage({ viewport: { width: 1000, height: 700 } })
    await page.goto(pathToFileURL(chart).href)
    // On malformed XML chromium shows an html page with a <parsererror> ("This page contains the
    // following errors") instead of the picture.
    const root = page.locator(':root')
    expect(await root.evaluate((element) => element.localName)).toBe('svg')
    expect(await page.locator('parsererror').count()).toBe(0)
    const text = (await root.textContent()) ?? ''
    expect(text).toContain('audit-log burst: consumers and pods')
    expect(text).toContain('seconds')
    expect(text).toContain('replicas')
    expect(await page.locator('[aria-roledescription="axis"]').count()).toBe(2)
    expect(await page.locator('[aria-roledescription="legend"]').count()).toBe(1)
    expect(await page.locator('[aria-roledescription="line mark"]').count()).toBe(4)

    // A full-page screenshot waits forever on an SVG document (it has no body to scroll): shoot the root.
    const file = join(shots!, 'chart.png')
    await root.screenshot({ path: file })
    expect((await stat(file)).size).toBeGreaterThan(0)
  }, 60_000)
})
