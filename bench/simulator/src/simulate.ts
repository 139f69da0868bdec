// The cluster what-if: one KafkaSource (KEDA-scaled dispatcher pods reading a topic's partitions) in
// front of one Knative Service (KPA-scaled pods), replayed as a discrete-event simulation for an arrival
// pattern. The KPA decision is the very function the local function host runs
// (local/src/serving/kpa.ts); the KEDA decision is ./keda.ts.
//
// What is modelled, and why:
// - records are spread evenly over the partitions (task ids hash evenly);
// - each partition belongs to one ready consumer (p mod consumers): a consumer group never gives one
//   partition to two members, and members past the partition count sit idle;
// - `ordered` sends one record of a partition at a time (Knative's per-partition queue); `unordered`
//   up to `maxInFlightPerConsumer` (Knative's max.poll.records = 50) per consumer;
// - a consumer sends at most `consumerEventsPerSecond` (Knative's ordered dispatcher polls on a 200 ms
//   timer, 50 records each: 250 events/s however fast the sink is);
// - a membership change (consumer started or removed) pauses the whole group for `rebalancePauseMs`;
// - a pod serves `podCapacity` requests at once, each taking `serviceTimeMs`; more wait in the
//   queue-proxy or, with no pod, in the activator, and count as concurrency for the KPA exactly as
//   Knative's queue-proxy and activator report them;
// - the KPA decides every 2 s on per-second concurrency averages, and at once when a request reaches a
//   function at zero (the activator's poke); new pods are ready after `coldStartMs`;
// - KEDA polls the lag (backlog + records sent but not finished, i.e. not yet committed) every
//   polling interval; a new consumer pod is ready after `consumerStartMs`.
import {
  type ConcurrencySample,
  decideScale,
  initialKpaState,
  type KpaSettings,
  type KpaState,
  pruneSamples,
} from '../../../local/src/serving/kpa.ts'
import { type ArrivalPattern, arrivalRateAt, validateArrivalPattern } from './arrivals.ts'
import { EventQueue } from './event-queue.ts'
import {
  decideSourceReplicas,
  initialKedaState,
  type KedaSourceSettings,
  type KedaState,
  validateKedaSettings,
} from './keda.ts'
import { LatencyHistogram, percentileOf } from './latency-histogram.ts'

export interface FunctionModel {
  readonly kpa: KpaSettings
  /** Time one event takes inside the function once a pod runs it. */
  readonly serviceTimeMs: number
  /** Requests a pod runs at once (containerConcurrency when set); more queue in front of it. */
  readonly podCapacity: number
  /** Pod scheduled to ready (image pulled, Node started, readiness probe passed). */
  readonly coldStartMs: number
}

export interface SourceModel {
  readonly keda: KedaSourceSettings
  readonly ordering: 'ordered' | 'unordered'
  /** Knative's max.poll.records: the in-flight bound of an unordered consumer. */
  readonly maxInFlightPerConsumer: number
  /** Dispatch ceiling of one consumer pod. */
  readonly consumerEventsPerSecond: number
  /** Dispatcher pod scheduled to member of the group. */
  readonly consumerStartMs: number
  /** Whole-group pause on every membership change. */
  readonly rebalancePauseMs: number
}

export interface Scenario {
  readonly name: string
  readonly arrivals: ArrivalPattern
  readonly durationSeconds: number
  readonly function: FunctionModel
  readonly source: SourceModel
  /** Seconds per timeline point (1 for short runs; 60 keeps a day-long run small). */
  readonly timelineBucketSeconds?: number
}

export interface TimelinePoint {
  readonly atSeconds: number
  readonly arrivalsPerSecond: number
  readonly completedPerSecond: number
  /** Highest lag seen in the bucket. */
  readonly lag: number
  readonly consumers: number
  readonly pods: number
  readonly panic: boolean
  /** p99 of the end-to-end latency (arrival on the topic to done in the function) of the bucket's events. */
  readonly p99LatencyMs: number
}

export interface SimulationSummary {
  readonly arrived: number
  readonly completed: number
  /** Still in the topic or in flight when the run ended. */
  readonly unfinished: number
  readonly p50LatencyMs: number
  readonly p99LatencyMs: number
  readonly maxLatencyMs: number
  readonly maxLag: number
  readonly maxConsumers: number
  readonly maxPods: number
  readonly maxFunctionConcurrency: number
  readonly podSeconds: number
  readonly consumerSeconds: number
  readonly podStarts: number
  readonly consumerStarts: number
  readonly panicSeconds: number
}

export interface SimulationResult {
  readonly scenario: Scenario
  readonly timeline: TimelinePoint[]
  readonly summary: SimulationSummary
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError'
}

type SimEvent =
  | { kind: 'arrival' }
  | { kind: 'complete'; request: InFlightRequest }
  | { kind: 'pod-ready' }
  | { kind: 'consumer-ready' }
  | { kind: 'resume' }
  | { kind: 'wake'; consumer: number }
  | { kind: 'sample' }
  | { kind: 'kpa' }
  | { kind: 'keda' }

interface InFlightRequest {
  readonly arrivedAtMs: number
  readonly partition: number
  readonly consumer: number
}

/** A FIFO of numbers that does not shift arrays on every pop. */
class NumberQueue {
  #items: number[] = []
  #head = 0
  get length(): number {
    return this.#items.length - this.#head
  }
  push(value: number): void {
    this.#items.push(value)
  }
  shift(): number | undefined {
    if (this.#head >= this.#items.length) return undefined
    const value = this.#items[this.#head++]!
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return value
  }
}

function validateScenario(scenario: Scenario): void {
  validateArrivalPattern(scenario.arrivals)
  validateKedaSettings(scenario.source.keda)
  const f = scenario.function
  const s = scenario.source
  const problems: string[] = []
  if (!(scenario.durationSeconds > 0)) problems.push('durationSeconds must be > 0')
  if (!(f.serviceTimeMs > 0)) problems.push('serviceTimeMs must be > 0')
  if (!(f.podCapacity >= 1)) problems.push('podCapacity must be >= 1')
  if (f.coldStartMs < 0 || s.consumerStartMs < 0 || s.rebalancePauseMs < 0)
    problems.push('start and pause times must be >= 0')
  if (!(s.maxInFlightPerConsumer >= 1)) problems.push('maxInFlightPerConsumer must be >= 1')
  if (!(s.consumerEventsPerSecond > 0)) problems.push('consumerEventsPerSecond must be > 0')
  if (problems.length > 0) throw new ScenarioError(`${scenario.name}: ${problems.join('; ')}`)
}

export function simulate(scenario: Scenario): SimulationResult {
  validateScenario(scenario)
  const { function: fn, source } = scenario
  const partitions = source.keda.partitions
  const endMs = scenario.durationSeconds * 1000
  const bucketSeconds = scenario.timelineBucketSeconds ?? 1
  const queue = new EventQueue<SimEvent>()
  let now = 0

  // ---- topic and dispatcher ----
  const backlog = Array.from({ length: partitions }, () => new NumberQueue())
  let backlogTotal = 0
  let nextPartition = 0
  let arrivalCredit = 0
  let arrivalCheckedMs = 0
  const partitionBusy = new Array<boolean>(partitions).fill(false)
  const consumerInFlight = new Array<number>(partitions).fill(0)
  const consumerNextSendMs = new Array<number>(partitions).fill(0)
  const consumerWakePending = new Array<boolean>(partitions).fill(false)
  const sendSpacingMs = 1000 / source.consumerEventsPerSecond
  let dispatcherInFlight = 0
  let consumersReady = source.keda.minScale
  let consumersStarting = 0
  let consumersCancelled = 0
  let pausedUntilMs = 0
  let kedaState: KedaState = initialKedaState

  // ---- function ----
  const waiting: InFlightRequest[] = []
  let waitingHead = 0
  let serving = 0
  let podsReady = fn.kpa.minScale
  let podsStarting = 0
  let podsCancelled = 0
  let functionConcurrency = 0
  let concurrencyArea = 0
  let areaSinceMs = 0
  let samples: ConcurrencySample[] = []
  let kpaState: KpaState = initialKpaState
  let panic = false

  // ---- measurements ----
  const histogram = new LatencyHistogram()
  const timeline: TimelinePoint[] = []
  let arrived = 0
  let maxLag = 0
  let maxConsumers = consumersReady
  let maxPods = podsReady
  let maxFunctionConcurrency = 0
  let podSeconds = 0
  let consumerSeconds = 0
  let podStarts = 0
  let consumerStarts = 0
  let panicSeconds = 0
  let bucket = {
    arrivals: 0,
    completed: 0,
    lag: 0,
    consumers: 0,
    pods: 0,
    panic: false,
    latencies: [] as number[],
  }
  let bucketFill = 0

  const activeConsumers = () => Math.min(consumersReady, partitions)
  const ownerOf = (partition: number) => partition % activeConsumers()
  const capacity = () => podsReady * fn.podCapacity

  function setConcurrency(delta: number): void {
    concurrencyArea += functionConcurrency * (now - areaSinceMs)
    areaSinceMs = now
    functionConcurrency += delta
    if (functionConcurrency > maxFunctionConcurrency) maxFunctionConcurrency = functionConcurrency
  }

  function startWaiting(): void {
    while (serving < capacity() && waitingHead < waiting.length) {
      const request = waiting[waitingHead++]!
      serving++
      queue.push(now + fn.serviceTimeMs, { kind: 'complete', request })
    }
    if (waitingHead > 4096 && waitingHead * 2 > waiting.length) {
      waiting.splice(0, waitingHead)
      waitingHead = 0
    }
  }

  function functionAccept(request: InFlightRequest): void {
    setConcurrency(+1)
    waiting.push(request)
    startWaiting()
    // The activator pokes the autoscaler as soon as a request reaches a function scaled to zero.
    if (podsReady + podsStarting - podsCancelled === 0) {
      samples.push({ atMs: now, concurrency: functionConcurrency })
      runKpa()
    }
  }

  function sendOne(partition: number, consumer: number): boolean {
    if (now < consumerNextSendMs[consumer]!) {
      if (!consumerWakePending[consumer]) {
        consumerWakePending[consumer] = true
        queue.push(consumerNextSendMs[consumer]!, { kind: 'wake', consumer })
      }
      return false
    }
    const arrivedAtMs = backlog[partition]!.shift()!
    backlogTotal--
    consumerNextSendMs[consumer] = Math.max(consumerNextSendMs[consumer]!, now) + sendSpacingMs
    consumerInFlight[consumer]!++
    dispatcherInFlight++
    if (source.ordering === 'ordered') partitionBusy[partition] = true
    functionAccept({ arrivedAtMs, partition, consumer })
    return true
  }

  function tryPartition(partition: number): boolean {
    if (now < pausedUntilMs || activeConsumers() === 0) return false
    if (backlog[partition]!.length === 0) return false
    const consumer = ownerOf(partition)
    if (source.ordering === 'ordered') {
      return partitionBusy[partition] ? false : sendOne(partition, consumer)
    }
    if (consumerInFlight[consumer]! >= source.maxInFlightPerConsumer) return false
    return sendOne(partition, consumer)
  }

  function tryConsumer(consumer: number): void {
    const active = activeConsumers()
    if (consumer >= active) return
    // Round-robin over the consumer's partitions until none can send.
    let progressed = true
    while (progressed) {
      progressed = false
      for (let partition = consumer; partition < partitions; partition += active) {
        if (tryPartition(partition)) progressed = true
      }
    }
  }

  function tryAll(): void {
    for (let consumer = 0; consumer < activeConsumers(); consumer++) tryConsumer(consumer)
  }

  function rebalance(): void {
    pausedUntilMs = now + source.rebalancePauseMs
    queue.push(pausedUntilMs, { kind: 'resume' })
  }

  function runKpa(): void {
    samples = pruneSamples(samples, now, fn.kpa)
    const decision = decideScale({
      settings: fn.kpa,
      samples,
      readyPods: podsReady,
      nowMs: now,
      state: kpaState,
    })
    kpaState = decision.state
    panic = decision.panic
    const total = podsReady + podsStarting - podsCancelled
    if (decision.desiredPods > total) {
      for (let i = total; i < decision.desiredPods; i++) {
        podsStarting++
        podStarts++
        queue.push(now + fn.coldStartMs, { kind: 'pod-ready' })
      }
    } else if (decision.desiredPods < total) {
      let surplus = total - decision.desiredPods
      const cancellable = Math.min(surplus, podsStarting - podsCancelled)
      podsCancelled += cancellable
      surplus -= cancellable
      podsReady -= surplus
    }
  }

  function runKeda(): void {
    const lag = backlogTotal + dispatcherInFlight
    const current = consumersReady + consumersStarting - consumersCancelled
    const decision = decideSourceReplicas({
      settings: source.keda,
      lag,
      currentReplicas: current,
      nowMs: now,
      state: kedaState,
    })
    kedaState = decision.state
    if (decision.replicas > current) {
      for (let i = current; i < decision.replicas; i++) {
        consumersStarting++
        consumerStarts++
        queue.push(now + source.consumerStartMs, { kind: 'consumer-ready' })
      }
    } else if (decision.replicas < current) {
      let surplus = current - decision.replicas
      const cancellable = Math.min(surplus, consumersStarting - consumersCancelled)
      consumersCancelled += cancellable
      surplus -= cancellable
      if (surplus > 0) {
        consumersReady -= surplus
        rebalance()
      }
    }
  }

  function sample(): void {
    setConcurrency(0)
    samples.push({ atMs: now, concurrency: concurrencyArea / 1000 })
    concurrencyArea = 0
    const lag = backlogTotal + dispatcherInFlight
    maxLag = Math.max(maxLag, lag)
    maxConsumers = Math.max(maxConsumers, consumersReady)
    maxPods = Math.max(maxPods, podsReady)
    podSeconds += podsReady
    consumerSeconds += consumersReady
    if (panic) panicSeconds++
    bucket.lag = Math.max(bucket.lag, lag)
    bucket.consumers = Math.max(bucket.consumers, consumersReady)
    bucket.pods = Math.max(bucket.pods, podsReady)
    bucket.panic ||= panic
    if (++bucketFill === bucketSeconds) {
      timeline.push({
        atSeconds: now / 1000,
        arrivalsPerSecond: bucket.arrivals / bucketSeconds,
        completedPerSecond: bucket.completed / bucketSeconds,
        lag: bucket.lag,
        consumers: bucket.consumers,
        pods: bucket.pods,
        panic: bucket.panic,
        p99LatencyMs: Math.round(percentileOf(bucket.latencies, 0.99)),
      })
      bucket = { arrivals: 0, completed: 0, lag: 0, consumers: 0, pods: 0, panic: false, latencies: [] }
      bucketFill = 0
    }
  }

  queue.push(0, { kind: 'arrival' })
  queue.push(1000, { kind: 'sample' })
  queue.push(2000, { kind: 'kpa' })
  queue.push(0, { kind: 'keda' })

  for (;;) {
    const next = queue.pop()
    if (next === undefined || next.atMs > endMs) break
    now = next.atMs
    const event = next.value
    switch (event.kind) {
      case 'arrival': {
        // Integrates the rate: an event arrives each time a whole one has accumulated. The rate is
        // re-read at least every 100 ms so a burst after a quiet spell starts on time.
        const rate = arrivalRateAt(scenario.arrivals, now / 1000)
        arrivalCredit += (rate * (now - arrivalCheckedMs)) / 1000
        arrivalCheckedMs = now
        // (1e-9: floating-point sums of fractions must not miss a whole event.)
        if (arrivalCredit >= 1 - 1e-9) {
          arrivalCredit = Math.max(0, arrivalCredit - 1)
          const partition = nextPartition
          nextPartition = (nextPartition + 1) % partitions
          backlog[partition]!.push(now)
          backlogTotal++
          arrived++
          bucket.arrivals++
          tryPartition(partition)
        }
        const untilNextMs = rate > 0 ? (Math.max(0, 1 - arrivalCredit) * 1000) / rate : 100
        queue.push(now + Math.min(100, Math.max(0.01, untilNextMs)), { kind: 'arrival' })
        break
      }
      case 'complete': {
        const { request } = event
        serving--
        setConcurrency(-1)
        dispatcherInFlight--
        consumerInFlight[request.consumer]!--
        partitionBusy[request.partition] = false
        const latency = now - request.arrivedAtMs
        histogram.record(latency)
        bucket.completed++
        bucket.latencies.push(latency)
        startWaiting()
        if (source.ordering === 'ordered') tryPartition(request.partition)
        else tryAll()
        break
      }
      case 'pod-ready':
        podsStarting--
        if (podsCancelled > 0) podsCancelled--
        else podsReady++
        startWaiting()
        break
      case 'consumer-ready':
        consumersStarting--
        if (consumersCancelled > 0) consumersCancelled--
        else {
          consumersReady++
          rebalance()
        }
        break
      case 'resume':
        if (now >= pausedUntilMs) tryAll()
        break
      case 'wake':
        consumerWakePending[event.consumer] = false
        tryConsumer(event.consumer)
        break
      case 'sample':
        sample()
        queue.push(now + 1000, { kind: 'sample' })
        break
      case 'kpa':
        runKpa()
        startWaiting()
        queue.push(now + 2000, { kind: 'kpa' })
        break
      case 'keda':
        runKeda()
        queue.push(now + source.keda.pollingIntervalMs, { kind: 'keda' })
        break
    }
  }

  return {
    scenario,
    timeline,
    summary: {
      arrived,
      completed: histogram.count,
      unfinished: backlogTotal + dispatcherInFlight,
      p50LatencyMs: Math.round(histogram.percentile(0.5)),
      p99LatencyMs: Math.round(histogram.percentile(0.99)),
      maxLatencyMs: Math.round(histogram.max),
      maxLag,
      maxConsumers,
      maxPods,
      maxFunctionConcurrency,
      podSeconds,
      consumerSeconds,
      podStarts,
      consumerStarts,
      panicSeconds,
    },
  }
}
