// The same-run baseline of the pipeline benchmark: a no-op faas-js-runtime function behind its own
// activator (the local function host) and its own KafkaSource, a copy of audit-log's (ordered, same
// delivery policy and topics, a consumer group of its own), so every task event also goes through the
// platform to a function that does nothing. A real function's CPU per event over this one's is the
// cost of its own work.
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { type KafkaSourceDispatcher, startKafkaSource } from '../../local/src/eventing/kafka-source.ts'
import { SinkClient } from '../../local/src/eventing/sink-client.ts'
import { type FunctionHost, startFunctionHost } from '../../local/src/serving/function-host.ts'
import type { LocalSystem } from '../../local/src/system.ts'

export const noopFunctionName = 'noop'
const noopDir = fileURLToPath(new URL('./noop-function/', import.meta.url))

export interface NoopBaseline {
  readonly host: FunctionHost
  readonly source: KafkaSourceDispatcher
  stop(): Promise<void>
}

export async function startNoopBaseline(
  system: LocalSystem,
  options: { copyOf: string; gracePeriodMs: number; commitIntervalMs: number },
): Promise<NoopBaseline> {
  const model = system.sources.find((source) => source.spec.name === options.copyOf)
  if (!model) throw new Error(`no KafkaSource ${options.copyOf} to copy for the no-op baseline`)
  const logger = pino({ level: 'error' })
  const host = await startFunctionHost({
    name: noopFunctionName,
    dir: noopDir,
    prebuilt: true,
    entry: 'index.js',
    gracePeriodMs: options.gracePeriodMs,
    logger,
    onOutput: () => {},
  })
  // The same path as the system's sources: the activator called in this process.
  const sinkClient = new SinkClient({
    connections: 64,
    inProcess: new Map([[new URL(host.url).origin, host]]),
  })
  try {
    const source = await startKafkaSource({
      spec: {
        ...model.spec,
        name: noopFunctionName,
        consumerGroup: `${model.spec.consumerGroup}-bench-noop`,
        sink: new URL(host.url),
        deadLetterSink: null,
      },
      log: system.eventLog,
      logger,
      sinkClient,
      commitIntervalMs: options.commitIntervalMs,
    })
    return {
      host,
      source,
      async stop() {
        await source.stop()
        await sinkClient.close()
        await host.stop()
      },
    }
  } catch (error) {
    await sinkClient.close()
    await host.stop()
    throw error
  }
}
