import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { z } from 'zod'
import {
  type Admin,
  createTopics,
  describeTopics,
  increasePartitions,
  type NewTopic,
} from '../../../kafka/src/index.ts'

/** A topic as declared by a Strimzi KafkaTopic manifest. */
export type TopicSpec = {
  name: string
  /** Undefined: the broker's num.partitions, as Strimzi does when spec.partitions is absent. */
  partitions: number | undefined
  replicas: number | undefined
  config: Record<string, string>
  /** The file it came from, for messages. */
  source: string
}

export class TopicManifestError extends Error {
  override readonly name = 'TopicManifestError'
  readonly file: string
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options)
    this.file = file
  }
}

export const strimziCluster = 'taskflow'

const configValue = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value))

// Only the parts of the KafkaTopic CRD we act on; the rest of the document is left to the cluster.
const kafkaTopicManifest = z.object({
  apiVersion: z.literal('kafka.strimzi.io/v1'),
  kind: z.literal('KafkaTopic'),
  metadata: z.object({
    name: z.string().min(1),
    // The Topic Operator only picks up topics labelled with its cluster; the schema cannot check it.
    labels: z.object({ 'strimzi.io/cluster': z.literal(strimziCluster) }).loose(),
  }),
  spec: z.object({
    topicName: z.string().min(1).optional(),
    partitions: z.int().min(1).optional(),
    replicas: z.int().min(1).max(32767).optional(),
    config: z.record(z.string(), configValue).optional(),
  }),
})

/** Reads every KafkaTopic in the *.yaml files of `dir` (one or several documents per file). */
export async function loadTopicManifests(dir: string): Promise<TopicSpec[]> {
  const files = (await readdir(dir))
    .filter((file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml')
    .sort()
  const specs: TopicSpec[] = []
  for (const file of files) {
    const path = join(dir, file)
    const documents = parseAllDocuments(await readFile(path, 'utf8'))
    for (const document of documents) {
      if (document.errors.length > 0)
        throw new TopicManifestError(path, document.errors.map((e) => e.message).join('; '))
      const content = document.toJS()
      if (content === null || content === undefined) continue
      const parsed = kafkaTopicManifest.safeParse(content)
      if (!parsed.success) throw new TopicManifestError(path, z.prettifyError(parsed.error))
      const { metadata, spec } = parsed.data
      specs.push({
        name: spec.topicName ?? metadata.name,
        partitions: spec.partitions,
        replicas: spec.replicas,
        config: spec.config ?? {},
        source: path,
      })
    }
  }
  const seen = new Map<string, string>()
  for (const spec of specs) {
    const earlier = seen.get(spec.name)
    if (earlier)
      throw new TopicManifestError(spec.source, `topic ${spec.name} is also declared in ${earlier}`)
    seen.set(spec.name, spec.source)
  }
  return specs
}

/** A difference between a manifest and the broker; the reconciler reports it and changes nothing. */
export type TopicDrift =
  | { topic: string; kind: 'partitions-lower' | 'partitions-higher'; expected: number; actual: number }
  | { topic: string; kind: 'replicas'; expected: number; actual: number }
  | { topic: string; kind: 'config'; key: string; expected: string | undefined; actual: string | undefined }

export type ReconcileReport = {
  created: string[]
  partitionsIncreased: string[]
  drift: TopicDrift[]
  unchanged: string[]
}

export type ReconcileOptions = {
  brokerCount: number
  /** Add partitions to topics that have fewer than declared (moves keys: off by default). */
  increasePartitions?: boolean
}

export type EffectiveTopic = Omit<NewTopic, 'partitions'> & { partitions: number | undefined }

/**
 * What a spec means on a cluster of `brokerCount` nodes: replicas, and min.insync.replicas, cannot
 * exceed the brokers (a 1-node dev cluster runs RF 1, as Strimzi's dev node pool does).
 */
export function effectiveTopic(spec: TopicSpec, brokerCount: number): EffectiveTopic {
  const replicas = Math.min(spec.replicas ?? brokerCount, brokerCount)
  const config = { ...spec.config }
  const minIsr = config['min.insync.replicas']
  if (minIsr !== undefined) config['min.insync.replicas'] = String(Math.min(Number(minIsr), replicas))
  return { name: spec.name, partitions: spec.partitions, replicas, config }
}

export async function reconcileTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  if (!Number.isInteger(options.brokerCount) || options.brokerCount < 1) {
    throw new RangeError(`brokerCount must be a positive integer, got ${options.brokerCount}`)
  }
  const wanted = specs.map((spec) => effectiveTopic(spec, options.brokerCount))
  const existing = await describeTopics(
    admin,
    wanted.map((topic) => topic.name),
  )
  const report: ReconcileReport = { created: [], partitionsIncreased: [], drift: [], unchanged: [] }

  const missing = wanted.filter((topic) => !existing.has(topic.name))
  await createTopics(
    admin,
    // -1 asks the broker for its num.partitions, as Strimzi does for a topic without spec.partitions.
    missing.map((topic) => ({ ...topic, partitions: topic.partitions ?? -1 })),
  )
  report.created.push(...missing.map((topic) => topic.name))

  for (const topic of wanted) {
    const actual = existing.get(topic.name)
    if (!actual) continue
    const drift: TopicDrift[] = []
    if (topic.partitions !== undefined && actual.partitions < topic.partitions) {
      if (options.increasePartitions) {
        await increasePartitions(admin, topic.name, topic.partitions)
        report.partitionsIncreased.push(topic.name)
      } else {
        drift.push({
          topic: topic.name,
          kind: 'partitions-lower',
          expected: topic.partitions,
          actual: actual.partitions,
        })
      }
    } else if (topic.partitions !== undefined && actual.partitions > topic.partitions) {
      // Kafka cannot remove partitions: only a human can decide to recreate the topic.
      drift.push({
        topic: topic.name,
        kind: 'partitions-higher',
        expected: topic.partitions,
        actual: actual.partitions,
      })
    }
    if (actual.replicas !== topic.replicas) {
      drift.push({ topic: topic.name, kind: 'replicas', expected: topic.replicas, actual: actual.replicas })
    }
    const keys = new Set([...Object.keys(topic.config), ...Object.keys(actual.config)])
    for (const key of [...keys].sort()) {
      if (topic.config[key] !== actual.config[key]) {
        drift.push({
          topic: topic.name,
          kind: 'config',
          key,
          expected: topic.config[key],
          actual: actual.config[key],
        })
      }
    }
    if (drift.length === 0 && !report.partitionsIncreased.includes(topic.name))
      report.unchanged.push(topic.name)
    report.drift.push(...drift)
  }
  return report
}

/** One line per drift, for logs and the CLI. */
export function describeDrift(drift: TopicDrift): string {
  if (drift.kind === 'config') {
    return `${drift.topic}: ${drift.key} is ${drift.actual ?? '(default)'}, declared ${drift.expected ?? '(not declared)'}`
  }
  const what = drift.kind === 'replicas' ? 'replicas' : 'partitions'
  return `${drift.topic}: ${drift.actual} ${what}, declared ${drift.expected}`
}
