// `npm run invoke`: sends one CloudEvent to a function, as `kn func invoke` does: to a function of the
// running local system by name, or to any URL (`--target`, e.g. a function on a cluster). Without
// --data or --file it sends a sample event of --type that validates against the event contract
// (events/), so the functions accept it. The functions check the sender: the token is one of the
// function's own sources' (from the running system), or --token (on a cluster: `kubectl create token
// <source ServiceAccount> --audience <the function's EVENTS_AUDIENCE>`).
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { request } from 'undici'
import { runCommand, UsageError } from '../../cli/src/command-line.ts'
import { isJsonMediaType, mediaTypeOf } from '../../events/src/cloudevent-attributes.ts'
import {
  type CloudEventRecord,
  createEvent,
  EventTypes,
  eventTypeList,
  httpCodec,
  isEventType,
} from '../../events/src/index.ts'
import { sampleData } from './invoke-samples.ts'
import { readSystemState } from './system-state.ts'

const defaultType = EventTypes.TaskCreated

export const usage = `Usage: npm run invoke -- <function> [options]
       npm run invoke -- --target <url> [options]

Sends one CloudEvent to a function, as \`kn func invoke\` does, and prints the answer. The function
handles it for real: an invoke of the running local system writes into it (audit-log appends to the
audit chain, notification-fanout notifies, reminders schedules). --dry-run sends nothing.

  <function>              a function of the running local system (npm start), e.g. audit-log
  --target <url>          send to this URL instead (a function on a cluster, or elsewhere)
  --type <type>           the event type (default ${defaultType}); without --data or --file, a
                          sample event of a taskflow type that its schema accepts:
                          ${eventTypeList.join('\n                          ')}
  --data <text>           the event data, sent as it is (binary mode: the body, byte for byte)
  --file <path>           the event data, read from a file
  --content-type <type>   the data's media type (default application/json)
  --source <uri>          the event source (default /taskflow/invoke)
  --id <id>               the event id (default a fresh UUID)
  --format <mode>         binary (default) or structured
  --token <token>         the sender's token (default for a local function: one of its sources')
  --state-file <path>     which running system, when several run (.data/local/systems/<pid>.json)
  --dry-run               print the request, send nothing
  -h, --help              this text

Exit codes: 0 the function took the event (2xx), 1 it did not or could not be reached, 2 usage
errors and no running local system.`

const options = {
  target: { type: 'string' },
  type: { type: 'string' },
  data: { type: 'string' },
  file: { type: 'string' },
  'content-type': { type: 'string' },
  source: { type: 'string' },
  id: { type: 'string' },
  format: { type: 'string' },
  token: { type: 'string' },
  'state-file': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const

export function invoke(argv: readonly string[]): Promise<number> {
  return runCommand(argv, { usage, options, maxPositionals: 1 }, async ({ values, positionals }) => {
    const name = positionals[0]
    if (name === undefined && values.target === undefined)
      throw new UsageError('name a function of the running system, or give --target <url>')
    if (values.target !== undefined && !URL.canParse(values.target))
      throw new UsageError(`--target ${values.target}: not a URL`)
    const format = values.format ?? 'binary'
    if (format !== 'binary' && format !== 'structured')
      throw new UsageError(`--format ${format}: binary or structured`)
    const event = await eventOf(values, format)
    const { headers, body } = httpCodec.encode(event, { mode: format })

    let target = values.target
    let token = values.token
    if (target === undefined) {
      const state = await readSystemState(values['state-file'])
      if (!state) {
        console.error('no running local system found: start it with `npm start`, or give --target <url>')
        return 2
      }
      target = state.functions[name!]
      if (!target) {
        console.error(`unknown function "${name}"; running: ${Object.keys(state.functions).join(', ')}`)
        return 2
      }
      token ??= state.invokeTokens[name!]
    }
    const label = name === undefined ? target : `${name} (${target})`
    if (values['dry-run']) {
      console.info(`would POST to ${label}`)
      for (const [header, value] of Object.entries(headers)) console.info(`${header}: ${value}`)
      console.info(`\n${typeof body === 'string' ? body : body.toString('utf8')}`)
      return 0
    }
    console.error(
      `note: ${label} handles ${event.type} ${event.id} for real (it may write to its database, e.g. the audit chain)`,
    )
    let response: Awaited<ReturnType<typeof request>>
    try {
      response = await request(target, {
        method: 'POST',
        headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
        body,
      })
    } catch (error) {
      console.error(`could not reach ${label}: ${(error as Error).message}`)
      return 1
    }
    const text = await response.body.text()
    console.info(`${response.statusCode} from ${label}`)
    for (const [header, value] of Object.entries(response.headers)) {
      if (header.startsWith('ce-') || header === 'content-type') console.info(`${header}: ${value}`)
    }
    if (text) console.info(text)
    return response.statusCode < 300 ? 0 : 1
  })
}

type Values = {
  type?: string
  data?: string
  file?: string
  'content-type'?: string
  source?: string
  id?: string
}

/** The event: a sample of the contract, or the given data with the given attributes. */
async function eventOf(values: Values, format: 'binary' | 'structured'): Promise<CloudEventRecord> {
  const type = values.type ?? defaultType
  const source = values.source ?? '/taskflow/invoke'
  const id = values.id ?? randomUUID()
  if (values.data !== undefined && values.file !== undefined)
    throw new UsageError('--data and --file: give one of them')
  let bytes: Buffer | undefined
  if (values.data !== undefined) bytes = Buffer.from(values.data, 'utf8')
  if (values.file !== undefined) {
    bytes = await readFile(values.file).catch((error: Error) => {
      throw new UsageError(`--file ${values.file}: ${error.message}`)
    })
  }
  if (bytes === undefined) {
    if (values['content-type'] !== undefined)
      throw new UsageError('--content-type describes --data or --file: give one of them')
    if (!isEventType(type))
      return {
        specversion: '1.0',
        id,
        source,
        type,
        time: new Date().toISOString(),
        data: { message: 'Hello World' },
      }
    const now = new Date()
    return createEvent({ type, source, id, time: now, data: sampleData[type](now) as never })
  }
  const contentType = values['content-type'] ?? 'application/json'
  const event: CloudEventRecord = {
    specversion: '1.0',
    id,
    source,
    type,
    time: new Date().toISOString(),
    datacontenttype: contentType,
  }
  const mediaType = mediaTypeOf(contentType)
  if (format === 'binary') {
    // Byte for byte, as kn func invoke sends it: a broken body is how a dead letter is reproduced.
    event.data = bytes
  } else if (isJsonMediaType(mediaType)) {
    try {
      event.data = JSON.parse(bytes.toString('utf8')) as unknown
    } catch (error) {
      throw new UsageError(
        `the data is not JSON (${(error as Error).message}): structured mode embeds it; use --format binary to send it as it is`,
      )
    }
  } else if (mediaType?.startsWith('text/')) {
    event.data = bytes.toString('utf8')
  } else {
    event.data_base64 = bytes.toString('base64')
  }
  return event
}

if (import.meta.main) process.exitCode = await invoke(process.argv.slice(2))
