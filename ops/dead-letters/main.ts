// `npm run dead-letters -- list|replay [options]`: the dead-letter topic read back, and replayed on demand,
// on either event log: Kafka (KAFKA_BROKERS, with the Task API's settings) or the embedded log of the
// running local system (`npm start`'s default), found through its status endpoint.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { runCommand, UsageError } from '../../cli/src/command-line.ts'
import type { Backend } from './backends.ts'
import type { DeadLetter, DeadLetterFilter } from './dead-letters.ts'

export const usage = `Usage: npm run dead-letters -- <list|replay> [options]

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
                         (--destination); for the running local system, its own tokens are sent
  --dry-run              replay: print what would be sent, send nothing
  --topic <name>         the dead-letter topic (default: the KafkaSink the KafkaSources dead-letter to)
  --state-file <path>    which running local system, when several run (.data/local/systems/<pid>.json)
  -h, --help             this text

Where the dead letters are read, first that applies:
  KAFKA_BROKERS          Kafka, with the Task API's KAFKA_SASL_MECHANISM/USERNAME/PASSWORD,
                         KAFKA_CA_FILE and KAFKA_TLS
  the running system     \`npm start\`'s event log: its embedded log, or its Kafka
  DATABASE_URL           the embedded event log kept in that PostgreSQL

Exit codes: 0 done, 1 a replayed event was refused, 2 usage errors and no event log reachable.`

const options = {
  destination: { type: 'string' },
  code: { type: 'string', multiple: true },
  since: { type: 'string' },
  to: { type: 'string' },
  'token-file': { type: 'string' },
  'dry-run': { type: 'boolean' },
  topic: { type: 'string' },
  'state-file': { type: 'string' },
} as const

export function deadLetters(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  return runCommand(argv, { usage, options, maxPositionals: 1 }, async ({ values, positionals }) => {
    const command = positionals[0]
    if (command !== 'list' && command !== 'replay')
      throw new UsageError(`unknown command ${command ?? '(none)'}`)
    for (const code of values.code ?? []) {
      if (!/^([1-5]xx|[1-5]\d\d)$/i.test(code))
        throw new UsageError(`--code ${code}: an HTTP status (503) or a class (5xx)`)
    }
    const since = values.since === undefined ? undefined : new Date(values.since)
    if (since !== undefined && Number.isNaN(since.getTime()))
      throw new UsageError(`--since ${values.since}: not an ISO-8601 time`)
    if (values.to !== undefined && !URL.canParse(values.to))
      throw new UsageError(`--to ${values.to}: not a URL`)
    const filter: DeadLetterFilter = {
      ...(values.destination === undefined ? {} : { destination: values.destination }),
      ...(values.code === undefined ? {} : { codes: values.code }),
      ...(since === undefined ? {} : { since }),
    }
    const token =
      values['token-file'] === undefined
        ? undefined
        : await readFile(values['token-file'], 'utf8').then(
            (text) => text.trim(),
            (error: Error) => {
              throw new UsageError(`--token-file: ${error.message}`)
            },
          )

    // Loaded once the command line is good: `--help` and a usage error answer without kafkajs and pg.
    const [{ NoEventLog, openBackend }, { ConfigError }, letters, { loadSystemManifests }] =
      await Promise.all([
        import('./backends.ts'),
        import('../../platform/src/env.ts'),
        import('./dead-letters.ts'),
        import('../../sources/src/manifests.ts'),
      ])
    let backend: Backend
    try {
      backend = await openBackend(env, values['state-file'])
    } catch (error) {
      if (!(error instanceof NoEventLog || error instanceof ConfigError)) throw error
      console.error(error.message)
      return 2
    }
    try {
      console.error(`dead letters from ${backend.describe}`)
      const topics =
        values.topic === undefined
          ? letters.deadLetterTopics(loadSystemManifests(resolve(import.meta.dirname, '../..')))
          : [values.topic]
      let failed = 0
      for (const topic of topics) {
        const found = (await backend.read(topic)).filter((letter) => letters.matches(letter, filter))
        if (command === 'list') printSummary(topic, found)
        else if (values['dry-run']) printReplayPlan(topic, found, values.to)
        else failed += await replay(topic, found, values.to, token ?? backend.tokenFor)
      }
      return failed > 0 ? 1 : 0
    } finally {
      await backend.close()
    }
  })
}

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

function printReplayPlan(topic: string, letters: readonly DeadLetter[], to: string | undefined): void {
  for (const letter of letters) {
    const target = letter.message === undefined ? undefined : (to ?? letter.destination)
    console.info(
      `would post ${letter.id ?? '(not a CloudEvent)'} (${topic} ${letter.partition}/${letter.offset}) to ` +
        (target ?? `(nowhere: ${letter.problem ?? 'no knativeerrordest'})`),
    )
  }
}

async function replay(
  topic: string,
  letters: readonly DeadLetter[],
  to: string | undefined,
  token: string | ((target: string) => string | undefined),
): Promise<number> {
  const { replayDeadLetters } = await import('./dead-letters.ts')
  const outcomes = await replayDeadLetters(letters, { ...(to === undefined ? {} : { to }), token })
  const count = { replayed: 0, failed: 0, skipped: 0 }
  for (const { letter, target, result, detail } of outcomes) {
    count[result] += 1
    console.info(
      `${result.padEnd(8)} ${letter.id ?? '-'} (${topic} ${letter.partition}/${letter.offset}) -> ${target ?? '-'}: ${detail ?? ''}`,
    )
  }
  console.info(`${topic}: ${count.replayed} replayed, ${count.failed} failed, ${count.skipped} skipped`)
  return count.failed
}

if (import.meta.main) process.exit(await deadLetters(process.argv.slice(2)))
