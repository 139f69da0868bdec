import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ScenarioBuildError, scenarioForSource, simulate } from '../../../bench/simulator/src/index.ts'
import { loadSystemManifests } from '../../../sources/src/manifests.ts'

// The what-if runs on the annotations the cluster applies: sources/kafka-sources.yaml (KEDA) and
// manifests/base (KPA), read through sources/src/manifests.ts.

const rootDir = fileURLToPath(new URL('../../..', import.meta.url))
const manifests = loadSystemManifests(rootDir)
const steady = { kind: 'steady', eventsPerSecond: 10 } as const

describe('simulator scenarios from the repository YAML', () => {
  it('takes each KafkaSource’s KEDA annotations and its topics’ partitions', () => {
    for (const source of manifests.kafkaSources) {
      const scenario = scenarioForSource(manifests, source.name, { arrivals: steady, durationSeconds: 60 })
      const partitions = source.topics
        .map((topic) => manifests.topics.find((t) => t.name === topic)!.partitions)
        .reduce((a, b) => a + b, 0)
      expect(scenario.source.keda).toMatchObject({
        partitions,
        maxScale: source.scaling!.maxScale,
        lagThreshold: source.scaling!.lagThreshold,
        pollingIntervalMs: source.scaling!.pollingIntervalSeconds * 1000,
        cooldownPeriodMs: source.scaling!.cooldownPeriodSeconds * 1000,
      })
      expect(scenario.source.ordering).toBe(source.ordering)
    }
  })

  it('takes the sink Service’s KPA annotations and containerConcurrency', () => {
    for (const source of manifests.kafkaSources) {
      const service = manifests.services.find((s) => s.name === source.sink.ref!.name)!
      const scenario = scenarioForSource(manifests, source.name, { arrivals: steady, durationSeconds: 60 })
      expect(scenario.function.kpa).toMatchObject({
        target: service.scaling.target,
        maxScale: service.scaling.maxScale,
        minScale: service.scaling.minScale,
        containerConcurrency: service.containerConcurrency,
      })
    }
  })

  it('delivers every event of a steady minute for every source', () => {
    for (const source of manifests.kafkaSources) {
      const result = simulate(
        scenarioForSource(manifests, source.name, { arrivals: steady, durationSeconds: 120 }),
      )
      expect(result.summary.arrived).toBeGreaterThan(1000)
      // At most the events still in flight at the end are unfinished.
      expect(result.summary.unfinished).toBeLessThan(20)
      expect(result.summary.maxConsumers).toBeLessThanOrEqual(result.scenario.source.keda.maxScale)
    }
  })

  it('names a missing source in a typed error', () => {
    expect(() =>
      scenarioForSource(manifests, 'no-such-source', { arrivals: steady, durationSeconds: 1 }),
    ).toThrow(ScenarioBuildError)
  })
})
