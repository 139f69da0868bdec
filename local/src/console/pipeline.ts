// The pipeline the console draws, from the manifests the system loaded (the YAML a cluster applies):
// sources (KafkaSources with their topics, PingSources) -> the functions they deliver to -> the sinks the
// functions write to (SinkBindings) and the dead-letter sinks of the sources.
import type { Destination, SystemManifests } from '../../../sources/src/manifests.ts'

/** What a Knative Destination addresses: a resource by kind and name, or a plain URI. */
export interface PipelineRef {
  readonly kind: string
  readonly name: string
}

export interface Pipeline {
  readonly sources: readonly (
    | {
        readonly kind: 'KafkaSource'
        readonly name: string
        readonly topics: readonly string[]
        readonly sink: PipelineRef
        readonly deadLetterSink: PipelineRef | null
      }
    | {
        readonly kind: 'PingSource'
        readonly name: string
        readonly schedule: string
        readonly sink: PipelineRef
      }
  )[]
  /** The functions this system runs, each with the sink its SinkBinding gives it (K_SINK). */
  readonly functions: readonly { readonly name: string; readonly sink: PipelineRef | null }[]
  readonly sinks: readonly { readonly kind: 'KafkaSink'; readonly name: string; readonly topic: string }[]
}

export function describePipeline(manifests: SystemManifests, running: ReadonlySet<string>): Pipeline {
  return {
    sources: [
      ...manifests.kafkaSources.map((source) => ({
        kind: 'KafkaSource' as const,
        name: source.name,
        topics: [...source.topics],
        sink: refOf(source.sink),
        deadLetterSink:
          source.delivery.deadLetterSink === undefined ? null : refOf(source.delivery.deadLetterSink),
      })),
      ...manifests.pingSources.map((ping) => ({
        kind: 'PingSource' as const,
        name: ping.name,
        schedule: ping.schedule,
        sink: refOf(ping.sink),
      })),
    ],
    functions: manifests.services
      .filter((service) => running.has(service.name))
      .map((service) => {
        const binding = manifests.sinkBindings.find(
          (candidate) => candidate.subject.kind === 'Service' && candidate.subject.name === service.name,
        )
        return { name: service.name, sink: binding === undefined ? null : refOf(binding.sink) }
      }),
    sinks: manifests.kafkaSinks.map((sink) => ({
      kind: 'KafkaSink' as const,
      name: sink.name,
      topic: sink.topic,
    })),
  }
}

function refOf(destination: Destination): PipelineRef {
  return destination.ref === undefined
    ? { kind: 'URI', name: destination.uri }
    : { kind: destination.ref.kind, name: destination.ref.name }
}
