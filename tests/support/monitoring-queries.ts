// Every PromQL expression the monitoring manifests hold: the Grafana dashboards' panel targets and the
// PrometheusRules' alert expressions, each with where it comes from.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { repoRoot } from './schemas.ts'

export type MonitoringQuery = { where: string; expr: string }

const monitoringDir = join(repoRoot, 'manifests', 'monitoring')

export function dashboardQueries(): MonitoringQuery[] {
  const dir = join(monitoringDir, 'dashboards')
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        panels: { title: string; targets?: { expr: string }[] }[]
      }
      return dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ where: `${file}: ${panel.title}`, expr: target.expr })),
      )
    })
}

type Rule = {
  alert?: string
  record?: string
  expr: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export function alertRules(): (Rule & { where: string })[] {
  const file = join(monitoringDir, 'alerts.yaml')
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { kind: string; spec: { groups: { name: string; rules: Rule[] }[] } })
    .filter((d) => d.kind === 'PrometheusRule')
    .flatMap((d) =>
      d.spec.groups.flatMap((g) =>
        g.rules.map((r) => ({ ...r, where: `alerts.yaml: ${g.name}/${r.alert ?? r.record}` })),
      ),
    )
}

/** Metric names of the brokers' JMX exporter, as its rules in brokers/cluster/base/kafka-metrics.yaml name them. */
export function jmxExporterMetricNames(): Set<string> {
  const [configMap] = parseAllDocuments(
    readFileSync(join(repoRoot, 'brokers/cluster/base/kafka-metrics.yaml'), 'utf8'),
  ).map((d) => d.toJS() as { data: Record<string, string> })
  const config = parseAllDocuments(configMap?.data['kafka-metrics-config.yml'] ?? '')[0]?.toJS() as {
    lowercaseOutputName?: boolean
    rules: { pattern: string; name: string }[]
  }
  const names = new Set<string>()
  for (const rule of config.rules) {
    // `$1` is the pattern's first group: expand its alternatives (the rules here use `(A|B|C)`).
    const alternatives = /\(([^()]*\|[^()]*)\)/.exec(rule.pattern)?.[1]?.split('|') ?? ['']
    for (const alternative of alternatives) {
      const name = rule.name.replace('$1', alternative)
      names.add(config.lowercaseOutputName ? name.toLowerCase() : name)
    }
  }
  return names
}

/**
 * Strimzi's Kafka Exporter (danielqsj/kafka_exporter, which Strimzi runs for `kafkaExporter`): the
 * metric families its README documents.
 */
export const kafkaExporterMetricNames: ReadonlySet<string> = new Set([
  'kafka_brokers',
  'kafka_topic_partitions',
  'kafka_topic_partition_current_offset',
  'kafka_topic_partition_oldest_offset',
  'kafka_topic_partition_in_sync_replica',
  'kafka_topic_partition_leader',
  'kafka_topic_partition_leader_is_preferred',
  'kafka_topic_partition_replicas',
  'kafka_topic_partition_under_replicated_partition',
  'kafka_consumergroup_current_offset',
  'kafka_consumergroup_current_offset_sum',
  'kafka_consumergroup_lag',
  'kafka_consumergroup_lag_sum',
  'kafka_consumergroup_members',
])
