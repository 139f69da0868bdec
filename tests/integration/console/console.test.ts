import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, launchChromium } from '../../support/browser.ts'
import { taskCreatedRecord } from '../../support/task-event-records.ts'
import {
  backends,
  eventually,
  realServicesAvailable,
  type SystemUnderTest,
  startOnBackend,
} from '../e2e/local-system.ts'

// Needs: chromium (tests/support/browser.ts); the local system on its embedded defaults (PGlite, embedded
// event log), then on the integration setup's Kafka and the shared PostgreSQL (skipped locally when
// absent). The console as a person uses it: it draws the pipeline, follows tasks as they flow, and
// replays a dead letter from its table, on either event log.

const realServices = await realServicesAvailable()

for (const backend of backends) {
  describe.runIf(chromiumAvailable() && (!backend.real || realServices))(
    `the local console in chromium [${backend.name}]`,
    () => {
      let sut: SystemUnderTest
      let browser: Browser
      let page: Page
      const problems: string[] = []

      beforeAll(async () => {
        sut = await startOnBackend(backend, {
          pingIntervals: { 'reminders-tick': 1_000 },
          gracePeriodMs: 5_000,
        })
        browser = await launchChromium()
        page = await browser.newPage()
        page.on('pageerror', (error) => problems.push(error.message))
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text())
        })
        page.on('response', (response) => {
          if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`)
        })
        page.on('request', (request) => {
          if (!request.url().startsWith(sut.url.origin)) problems.push(`foreign request ${request.url()}`)
        })
        await page.goto(new URL('/_local/console', sut.url).href)
      }, 180_000)
      afterAll(async () => {
        await browser?.close()
        await sut?.stop()
      }, 60_000)

      const createTask = async (title: string) => {
        const response = await sut.request('/tasks', {
          method: 'POST',
          user: 'alice',
          body: { title, assignee: 'bob' },
        })
        expect(response.status).toBe(201)
        return (await response.json()) as { id: string }
      }
      const cellOf = (table: string, row: string, column: string) =>
        page.locator(`#${table} tbody tr[data-name="${row}"] td.${column}`)
      const numberIn = async (table: string, row: string, column: string) =>
        Number.parseInt(
          (await cellOf(table, row, column)
            .innerText()
            .catch(() => '0')) || '0',
          10,
        )

      it('draws the pipeline of the YAML: the three KafkaSources, the PingSources, the functions and the sinks', async () => {
        for (const name of ['audit-log', 'reminders', 'notification-fanout']) {
          await page.locator(`#pipeline [data-node="KafkaSource/${name}"]`).waitFor()
          await page.locator(`#pipeline [data-node="Service/${name}"]`).waitFor()
          await page
            .locator(`#pipeline path[data-from="KafkaSource/${name}"][data-to="Service/${name}"]`)
            .waitFor({
              state: 'attached',
            })
        }
        expect(await page.locator('#pipeline [data-node^="KafkaSource/"]').count()).toBe(3)
        await page.locator('#pipeline [data-node="PingSource/reminders-tick"]').waitFor()
        await page.locator('#pipeline [data-node="KafkaSink/dead-letters"]').waitFor()
        expect(
          await page.locator('#pipeline path.dead-letter[data-to="KafkaSink/dead-letters"]').count(),
        ).toBeGreaterThanOrEqual(3)
        // Live figures on the boxes, and the tables filled from /_local/status.
        await expect
          .poll(() => page.locator('#pipeline [data-node="KafkaSource/audit-log"] .figures').textContent())
          .toMatch(/lag \d+ · in flight \d+/)
        await expect
          .poll(() => page.locator('#pings tbody tr[data-name="reminders-tick"]').innerText())
          .toMatch(/\(in \d+ s\)|\(now\)/)
        await expect
          .poll(() =>
            page.locator('#sources tr[data-name="audit-log"] [data-partition="task-events/0"]').innerText(),
          )
          .toMatch(/^\d+$/)
      })

      it('updates while tasks flow: delivered counts, recent deliveries, function processes and cold starts', async () => {
        const before = await numberIn('sources', 'audit-log', 'delivered')
        for (let i = 0; i < 3; i++) await createTask(`console task ${i}`)
        await expect
          .poll(() => numberIn('sources', 'audit-log', 'delivered'), { timeout: 60_000 })
          .toBeGreaterThanOrEqual(before + 3)
        await expect
          .poll(() => page.locator('#recent tbody tr[data-name="audit-log"]').count(), { timeout: 30_000 })
          .toBeGreaterThanOrEqual(3)
        expect(await page.locator('#recent tbody').innerText()).toContain('dev.taskflow.task.created')
        await expect.poll(() => numberIn('functions', 'audit-log', 'cold-starts')).toBeGreaterThanOrEqual(1)
        expect(await cellOf('functions', 'audit-log', 'processes').innerText()).toMatch(/^\d+\/\d+$/)
        expect(
          await page.locator('#functions tbody tr[data-name="audit-log"] svg.spark polyline').count(),
        ).toBe(1)
      })

      it('lists a dead letter and replays it from the table: the function gets it with its source’s token', async () => {
        // A task whose event reached audit-log, and a second task.created of it as the outbox writes one:
        // what a KafkaSource dead-letters after its retries when the function was down (503), with the
        // error extensions. A new event id, so its replay is a new entry in the task's audit trail.
        const task = await createTask('dead-lettered once')
        const auditLog = sut.system.functions.get('audit-log')!.url
        const record = taskCreatedRecord({ id: task.id, title: 'dead-lettered once', createdBy: 'alice' })
        const eventId = record.headers.ce_id!
        const headers = {
          ...record.headers,
          ce_knativeerrordest: auditLog,
          ce_knativeerrorcode: '503',
          ce_knativeerrordata: 'function down longer than the retry budget',
        }
        // And a poison record, which every KafkaSource dead-letters itself (a 4xx: not a task event).
        const producer = await sut.system.eventLog.producer()
        try {
          await producer.send('dead-letters', [{ ...record, headers }])
          await producer.send('task-events', [
            { key: 'poison', value: Buffer.from('not a task event'), headers: {} },
          ])
        } finally {
          await producer.close()
        }

        const row = page.locator('#dead-letters tbody tr', { hasText: eventId })
        await expect
          .poll(
            async () => {
              await page.locator('#dead-letters-refresh').click()
              return row.count()
            },
            { timeout: 60_000, interval: 1_000 },
          )
          .toBe(1)
        expect(await row.innerText()).toContain('503')
        expect(await row.innerText()).toContain('audit-log')
        await expect
          .poll(
            async () => {
              await page.locator('#dead-letters-refresh').click()
              return page.locator('#dead-letters tbody tr', { hasText: 'dev.knative.kafka.event' }).count()
            },
            { timeout: 60_000, interval: 1_000 },
          )
          .toBeGreaterThanOrEqual(1)

        await row.locator('button.replay').click()
        await expect
          .poll(() => row.locator('td.result').innerText(), { timeout: 30_000 })
          .toMatch(/^replayed \(HTTP 2\d\d\)$/)
        const trail = await eventually(async () => {
          const response = await sut.request(`/tasks/${task.id}/audit`, { user: 'alice' })
          const { entries } = (await response.json()) as { entries: { eventId: string }[] }
          return entries.some((entry) => entry.eventId === eventId) ? entries : undefined
        }, 'the replayed event in the audit trail')
        expect(trail.map((entry) => entry.eventId)).toContain(eventId)

        // The poison one goes back to a function that refuses it again: said in the row, nothing lost.
        const poison = page.locator('#dead-letters tbody tr', { hasText: 'dev.knative.kafka.event' }).first()
        await poison.locator('button.replay').click()
        await expect
          .poll(() => poison.locator('td.result').innerText(), { timeout: 30_000 })
          .toMatch(/^failed \(HTTP 4\d\d\)$/)
        expect(problems).toEqual([])
      })
    },
  )
}
