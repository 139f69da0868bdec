// A dead letter is the source record plus Knative's error extensions (knativeerrordest,
// knativeerrorcode, knativeerrordata: up to 1,368 bytes base64 of the response body). The KafkaSink
// that writes it has no dead-letter sink of its own, so a record the dead-letter topic refuses as too
// large is dropped. Its topic must therefore take larger records than any topic a KafkaSource reads.

import type { KubernetesObject } from '../../../../sources/src/kustomize.ts'
import type { SystemManifests } from '../../../../sources/src/manifests.ts'

/** Kafka's message.max.bytes when neither the broker nor the topic sets it. */
export const kafkaDefaultMaxMessageBytes = 1_048_588
/** Room for the error extensions and headers, with margin. */
export const deadLetterHeadroomBytes = 64 * 1024

/** A size setting as Kafka reads it: absent, the fallback; not a positive whole number, undefined. */
function bytes(raw: unknown, fallback: number): number | undefined {
  if (raw === undefined) return fallback
  const value = Number(raw)
  return Number.isInteger(value) && value > 0 ? value : undefined
}

export function deadLetterSizeViolations(system: SystemManifests, resources: KubernetesObject[]): string[] {
  const violations: string[] = []
  const topics = new Map(system.topics.map((topic) => [topic.name, topic]))
  // A topic without max.message.bytes takes the brokers' message.max.bytes (Kafka's default if unset).
  const kafka = resources.find((r) => r.kind === 'Kafka')
  const brokerConfig = (kafka?.spec as { kafka?: { config?: Record<string, unknown> } } | undefined)?.kafka
    ?.config
  const clusterDefault = bytes(brokerConfig?.['message.max.bytes'], kafkaDefaultMaxMessageBytes)
  if (clusterDefault === undefined) return [`Kafka ${kafka?.metadata.name}: message.max.bytes is not a size`]
  const sizeOf = (topic: string): number | undefined => {
    const size = bytes(topics.get(topic)?.config['max.message.bytes'], clusterDefault)
    if (size === undefined) violations.push(`KafkaTopic ${topic}: max.message.bytes is not a size`)
    return size
  }

  for (const source of system.kafkaSources) {
    const ref = source.delivery.deadLetterSink?.ref
    if (ref?.kind !== 'KafkaSink') continue
    const sink = system.kafkaSinks.find((s) => s.name === ref.name)
    if (sink === undefined || !topics.has(sink.topic)) continue // reported by the existence checks
    const deadLetters = sizeOf(sink.topic)
    if (deadLetters === undefined) continue
    for (const topic of source.topics.filter((name) => topics.has(name))) {
      const read = sizeOf(topic)
      if (read !== undefined && deadLetters < read + deadLetterHeadroomBytes)
        violations.push(
          `KafkaSource ${source.name}: dead-letter topic ${sink.topic} takes records up to ${deadLetters} bytes, ` +
            `needs at least ${read + deadLetterHeadroomBytes} (${topic} takes ${read}, plus ${deadLetterHeadroomBytes} for the error extensions)`,
        )
    }
  }
  return [...new Set(violations)]
}
