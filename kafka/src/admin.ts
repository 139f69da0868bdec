import type { Admin, Kafka } from 'kafkajs'
import kafkajs from 'kafkajs'

// kafkajs is CommonJS and these two are not visible to Node's named-export detection.
const { ConfigResourceTypes, ConfigSource } = kafkajs

/** What the project needs to know about an existing topic, independent of the client library. */
export type TopicState = {
  name: string
  partitions: number
  /** Replicas of partition 0 (Kafka keeps one factor per partition; ours are uniform). */
  replicas: number
  /** Only the entries set on the topic itself (not broker or static defaults). */
  config: Record<string, string>
}

export type NewTopic = {
  name: string
  partitions: number
  replicas: number
  config: Record<string, string>
}

/** Connects an admin client for the duration of `use`, and always disconnects it. */
export async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

/** Describes the named topics that exist; missing names are simply absent from the map. */
export async function describeTopics(
  admin: Admin,
  names: readonly string[],
): Promise<Map<string, TopicState>> {
  const existing = new Set(await admin.listTopics())
  const present = names.filter((name) => existing.has(name))
  const states = new Map<string, TopicState>()
  if (present.length === 0) return states
  const [metadata, configs] = await whileTopicPropagates(() =>
    Promise.all([
      admin.fetchTopicMetadata({ topics: present }),
      admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
      }),
    ]),
  )
  for (const topic of metadata.topics) {
    const first = topic.partitions.find((partition) => partition.partitionId === 0)
    states.set(topic.name, {
      name: topic.name,
      partitions: topic.partitions.length,
      replicas: first?.replicas.length ?? 0,
      config: {},
    })
  }
  for (const resource of configs.resources) {
    const state = states.get(resource.resourceName)
    if (!state) continue
    for (const entry of resource.configEntries) {
      if (entry.configSource === ConfigSource.TOPIC_CONFIG) state.config[entry.configName] = entry.configValue
    }
  }
  return states
}

/**
 * Runs `describe` again while a broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic the cluster
 * lists: in KRaft a new topic reaches each broker's metadata image a moment apart, and the broker
 * kafkajs asks may not have it yet.
 */
export async function whileTopicPropagates<T>(
  describe: () => Promise<T>,
  { attempts = 20, pauseMs = 250 } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await describe()
    } catch (error) {
      if (!isUnknownTopic(error) || attempt >= attempts) throw error
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }
}

/** The protocol error, also when kafkajs' retrier wrapped it. */
function isUnknownTopic(error: unknown): boolean {
  const { type, cause } = (error ?? {}) as { type?: unknown; cause?: { type?: unknown } }
  return type === 'UNKNOWN_TOPIC_OR_PARTITION' || cause?.type === 'UNKNOWN_TOPIC_OR_PARTITION'
}

/**
 * Creates the topics and resolves once every partition has a leader. kafkajs' own waitForLeaders
 * gives up when a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic whose creation is
 * not yet in its metadata image (it only retries LEADER_NOT_AVAILABLE), so we poll instead.
 */
export async function createTopics(
  admin: Admin,
  topics: readonly NewTopic[],
  timeoutMs = 30_000,
): Promise<void> {
  if (topics.length === 0) return
  await admin.createTopics({
    waitForLeaders: false,
    topics: topics.map((topic) => ({
      topic: topic.name,
      numPartitions: topic.partitions,
      replicationFactor: topic.replicas,
      configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
    })),
  })
  await waitForTopicLeaders(
    admin,
    topics.map((topic) => topic.name),
    timeoutMs,
  )
}

export async function waitForTopicLeaders(
  admin: Admin,
  names: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastProblem = 'no metadata yet'
  while (Date.now() < deadline) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [...names] })
      const leaderless = topics.filter(
        (topic) =>
          topic.partitions.length === 0 || topic.partitions.some((partition) => partition.leader < 0),
      )
      if (topics.length === names.length && leaderless.length === 0) return
      lastProblem = `without leaders: ${leaderless.map((topic) => topic.name).join(', ')}`
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`topics ${names.join(', ')} have no leaders after ${timeoutMs} ms (${lastProblem})`)
}

/** Kafka can only add partitions (and that moves keys to other partitions: callers opt in). */
export async function increasePartitions(admin: Admin, topic: string, count: number): Promise<void> {
  await admin.createPartitions({ topicPartitions: [{ topic, count }] })
}

export type WaitForBrokersOptions = {
  /** Resolves once the cluster reports at least these node ids (default: any broker). */
  nodeIds?: readonly number[]
  timeoutMs: number
  signal?: AbortSignal
}

/** Polls metadata until the cluster answers with the expected brokers registered. */
export async function waitForBrokers(kafka: Kafka, options: WaitForBrokersOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted()
    const admin = kafka.admin({ retry: { retries: 0 } })
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      const registered = new Set(cluster.brokers.map((broker) => broker.nodeId))
      const wanted = options.nodeIds ?? []
      if (registered.size > 0 && wanted.every((id) => registered.has(id))) return
      lastError = new Error(
        `brokers registered: [${[...registered].join(', ')}], waiting for [${wanted.join(', ')}]`,
      )
    } catch (error) {
      lastError = error
    } finally {
      await admin.disconnect().catch(() => {})
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError)
  throw new Error(`Kafka did not answer metadata requests within ${options.timeoutMs} ms: ${reason}`)
}

/**
 * Resolves once the group coordinator answers for `groupId`. On a new cluster the first group
 * request creates __consumer_offsets, and until its partitions are loaded every consumer's join
 * fails with "coordinator is loading" (retried, but logged as a consumer crash).
 */
export async function waitForGroupCoordinator(
  kafka: Kafka,
  groupId: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      await withAdmin(kafka, (admin) => admin.describeGroups([groupId]))
      return
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError)
  throw new Error(`the group coordinator did not answer within ${timeoutMs} ms: ${reason}`)
}
