// The metric names a PromQL expression reads, by Prometheus's own PromQL grammar
// (@prometheus-io/lezer-promql), so a dashboard or alert that queries a metric nobody exports is found.
import { parser } from '@prometheus-io/lezer-promql'

export class PromqlSyntaxError extends Error {
  override readonly name = 'PromqlSyntaxError'
}

export function metricNamesOf(expr: string): string[] {
  const tree = parser.parse(expr)
  const names = new Set<string>()
  let error: number | undefined
  tree.iterate({
    enter(node) {
      if (node.type.isError) error ??= node.from
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.add(expr.slice(node.from, node.to))
      }
    },
  })
  if (error !== undefined) throw new PromqlSyntaxError(`invalid PromQL at ${error}: ${expr}`)
  return [...names]
}

/** The sample names a Prometheus text exposition offers: each family's, with a histogram's _bucket/_sum/_count. */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>()
  for (const line of exposition.split('\n')) {
    const typed = /^# TYPE (\S+) (\S+)/.exec(line)
    if (typed) {
      const [, name, type] = typed as unknown as [string, string, string]
      if (type === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`)
      else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${name}${suffix}`)
      else names.add(name)
      continue
    }
    const sample = /^([a-zA-Z_:][\w:]*)[{ ]/.exec(line)
    if (sample?.[1] !== undefined) names.add(sample[1])
  }
  return names
}
