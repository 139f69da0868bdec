// The monitoring manifests on their own: every query is valid PromQL, every alert can be routed and read.
// tests/integration/observability proves that every metric they read is exported.
import { describe, expect, it } from 'vitest'
import { alertRules, dashboardQueries, jmxExporterMetricNames } from '../../support/monitoring-queries.ts'
import { metricNamesOf, PromqlSyntaxError } from '../../support/promql.ts'

describe('monitoring queries', () => {
  const queries = [...dashboardQueries(), ...alertRules()]

  it('cover the lag, dispatch, dead letters, functions, outbox, API and Kafka', () => {
    const names = new Set(queries.flatMap((q) => metricNamesOf(q.expr)))
    for (const name of [
      'kafka_consumergroup_lag',
      'kn_eventing_dispatch_latency_milliseconds_count',
      'kafka_topic_partition_current_offset',
      'taskflow_function_events_total',
      'faas_cold_start_latency_count',
      'outbox_oldest_unpublished_age_seconds',
      'http_request_duration_seconds_bucket',
      'kafka_server_replicamanager_underreplicatedpartitions',
    ]) {
      expect(names, name).toContain(name)
    }
  })

  it.each(queries.map((q) => [q.where, q.expr]))('%s is valid PromQL', (_where, expr) => {
    expect(metricNamesOf(expr).length).toBeGreaterThan(0)
  })

  it('a broken expression is named as such', () => {
    expect(() => metricNamesOf('sum by (x (foo)')).toThrow(PromqlSyntaxError)
  })

  it('every alert has a severity, a summary, and a duration where a blip would page', () => {
    for (const rule of alertRules()) {
      expect(['warning', 'critical'], rule.where).toContain(rule.labels?.severity)
      expect(rule.annotations?.summary, rule.where).toBeTruthy()
    }
  })

  it("reads the brokers' JMX exporter names from its rules", () => {
    expect(jmxExporterMetricNames()).toEqual(
      new Set([
        'kafka_server_brokertopicmetrics_messagesinpersec_total',
        'kafka_server_brokertopicmetrics_bytesinpersec_total',
        'kafka_server_brokertopicmetrics_bytesoutpersec_total',
        'kafka_server_replicamanager_underreplicatedpartitions',
        'kafka_server_replicamanager_underminisrpartitioncount',
        'kafka_server_replicamanager_offlinereplicacount',
        'kafka_controller_kafkacontroller_activecontrollercount',
        'kafka_controller_kafkacontroller_offlinepartitionscount',
        'kafka_controller_kafkacontroller_globalpartitioncount',
        'kafka_network_requestmetrics_totaltimems',
      ]),
    )
  })
})
