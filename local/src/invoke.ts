// `npm run invoke -- <function> [--type T] [--data JSON] [--source S] [--id ID] [--format binary|structured]
//  [--url URL] [--token TOKEN]`: sends one CloudEvent to a function of the running local system, as `kn
// func invoke` does (same defaults: source /boson/fn, type boson.fn, data {"message":"Hello World"},
// binary mode). The functions check the sender: the token is one of the function's own sources' (from
// the running system), or --token (on a cluster: `kubectl create token <source ServiceAccount>
// --audience <the function's EVENTS_AUDIENCE>`).
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { z } from 'zod'
import { httpCodec } from '../../events/src/index.ts'
import { readSystemState } from './system-state.ts'

const argsSchema = z.object({
  function: z.string().min(1, 'name the function: npm run invoke -- <function> [--type T] [--data JSON]'),
  type: z.string().min(1).default('boson.fn'),
  source: z.string().min(1).default('/boson/fn'),
  id: z.string().min(1).optional(),
  data: z
    .string()
    .default('{"message":"Hello World"}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `--data is not JSON: ${(error as Error).message}` })
        return z.NEVER
      }
    }),
  format: z.enum(['binary', 'structured']).default('binary'),
  url: z.url().optional(),
  token: z.string().min(1).optional(),
  stateFile: z.string().optional(),
})

export async function invoke(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      type: { type: 'string' },
      source: { type: 'string' },
      id: { type: 'string' },
      data: { type: 'string' },
      format: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      'state-file': { type: 'string' },
    },
  })
  const parsed = argsSchema.safeParse({
    ...values,
    stateFile: values['state-file'],
    function: positionals[0],
  })
  if (!parsed.success) {
    console.error(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'args'}: ${issue.message}`).join('\n'),
    )
    return 2
  }
  const args = parsed.data
  let target = args.url
  let token = args.token
  if (!target) {
    const state = await readSystemState(args.stateFile)
    if (!state) {
      console.error('no running local system found: start it with `npm start`, or pass --url <function URL>')
      return 2
    }
    target = state.functions[args.function]
    if (!target) {
      console.error(
        `unknown function "${args.function}"; running: ${Object.keys(state.functions).join(', ')}`,
      )
      return 2
    }
    token ??= state.invokeTokens[args.function]
  }
  const event = {
    specversion: '1.0',
    id: args.id ?? randomUUID(),
    source: args.source,
    type: args.type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: args.data,
  }
  const { headers, body } = httpCodec.encode(event, { mode: args.format })
  const response = await request(target, {
    method: 'POST',
    headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
    body,
  })
  const text = await response.body.text()
  console.info(`${response.statusCode} from ${args.function} (${target})`)
  for (const [name, value] of Object.entries(response.headers)) {
    if (name.startsWith('ce-') || name === 'content-type') console.info(`${name}: ${value}`)
  }
  if (text) console.info(text)
  return response.statusCode < 300 ? 0 : 1
}

if (import.meta.main) process.exitCode = await invoke(process.argv.slice(2))
