// `npm run dead-letters -- list|replay [options]`: the dead-letter topic read back, and replayed on demand.
// The topic is the one the KafkaSources' deadLetterSink (a KafkaSink) writes to, read from sources/;
// Kafka is reached with the Task API's settings (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_CA_FILE, KAFKA_TLS).
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../../api/src/config.ts'
import { createKafkaClient } from '../../kafka/src/index.ts'
import { loadSystemManifests } from '../../sources/src/manifests.ts'
import {
  type DeadLetter,
  type DeadLetterFilter,
  deadLetterTopics,
  matches,
  readDeadLetters,
  replayDeadLetters,
} from './dead-letters.ts'

const usage = `Usage: npm run dead-letters -- <list|replay> [options]

  list     count the dead letters by the sink they failed at and the code it answered
  replay   post each dead letter again (without knativeerror* attributes) to that sink, in order

Options (filters combine):
  --destination <text>   only dead letters whose knativeerrordest contains <text>
  --code <code>          only this knativeerrorcode (repeatable; 5xx or 4xx for a class)
  --since <time>         only dead letters written at or after this ISO-8601 time
  --to <url>             replay: post to <url> instead (e.g. the function's URL in this run)
  --token-file <path>    replay: send the token in <path> as the sender. The functions accept only
                         their sources' tokens: on a cluster \`kubectl create token <source
                         ServiceAccount> --audience <function's EVENTS_AUDIENCE>\`, one function per run
                         (--destination); locally the invokeTokens of .data/local/system.json
  --dry-run              replay: print what would be sent, send nothing
  --topic <name>         the dead-letter topic (default: the KafkaSink the KafkaSources dead-letter to)

Environment: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_SASL_MECHANISM/USERNAME/PASSWORD,
KAFKA_CA_FILE, KAFKA_TLS: as the Task API reads them.`

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`)
  process.exit(2)
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        destination: { type: 'string' },
        code: { type: 'string', multiple: true },
        since: { type: 'string' },
        to: { type: 'string' },
        'token-file': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        topic: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    })
  } catch (error) {
    return fail((error as Error).message)
  }
})()
if (values.help) {
  console.info(usage)
  process.exit(0)
}
const command = positionals[0]
if (command !== 'list' && command !== 'replay') fail(`unknown command ${command ?? '(none)'}`)
if (positionals.length > 1) fail(`unexpected argument ${positionals[1]}`)
for (const code of values.code ?? []) {
  if (!/^([1-5]xx|[1-5]\d\d)$/i.test(code)) fail(`--code ${code}: an HTTP status (503) or a class (5xx)`)
}
const since = values.since === undefined ? undefined : new Date(values.since)
if (since !== undefined && Number.isNaN(since.getTime()))
  fail(`--since ${values.since}: not an ISO-8601 time`)
if (values.to !== undefined && !URL.canParse(values.to)) fail(`--to ${values.to}: not a URL`)
const filter: DeadLetterFilter = {
  ...(values.destination === undefined ? {} : { destination: values.destination }),
  ...(values.code === undefined ? {} : { codes: values.code }),
  ...(since === undefined ? {} : { since }),
}

// The Task API's Kafka settings, checked as it checks them (all three SASL variables or none, ...).
let kafkaConfig: ReturnType<typeof loadConfig>
try {
  const kafkaEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith('KAFKA_')),
  )
  kafkaConfig = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', ...kafkaEnv })
} catch (error) {
  if (error instanceof ConfigError) fail(error.message)
  throw error
}

const topics =
  values.topic === undefined
    ? deadLetterTopics(loadSystemManifests(resolve(import.meta.dirname, '../..')))
    : [values.topic]
const kafka = createKafkaClient({
  brokers: kafkaConfig.kafkaBrokers,
  clientId: 'taskflow-dead-letters',
  ...(kafkaConfig.kafkaSasl === undefined ? {} : { sasl: kafkaConfig.kafkaSasl }),
  ...(kafkaConfig.kafkaTls === undefined ? {} : { ssl: kafkaConfig.kafkaTls }),
})

let failed = 0
for (const topic of topics) {
  const letters = (await readDeadLetters(kafka, topic)).filter((letter) => matches(letter, filter))
  if (command === 'list') printSummary(topic, letters)
  else failed += await replay(topic, letters)
}
process.exit(failed > 0 ? 1 : 0)

function printSummary(topic: string, letters: readonly DeadLetter[]): void {
  console.info(`${topic}: ${letters.length} dead letter(s) matching`)
  const groups = new Map<string, DeadLetter[]>()
  for (const letter of letters) {
    const key = `${letter.destination ?? '(no knativeerrordest)'}\t${letter.code ?? '-'}`
    groups.set(key, [...(groups.get(key) ?? []), letter])
  }
  for (const [key, group] of groups) {
    const [destination, code] = key.split('\t')
    const times = group.map((letter) => letter.timestamp)
    console.info(
      `  ${String(group.length).padStart(6)}  ${code}  ${destination}  ` +
        `${new Date(Math.min(...times)).toISOString()} .. ${new Date(Math.max(...times)).toISOString()}`,
    )
  }
}

async function replay(topic: string, letters: readonly DeadLetter[]): Promise<number> {
  if (values['dry-run']) {
    for (const letter of letters) {
      console.info(
        `would post ${letter.event?.id ?? '(not a CloudEvent)'} (${topic} ${letter.partition}/${letter.offset}) to ${values.to ?? letter.destination ?? '(nowhere)'}`,
      )
    }
    return 0
  }
  const token =
    values['token-file'] === undefined
      ? undefined
      : await readFile(values['token-file'], 'utf8').then(
          (text) => text.trim(),
          (error: Error) => fail(`--token-file: ${error.message}`),
        )
  const outcomes = await replayDeadLetters(letters, {
    ...(values.to === undefined ? {} : { to: values.to }),
    ...(token === undefined ? {} : { token }),
  })
  const count = { replayed: 0, failed: 0, skipped: 0 }
  for (const { letter, target, result, detail } of outcomes) {
    count[result] += 1
    console.info(
      `${result.padEnd(8)} ${letter.event?.id ?? '-'} (${topic} ${letter.partition}/${letter.offset}) -> ${target ?? '-'}: ${detail ?? ''}`,
    )
  }
  console.info(`${topic}: ${count.replayed} replayed, ${count.failed} failed, ${count.skipped} skipped`)
  return count.failed
}
