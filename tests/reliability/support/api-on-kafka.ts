// The Task API alone (API + outbox relay) on a Kafka cluster and a database of the scenario's own, with
// the topics of brokers/topics (replicas and min.insync.replicas as Strimzi creates them, capped to the
// cluster's size), and a way to check what reached the topic against what the API acknowledged.
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll } from 'vitest'
import type { RunningApi } from '../../../api/src/start-api.ts'
import { type LocalKafka, startLocalKafka } from '../../../brokers/local/src/broker.ts'
import { loadTopicManifests, reconcileTopics } from '../../../brokers/local/src/topics.ts'
import { kafkaCodec } from '../../../events/src/index.ts'
import { type ConsumedRecord, createKafkaClient, type Kafka, withAdmin } from '../../../kafka/src/index.ts'
import { call, startTestApi } from '../../support/api-harness.ts'
import { eventually } from '../../support/eventually.ts'
import { readTopicToEnd } from '../../support/kafka.ts'
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts'

export interface ApiOnKafka {
  readonly kafka: LocalKafka
  readonly client: Kafka
  readonly database: TestDatabase
  readonly api: RunningApi
  stop(): Promise<void>
}

const topicsDir = join(import.meta.dirname, '..', '..', '..', 'brokers', 'topics')

export async function startApiOnKafka(options: { nodes: 1 | 3 }): Promise<ApiOnKafka> {
  const cleanup: (() => Promise<unknown>)[] = []
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {})
  }
  try {
    const kafka = await startLocalKafka({ nodes: options.nodes })
    cleanup.push(() => kafka.stop())
    const client = createKafkaClient({
      brokers: kafka.brokers,
      clientId: 'reliability-scenario',
      logger: pino({ level: 'silent' }),
    })
    await withAdmin(client, async (admin) =>
      reconcileTopics(admin, await loadTopicManifests(topicsDir), { brokerCount: options.nodes }),
    )
    const database = await createTestDatabase()
    cleanup.push(() => database.drop())
    const api = await startTestApi({ DATABASE_URL: database.url, KAFKA_BROKERS: kafka.brokers.join(',') })
    cleanup.push(() => api.close())
    return { kafka, client, database, api, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** The API on Kafka, started before the suite's tests and stopped after them. */
export function useApiOnKafka(options: { nodes: 1 | 3 }): () => ApiOnKafka {
  let system: ApiOnKafka | undefined
  beforeAll(async () => {
    system = await startApiOnKafka(options)
  }, 240_000)
  afterAll(async () => {
    await system?.stop()
  }, 120_000)
  return () => {
    if (system === undefined) throw new Error('the API is not started (use it inside tests)')
    return system
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A write the API acknowledged: the task and the version the change gave it. */
export interface AcknowledgedWrite {
  readonly taskId: string
  readonly version: number
}

/**
 * Task journeys (create, then `changes` PATCHes with If-Match) by `concurrency` writers until `until()`
 * is true. Every acknowledged write is returned; any other answer fails the scenario.
 */
export async function writeTaskJourneys(
  apiUrl: string,
  options: { concurrency: number; changes: number; until: () => boolean },
): Promise<{ acknowledged: AcknowledgedWrite[]; refused: string[] }> {
  const acknowledged: AcknowledgedWrite[] = []
  const refused: string[] = []
  const writer = async (w: number) => {
    for (let journey = 0; !options.until(); journey++) {
      const created = await call(apiUrl, 'POST', '/tasks', { body: { title: `writer ${w} task ${journey}` } })
      if (created.status !== 201) {
        refused.push(`POST ${created.status} ${created.text}`)
        continue
      }
      acknowledged.push({ taskId: created.body.id, version: 1 })
      for (let version = 1; version <= options.changes; version++) {
        const changed = await call(apiUrl, 'PATCH', `/tasks/${created.body.id}`, {
          body: { title: `writer ${w} task ${journey} v${version + 1}` },
          headers: { 'if-match': `"${version}"` },
        })
        if (changed.status !== 200) {
          refused.push(`PATCH ${changed.status} ${changed.text}`)
          break
        }
        acknowledged.push({ taskId: created.body.id, version: version + 1 })
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => writer(w)))
  return { acknowledged, refused }
}

export interface TopicCheck {
  /** Acknowledged writes whose event is on the topic. */
  readonly delivered: number
  readonly lost: AcknowledgedWrite[]
  /** Records whose CloudEvent id was already on the topic (a consumer's inbox drops them). */
  readonly duplicateRecords: number
  /** Tasks whose events are not in version order on their partition. */
  readonly outOfOrderTasks: string[]
  readonly undecodable: number
}

/** Compares the task events on the topic with the writes the API acknowledged. */
export function checkTaskEvents(
  records: readonly ConsumedRecord[],
  writes: readonly AcknowledgedWrite[],
): TopicCheck {
  const seenIds = new Set<string>()
  const versionsByTask = new Map<string, number[]>()
  let duplicateRecords = 0
  let undecodable = 0
  const ordered = [...records].sort((a, b) =>
    a.partition === b.partition ? Number(BigInt(a.offset) - BigInt(b.offset)) : a.partition - b.partition,
  )
  for (const record of ordered) {
    const decoded = kafkaCodec.decode(record)
    if (!decoded.ok) {
      undecodable++
      continue
    }
    if (seenIds.has(decoded.value.id)) {
      duplicateRecords++
      continue
    }
    seenIds.add(decoded.value.id)
    const task = (decoded.value.data as { task: { id: string; version: number } }).task
    versionsByTask.set(task.id, [...(versionsByTask.get(task.id) ?? []), task.version])
  }
  const lost = writes.filter((write) => !versionsByTask.get(write.taskId)?.includes(write.version))
  const outOfOrderTasks = [...versionsByTask]
    .filter(([, versions]) => versions.some((version, i) => i > 0 && version <= versions[i - 1]!))
    .map(([taskId]) => taskId)
  return { delivered: writes.length - lost.length, lost, duplicateRecords, outOfOrderTasks, undecodable }
}

/**
 * Waits until the outbox is empty and Kafka is up (the relay published everything), then compares the
 * topic with the acknowledged writes.
 */
export async function drainedTopicCheck(
  system: ApiOnKafka,
  writes: readonly AcknowledgedWrite[],
): Promise<TopicCheck> {
  await eventually(
    async () => {
      const readiness = await call(system.api.url, 'GET', '/readyz')
      return readiness.body?.outbox?.backlog === 0 && readiness.body?.kafka === 'up'
    },
    'the outbox drained',
    120_000,
  )
  return checkTaskEvents(await readTopicToEnd(system.client, 'task-events'), writes)
}
