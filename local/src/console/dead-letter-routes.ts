// The console's dead-letter browser: `GET /_local/dead-letters` lists what the KafkaSources gave up on,
// `POST /_local/dead-letters/<topic>:<partition>:<offset>/replay` posts one again to the sink it failed
// at with the sender token of the sources that send there. The reading and replaying are the ops tool's
// (`npm run dead-letters`), on whichever event log the system runs.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Backend } from '../../../ops/dead-letters/backends.ts'
import { type DeadLetter, replayDeadLetters } from '../../../ops/dead-letters/dead-letters.ts'
import type { GatewayRoute } from '../gateway.ts'
import { writeProblem } from '../serving/activator-http.ts'

export interface DeadLetterAccess {
  /** The dead-letter topics (the KafkaSinks the KafkaSources dead-letter to). */
  readonly topics: readonly string[]
  /** The reader of the system's event log (opened once, closed with the system). */
  reader(): Promise<Pick<Backend, 'read'>>
  /** The function serving `target`, if any (for the table, and for its senders' token). */
  functionAt(target: string): string | undefined
  /** The token one of the function's sources sends it (the system's issuer). */
  tokenFor(functionName: string): Promise<string | undefined>
}

export interface DeadLetterView {
  /** `<topic>:<partition>:<offset>`: what a replay names (one event id may be dead-lettered by several sources). */
  readonly id: string
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly time: string
  readonly eventId: string | null
  readonly type: string | null
  readonly destination: string | null
  readonly function: string | null
  readonly code: string | null
  /** Why it cannot be replayed; null when it can. */
  readonly problem: string | null
}

/** The newest dead letters listed (the total says how many there are). */
const listLimit = 200

const replayPath = /^\/_local\/dead-letters\/([a-z0-9._-]+):(\d+):(\d+)\/replay$/i

export function deadLetterRoutes(access: DeadLetterAccess): GatewayRoute[] {
  return [
    {
      name: 'local-dead-letters',
      matches: (path) => path === '/_local/dead-letters',
      respond: async (req, res) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET')
        const reader = await openReader(access, res)
        if (reader === undefined) return
        const views: DeadLetterView[] = []
        for (const topic of access.topics) {
          for (const letter of await reader.read(topic)) views.push(viewOf(topic, letter, access))
        }
        views.sort((a, b) => b.time.localeCompare(a.time))
        sendJson(res, 200, { total: views.length, deadLetters: views.slice(0, listLimit) })
      },
    },
    {
      name: 'local-dead-letter-replay',
      matches: (path) => path.startsWith('/_local/dead-letters/'),
      respond: async (req, res) => {
        const path = (req.url ?? '').split('?')[0] ?? ''
        // `:` may come percent-encoded (encodeURIComponent); the pattern admits nothing else.
        const match = replayPath.exec(path.replaceAll(/%3a/gi, ':'))
        if (match === null) return writeProblem(res, 404, 'Not Found', `no route for ${path}`)
        if (req.method !== 'POST') return methodNotAllowed(res, 'POST')
        // A replay changes things: only a page of this gateway may ask for one (no cross-site POST).
        if (!sameOrigin(req))
          return writeProblem(res, 403, 'Forbidden', 'a replay must come from this gateway (Origin header)')
        const [, topic, partition, offset] = match as unknown as [string, string, string, string]
        if (!access.topics.includes(topic))
          return writeProblem(res, 404, 'Not Found', `${topic} is not a dead-letter topic`)
        const reader = await openReader(access, res)
        if (reader === undefined) return
        const letter = (await reader.read(topic)).find(
          (candidate) => candidate.partition === Number(partition) && candidate.offset === offset,
        )
        if (letter === undefined)
          return writeProblem(res, 404, 'Not Found', `no dead letter at ${topic} ${partition}/${offset}`)
        const name = letter.destination === undefined ? undefined : access.functionAt(letter.destination)
        const token = name === undefined ? undefined : await access.tokenFor(name)
        const [outcome] = await replayDeadLetters([letter], token === undefined ? {} : { token })
        sendJson(res, 200, {
          id: `${topic}:${partition}:${offset}`,
          result: outcome?.result,
          target: outcome?.target ?? null,
          detail: outcome?.detail ?? null,
        })
      },
    },
  ]
}

function viewOf(topic: string, letter: DeadLetter, access: DeadLetterAccess): DeadLetterView {
  return {
    id: `${topic}:${letter.partition}:${letter.offset}`,
    topic,
    partition: letter.partition,
    offset: letter.offset,
    time: new Date(letter.timestamp).toISOString(),
    eventId: letter.id ?? null,
    type: letter.type ?? null,
    destination: letter.destination ?? null,
    function: letter.destination === undefined ? null : (access.functionAt(letter.destination) ?? null),
    code: letter.code ?? null,
    problem:
      letter.message === undefined || letter.destination === undefined
        ? (letter.problem ?? 'no knativeerrordest: nowhere to replay it')
        : null,
  }
}

/** The Origin of a browser's POST is the page's: it must be this gateway, under the Host it was asked by. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  const host = req.headers.host
  return origin !== undefined && host !== undefined && origin.toLowerCase() === `http://${host.toLowerCase()}`
}

async function openReader(
  access: DeadLetterAccess,
  res: ServerResponse,
): Promise<Pick<Backend, 'read'> | undefined> {
  try {
    return await access.reader()
  } catch (error) {
    writeProblem(res, 503, 'Service Unavailable', error instanceof Error ? error.message : String(error))
    return undefined
  }
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow)
  writeProblem(res, 405, 'Method Not Allowed', `use ${allow}`)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}
