// No panel or alert can point at nothing: every metric the dashboards and PrometheusRules read is exported
// by a running process of the system (the Task API, each function, the KafkaSource dispatchers, which
// export Knative's names) or listed by the exporter it comes from (Kafka Exporter, the brokers' JMX rules).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../support/eventually.ts'
import {
  alertRules,
  dashboardQueries,
  jmxExporterMetricNames,
  kafkaExporterMetricNames,
} from '../../support/monitoring-queries.ts'
import { exposedMetricNames, metricNamesOf } from '../../support/promql.ts'
import { type SystemUnderTest, startSystemUnderTest } from '../e2e/local-system.ts'

describe('metrics the monitoring reads', () => {
  let sut: SystemUnderTest
  const exported = new Map<string, string>()

  beforeAll(async () => {
    sut = await startSystemUnderTest({}, {})
    // One task through every function, so each has a process and its series exist.
    const created = await sut.request('/tasks', {
      method: 'POST',
      user: 'alice',
      body: { title: 'watch me', assignee: 'bob', dueAt: new Date(Date.now() + 86_400_000).toISOString() },
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    await eventually(async () => {
      const response = await sut.request(`/tasks/${id}/audit`, { user: 'alice' })
      return response.status === 200 && ((await response.json()) as { entries: unknown[] }).entries.length > 0
    }, 'the task in the audit trail')
    const scrape = async (url: URL, source: string) => {
      const response = await fetch(url)
      expect(response.status, `${source} ${url}`).toBe(200)
      for (const name of exposedMetricNames(await response.text()))
        if (!exported.has(name)) exported.set(name, source)
    }
    await scrape(new URL('/metrics', sut.url), 'Task API /metrics')
    await scrape(new URL('/_local/metrics', sut.url), 'KafkaSource dispatchers (Knative names)')
    for (const [name, host] of sut.system.functions) {
      await scrape(new URL('/metrics', host.url), `${name} /metrics`)
      await scrape(new URL('/metrics/runtime', host.url), `${name} /metrics/runtime`)
    }
    for (const name of kafkaExporterMetricNames) exported.set(name, 'Kafka Exporter')
    for (const name of jmxExporterMetricNames()) exported.set(name, 'broker JMX exporter rules')
  }, 120_000)
  afterAll(async () => {
    await sut?.stop()
  })

  it('every dashboard panel and alert reads only metrics something exports', () => {
    const missing = [...dashboardQueries(), ...alertRules()].flatMap((query) =>
      metricNamesOf(query.expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${query.where}: ${name}`),
    )
    expect(missing).toEqual([])
  })

  it("the functions count events by type and outcome, and the dispatchers export Knative's dispatch metrics", () => {
    expect(exported.get('taskflow_function_events_total')).toMatch(/\/metrics$/)
    expect(exported.get('faas_cold_start_latency_count')).toMatch(/\/metrics\/runtime$/)
    expect(exported.get('kn_eventing_dispatch_latency_milliseconds_bucket')).toBe(
      'KafkaSource dispatchers (Knative names)',
    )
    expect(exported.get('kn_eventing_dispatch_in_flight_requests')).toBe(
      'KafkaSource dispatchers (Knative names)',
    )
  })

  it('the local system also exports retries, dead letters and the autoscaler view of each function', async () => {
    const text = await (await fetch(new URL('/_local/metrics', sut.url))).text()
    expect(text).toMatch(/^taskflow_kafkasource_dead_letters_total\{kn_kafkasource_name="audit-log",.*\} 0$/m)
    expect(text).toMatch(/^taskflow_kafkasource_retries_total\{kn_kafkasource_name="reminders",.*\} \d+$/m)
    // A cold start counts only when the request that woke the function got a non-5xx answer (a first
    // event answered 503 while a webhook is down does not), so the count may still be 0 here.
    for (const name of ['audit-log', 'notification-fanout', 'reminders']) {
      expect(text).toMatch(
        new RegExp(`^taskflow_local_function_cold_starts_total\\{function="${name}"\\} \\d+$`, 'm'),
      )
      expect(text).toMatch(
        new RegExp(`^taskflow_local_function_desired_processes\\{function="${name}"\\} \\d+$`, 'm'),
      )
      expect(text).toMatch(
        new RegExp(`^taskflow_local_function_processes\\{function="${name}"\\} \\d+$`, 'm'),
      )
    }
  })
})
