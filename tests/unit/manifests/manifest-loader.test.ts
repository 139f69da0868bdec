import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from '../../../platform/src/knative-delivery.ts'
import {
  buildSystemManifests,
  type LocatedDocument,
  loadSystemManifests,
  ManifestError,
  parseIsoDuration,
} from '../../../sources/src/manifests.ts'
import { repoRoot } from '../../support/schemas.ts'

const source = (
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
): LocatedDocument => ({
  file: 'memory.yaml',
  value: {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'KafkaSource',
    metadata: { name: 'probe', namespace: 'taskflow', annotations },
    spec: {
      bootstrapServers: ['b:9092'],
      topics: ['task-events'],
      sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'x' } },
      ...spec,
    },
  },
})
const loadSource = (document: LocatedDocument) =>
  buildSystemManifests({ sources: [document], topics: [], services: [] }).kafkaSources[0]!

describe('ISO-8601 durations', () => {
  it.each([
    ['PT0.5S', 500],
    ['PT0.3S', 300],
    ['PT600S', 600_000],
    ['PT10M', 600_000],
    ['PT1H30M', 5_400_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['P1DT2S', 86_402_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toEqual({ ok: true, ms })
  })

  it.each(['', 'P', 'PT', '10s', 'PT-1S', 'P1Y', 'P2M', 'PT1.5'])('%s is refused with a reason', (text) => {
    const result = parseIsoDuration(text)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toContain('ISO-8601')
  })
})

describe('KafkaSource delivery defaults (as Knative applies them)', () => {
  it('without delivery: 10 retries, exponential from 300 ms, 600 s timeout, no dead-letter sink', () => {
    expect(loadSource(source({})).delivery).toEqual({
      retry: 10,
      backoffPolicy: 'exponential',
      backoffDelayMs: 300,
      timeoutMs: 600_000,
      deadLetterSink: undefined,
      declared: false,
    })
  })

  it('with delivery present, each missing field has its own default (retry 0, 200 ms)', () => {
    expect(loadSource(source({ delivery: { backoffPolicy: 'linear' } })).delivery).toEqual({
      retry: 0,
      backoffPolicy: 'linear',
      backoffDelayMs: 200,
      timeoutMs: 600_000,
      deadLetterSink: undefined,
      declared: true,
    })
  })

  it('dead-letter sink reference gets the source namespace', () => {
    const delivery = loadSource(
      source({
        delivery: {
          retry: 2,
          deadLetterSink: {
            ref: { apiVersion: 'eventing.knative.dev/v1alpha1', kind: 'KafkaSink', name: 'dl' },
          },
        },
      }),
    ).delivery
    expect(delivery.deadLetterSink).toEqual({
      ref: {
        apiVersion: 'eventing.knative.dev/v1alpha1',
        kind: 'KafkaSink',
        name: 'dl',
        namespace: 'taskflow',
      },
    })
  })

  it('spec defaults: latest, ordered, one consumer, a knative-kafka-source-<uuid> group', () => {
    const loaded = loadSource(source({}))
    expect(loaded).toMatchObject({
      initialOffset: 'latest',
      ordering: 'ordered',
      consumers: 1,
      keyType: 'string',
      scaling: undefined,
    })
    expect(loaded.consumerGroup).toMatch(/^knative-kafka-source-[0-9a-f-]{36}$/)
  })

  it('KEDA annotations: missing ones take Knative defaults (min 0, max 50, lag 100, poll 10, cooldown 30)', () => {
    const loaded = loadSource(
      source(
        {},
        {
          'autoscaling.eventing.knative.dev/class': 'keda.autoscaling.knative.dev',
          'autoscaling.eventing.knative.dev/max-scale': '6',
        },
      ),
    )
    expect(loaded.scaling).toEqual({
      minScale: 0,
      maxScale: 6,
      lagThreshold: 100,
      pollingIntervalSeconds: 10,
      cooldownPeriodSeconds: 30,
    })
  })
})

describe('backoff between retries', () => {
  it('exponential waits delay*2^i (the 615/1204/2403 ms gaps measured for PT0.3S)', () => {
    const delivery = { backoffPolicy: 'exponential', backoffDelayMs: 300 } as const
    expect([1, 2, 3].map((i) => backoffDelayMs(delivery, i))).toEqual([600, 1200, 2400])
  })

  it('linear waits delay*i', () => {
    expect([1, 2, 3].map((i) => backoffDelayMs({ backoffPolicy: 'linear', backoffDelayMs: 500 }, i))).toEqual(
      [500, 1000, 1500],
    )
  })

  it('attempt 0 is not a retry', () => {
    expect(() => backoffDelayMs({ backoffPolicy: 'linear', backoffDelayMs: 1 }, 0)).toThrow(RangeError)
  })
})

describe('bad manifests get a ManifestError naming file, resource and field', () => {
  it('unparsable duration', () => {
    const error = (() => {
      try {
        loadSource(source({ delivery: { backoffDelay: '5s' } }))
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ManifestError)
    expect((error as ManifestError).message).toMatch(
      /memory\.yaml \(KafkaSource probe\).*delivery\.backoffDelay/,
    )
  })

  it('unknown ordering and a non-numeric max-scale', () => {
    expect(() => loadSource(source({ ordering: 'random' }))).toThrow(/ordering/)
    expect(() =>
      loadSource(
        source(
          {},
          {
            'autoscaling.eventing.knative.dev/class': 'keda.autoscaling.knative.dev',
            'autoscaling.eventing.knative.dev/max-scale': 'many',
          },
        ),
      ),
    ).toThrow(/max-scale/)
  })
})

describe('the repository manifests', () => {
  const system = loadSystemManifests(repoRoot)

  it('hold one KafkaSource per function with the fixed groups and topics', () => {
    expect(system.kafkaSources.map((s) => [s.name, s.consumerGroup, s.topics, s.ordering])).toEqual([
      ['audit-log', 'taskflow-audit-log', ['task-events'], 'ordered'],
      ['reminders', 'taskflow-reminders', ['task-events'], 'ordered'],
      [
        'notification-fanout',
        'taskflow-notification-fanout',
        ['task-events', 'reminder-events'],
        'unordered',
      ],
    ])
    for (const s of system.kafkaSources) expect(s.initialOffset).toBe('earliest')
  })

  it('parse delivery durations to milliseconds', () => {
    const audit = system.kafkaSources.find((s) => s.name === 'audit-log')!
    expect(audit.delivery).toMatchObject({
      retry: 5,
      backoffPolicy: 'exponential',
      backoffDelayMs: 500,
      timeoutMs: 30_000,
      declared: true,
    })
  })

  it('hold the ping sources, sinks, bindings, topics and services', () => {
    expect(system.pingSources.map((p) => [p.name, p.schedule, p.sink.ref?.name])).toEqual([
      ['reminders-tick', '* * * * *', 'reminders'],
      ['audit-retention-tick', '0 3 * * *', 'audit-log'],
    ])
    expect(system.kafkaSinks.map((s) => [s.name, s.topic, s.contentMode])).toEqual([
      ['reminder-events', 'reminder-events', 'binary'],
      ['notification-events', 'notification-events', 'binary'],
      ['dead-letters', 'dead-letters', 'binary'],
    ])
    expect(system.sinkBindings.map((b) => [b.subject.name, b.sink.ref?.name])).toEqual([
      ['reminders', 'reminder-events'],
      ['notification-fanout', 'notification-events'],
    ])
    expect(Object.fromEntries(system.topics.map((t) => [t.name, t.partitions]))).toEqual({
      'dead-letters': 3,
      'notification-events': 6,
      'reminder-events': 6,
      'task-events': 12,
    })
    const audit = system.services.find((s) => s.name === 'audit-log')!
    expect(audit.scaling).toMatchObject({ minScale: 0, maxScale: 5, target: 10 })
    expect(audit.env.AUDIT_RETENTION_DAYS).toBe('90')
    expect(audit.env.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/^http/)
    expect(audit.secretEnv).toEqual([
      { name: 'DATABASE_URL', secretKeyRef: { name: 'taskflow-db-app', key: 'uri' } },
    ])
  })
})
