import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import type { ApiRoute } from '../../support/api-routes.ts'
import { printableWithBody } from '../../support/fuzzing.ts'

// Generators of requests to the Task API for the bad-input fuzzer: every route of the router, every
// input channel (path, query, headers, method, body), mostly near-valid so a request gets past the
// first check and reaches the deeper ones, plus arbitrary JSON, arbitrary bytes and oversized bodies.

export type FuzzCase = {
  /** Which generator made it, for the per-family counts. */
  readonly family: string
  /** The router pattern it aims at (`/tasks/:id`), or `unknown route`. */
  readonly route: string
  readonly method: string
  /** Path and query, already encoded as they go on the wire. */
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: Buffer
  /** Sent with Transfer-Encoding: chunked and no Content-Length. */
  readonly chunked?: boolean
  /** Whether the path still names `route` (an empty parameter or `//` lands elsewhere). */
  readonly exact: boolean
  /** Methods the route has, when the path names the route exactly and the method is not one of them. */
  readonly allowed?: readonly string[]
}

/** What the generators draw on: tasks that exist, whose they are, and the API's body limit. */
export type FuzzWorld = {
  readonly routes: readonly ApiRoute[]
  /** Tasks alice created (bob is assignee of some, carol watches some). */
  readonly taskIds: readonly string[]
  readonly bodyLimitBytes: number
}

export const users = ['alice', 'bob', 'carol', 'mallory'] as const
// CONNECT is left out: Node hands it to a 'connect' listener (the API has none, so Node closes the
// connection), it never reaches the app. FOO and BREW are methods Node's parser does not know.
const httpMethods = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'M-SEARCH',
  'FOO',
  'BREW',
] as const

/** Characters a header value may carry on the wire (RFC 9110 field-vchar, obs-text, SP, HTAB). */
const headerSafe = (text: string) => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '')
/** A Unicode string as its UTF-8 bytes in a latin1 header (what a client sending UTF-8 puts on the wire). */
const utf8OnTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1')

const weirdText = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', 'null', '0', '-1', '%', '%00', '\\', '"', "'", '<script>', '../..'),
  fc.constantFrom('Zoë', '日本語', '🦄🦄', '\u202eevil', 'a\u0301', '\ud800', '\uffff', 'x'.repeat(201)),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
)

const isoDate = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString())
const edgeDate = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59-14:00',
  '10000-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T00:00:00+25:00',
  '2026-01-01',
  '2026-01-01T00:00:00',
  '2026-01-01T00:00:00.123456789Z',
  '+002026-01-01T00:00:00Z',
  'tomorrow',
)
const anyDate = fc.oneof({ weight: 10, arbitrary: isoDate }, edgeDate)
const userId = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...users) },
  fc.constantFrom('', 'a'.repeat(128), 'a'.repeat(129), 'a b', 'zoë', 'x|y:z@w.v-u_t'),
  weirdText,
)
const tag = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('backend', 'urgent', 'x', 'a'.repeat(32)) },
  fc.constantFrom('', '-x', 'a'.repeat(33), 'a b', 'é'),
  weirdText,
)

/** A value of the wrong kind for whatever field it replaces. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, 2 ** 53, 2 ** 31, [], {}, [null], { a: 1 }),
  weirdText,
  fc.string({ maxLength: 10_000 }).map((text) => text.padEnd(10_001, 'x')),
  fc.jsonValue({ maxDepth: 3 }),
)

// When a task is due and when to remind: remindAt and remindMinutesBefore exclude each other, and
// remindMinutesBefore needs dueAt, so a valid body picks one of these shapes (mutations break them).
const schedule = fc.oneof(
  fc.constant({}),
  fc.record({ dueAt: fc.option(anyDate, { nil: null }) }),
  fc.record({ dueAt: anyDate, remindAt: fc.option(anyDate, { nil: null }) }),
  fc.record({ dueAt: anyDate, remindMinutesBefore: fc.integer({ min: 0, max: 60 * 24 * 365 }) }),
)
const createTaskBody = fc
  .tuple(
    fc.record(
      {
        title: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.constant('t')),
        description: fc.option(fc.string({ unit: 'grapheme', maxLength: 100 }), { nil: null }),
        status: fc.constantFrom('open', 'in_progress'),
        priority: fc.constantFrom('low', 'normal', 'high', 'urgent'),
        assignee: fc.option(userId, { nil: null }),
        watchers: fc.array(userId, { maxLength: 4 }),
        tags: fc.array(tag, { maxLength: 4 }),
      },
      { requiredKeys: ['title'] },
    ),
    schedule,
  )
  .map(([fields, when]) => ({ ...fields, ...when }))
const updateTaskBody = createTaskBody.map(({ title, ...rest }) => ({ ...rest, title }))
const preferencesBody = fc.record(
  {
    timeZone: fc.constantFrom('UTC', 'Europe/Paris', 'America/St_Johns', 'Mars/Olympus', ''),
    quietHours: fc.option(
      fc.record({
        start: fc.constantFrom('22:00', '00:00', '23:59', '24:00', '7:00'),
        end: fc.constantFrom('07:00', '22:00', '00:00'),
      }),
      { nil: null },
    ),
    email: fc.option(fc.record({ address: fc.oneof(fc.emailAddress(), fc.constant('not-an-address')) }), {
      nil: null,
    }),
    webhook: fc.option(
      fc.record({
        url: fc.oneof(fc.webUrl(), fc.constantFrom('ftp://x', 'http://127.0.0.1:9/x', 'nope')),
        secret: fc.string({ minLength: 10, maxLength: 40 }),
      }),
      { nil: null },
    ),
    channels: fc.dictionary(
      fc.constantFrom('task.created', 'task.updated', 'task.completed', 'reminder.due', 'task.deleted'),
      fc.record(
        { in_app: fc.boolean(), webhook: fc.boolean(), email: fc.oneof(fc.boolean(), fc.constant('yes')) },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
)

/** Drops, retypes or adds fields of a valid-looking object: the near misses a client really sends. */
function mutated(base: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('retype' as const), pick: fc.nat(), value: wrongValue }),
    fc.record({
      kind: fc.constant('add' as const),
      name: fc.oneof(fc.constantFrom('id', 'version', 'createdBy', '__proto__', 'constructor'), weirdText),
      value: wrongValue,
    }),
  )
  return fc
    .tuple(base, fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })))
    .map(([object, mutations]) => {
      const result: Record<string, unknown> = { ...object }
      for (const change of mutations) {
        const keys = Object.keys(result)
        if (change.kind === 'add') {
          Object.defineProperty(result, change.name, {
            value: change.value,
            enumerable: true,
            writable: true,
            configurable: true,
          })
        } else if (keys.length > 0) {
          const key = keys[change.pick % keys.length]!
          if (change.kind === 'drop') delete result[key]
          else result[key] = change.value
        }
      }
      return result
    })
}

const jsonBodies: Record<string, fc.Arbitrary<unknown>> = {
  'POST /tasks': mutated(createTaskBody),
  'PATCH /tasks/:id': mutated(updateTaskBody),
  'POST /tasks/:id/complete': fc.oneof(fc.constant({}), mutated(fc.constant({}))),
  'PUT /notifications/preferences': mutated(preferencesBody),
}

/** Bytes of a body: near-valid JSON for the route, arbitrary JSON, broken JSON or arbitrary bytes. */
function bodyBytes(routeKey: string): fc.Arbitrary<{ family: string; body: Buffer }> {
  const nearValid = jsonBodies[routeKey] ?? mutated(fc.constant({}))
  const json = (family: string, value: fc.Arbitrary<unknown>) =>
    value.map((body) => ({ family, body: Buffer.from(JSON.stringify(body) ?? 'null') }))
  return fc.oneof(
    { weight: 6, arbitrary: json('near-valid body', nearValid) },
    { weight: 2, arbitrary: json('arbitrary JSON body', fc.jsonValue({ maxDepth: 4 })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(nearValid, fc.nat(), fc.constantFrom('', '{', '}', ',', '"', '\\', '\u0000', 'ÿ'))
        .map(([value, at, insert]) => {
          const text = JSON.stringify(value) ?? ''
          const cut = at % (text.length + 1)
          return { family: 'broken JSON body', body: Buffer.from(text.slice(0, cut) + insert) }
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .uint8Array({ maxLength: 512 })
        .map((bytes) => ({ family: 'arbitrary bytes body', body: Buffer.from(bytes) })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 20_000 }).map((depth) => ({
        family: 'deeply nested JSON body',
        body: Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`),
      })),
    },
  )
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=nope',
    'APPLICATION/JSON',
    'application/merge-patch+json',
    'application/problem+json',
    'application/cloudevents+json',
    'text/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'json',
    ';;;',
    '',
    'application/json; charset=utf-8; charset=latin1',
  ),
  weirdText.map(headerSafe),
)

const contentEncoding = fc.constantFrom(
  'gzip (valid)',
  'gzip',
  'deflate',
  'br',
  'identity',
  'compress',
  'nope',
  'gzip, gzip',
)

const authorization = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...users).map((user) => `Bearer dev.${user}`) },
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'Bearer dev.',
    `Bearer dev.${'a'.repeat(129)}`,
    'bearer dev.alice',
    'BEARER  dev.alice',
    'Bearer dev.alice trailing',
    'Bearer dev.al ice',
    'Basic YWxpY2U6c2VjcmV0',
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.',
    'Bearer dev.alice\t',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((user) => `Bearer dev.${utf8OnTheWire(user)}`),
  weirdText.map((text) => headerSafe(`Bearer ${text}`)),
)

const ifMatch = fc.oneof(
  fc.constantFrom('"1"', '"2"', '"3"', '*', 'W/"1"', '"1", "2"', '"abc"', '1', '""', '"0"'),
  fc.constantFrom('"9999999999"', '"99999999999"', '"-1"', '"1.5"', '*, "1"', ' "1" ', ',', '"'.repeat(9)),
  fc
    .array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 40 })
    .map((tags) => tags.map((n) => `"${n}"`).join(',')),
  weirdText.map(headerSafe),
)

const idempotencyKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('key-1', 'key-2', 'key-3') },
  fc.uuid(),
  fc.constantFrom('', ' ', 'a'.repeat(255), 'a'.repeat(256), 'a b', 'clé'),
  fc.string({ maxLength: 300 }).map(headerSafe),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(utf8OnTheWire),
)

const requestId = fc.oneof(
  fc.uuid(),
  fc.constantFrom('', 'a'.repeat(128), 'a'.repeat(129), 'with space', '../../etc/passwd'),
  weirdText.map(headerSafe),
)

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
const traceparent = fc.oneof(
  fc.tuple(hex(32), hex(16)).map(([trace, span]) => `00-${trace}-${span}-01`),
  fc.constantFrom(
    '00-00000000000000000000000000000000-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra',
  ),
  weirdText.map(headerSafe),
)

/** Optional headers a well-behaved client sends, each present in some cases only. */
const cleanHeaders = fc.record(
  {
    'if-match': fc.constantFrom('"1"', '*'),
    'idempotency-key': fc.uuid(),
    'x-request-id': fc.uuid(),
    traceparent: fc.tuple(hex(32), hex(16)).map(([trace, span]) => `00-${trace}-${span}-01`),
  },
  { requiredKeys: [] },
)

/** Optional headers in any form, each present in some cases only. */
const noisyHeaders = fc.record(
  {
    'if-match': ifMatch,
    'idempotency-key': idempotencyKey,
    'x-request-id': requestId,
    traceparent,
    tracestate: weirdText.map(headerSafe),
    accept: fc.constantFrom('application/json', '*/*', 'text/html', 'application/problem+json', 'garbage'),
    'last-event-id': weirdText.map(headerSafe),
  },
  { requiredKeys: [] },
)

/** A path segment for a route parameter: mostly ids that exist, then near misses and garbage. */
function paramValue(world: FuzzWorld): fc.Arbitrary<string> {
  const existing = world.taskIds.length > 0 ? fc.constantFrom(...world.taskIds) : fc.uuid()
  return fc.oneof(
    { weight: 8, arbitrary: existing },
    { weight: 2, arbitrary: fc.uuid({ version: [4, 7] }) },
    existing.map((id) => id.toUpperCase()),
    existing.map((id) => `${id}x`),
    existing.map((id) => id.replaceAll('-', '')),
    fc.constantFrom('not-a-uuid', '%', '%E0%A4%A', '%00', '%2F', '%2e%2e', '..', '%ZZ', '%C0%AF', '%FF%FE'),
    fc.constantFrom('a'.repeat(300), '%25', '%20', '0', '-1', 'null', 'undefined', '__proto__'),
    weirdText.map((text) => encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ''))),
    fc
      .string({ unit: fc.constantFrom('a', '%', 'E', '0', 'f', '.', '-', '~', '!', '$', '(', ';', ':', '@') })
      .filter((text) => text.length > 0),
  )
}

const queryKeysByRoute: Record<string, readonly string[]> = {
  '/tasks': ['status', 'assignee', 'tag', 'dueBefore', 'dueAfter', 'limit', 'cursor'],
  '/audit': ['task', 'actor', 'type', 'from', 'to', 'cursor', 'limit'],
  '/tasks/:id/audit': ['task', 'actor', 'type', 'from', 'to', 'cursor', 'limit'],
  '/notifications': ['unread', 'limit', 'cursor', 'view', 'action', 'id'],
}

function queryValue(world: FuzzWorld): fc.Arbitrary<string> {
  const cursorOf = (after: unknown) => Buffer.from(JSON.stringify({ after })).toString('base64url')
  // The functions' cursors are `seq:<n>` in base64url: forged ones, some past the bigint range.
  const seqCursor = fc
    .oneof(
      fc.bigInt({ min: 0n, max: 10n ** 19n }),
      fc.constantFrom(9223372036854775807n, 9223372036854775808n),
    )
    .map((seq) => Buffer.from(`seq:${seq}`).toString('base64url'))
  return fc.oneof(
    fc.constantFrom('open', 'in_progress', 'done', 'alice', 'backend', 'true', 'false', 'list', 'stream'),
    fc.constantFrom('1', '50', '100', '0', '-1', '101', '1e2', '1.5', 'NaN', 'Infinity', '0x10', ' 5'),
    anyDate,
    paramValue(world),
    fc.uuid().map(cursorOf),
    seqCursor,
    fc.constantFrom(cursorOf('nope'), cursorOf(null), 'bm9wZQ', '!!!', 'e30', 'x'.repeat(201)),
    fc.integer({ min: 1, max: 100_000 }).map(String),
    weirdText,
  )
}

/** `key=value&...` with keys the route knows, unknown keys, repeats, bracket forms and broken escapes. */
function queryString(world: FuzzWorld, routePath: string): fc.Arbitrary<string> {
  const known = queryKeysByRoute[routePath] ?? ['limit', 'cursor']
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    fc.constantFrom('colour', 'status[]', 'limit[a]', '__proto__', '', 'a.b'),
    weirdText,
  )
  const pair = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(key, queryValue(world)).map(([k, v]) => `${encodeQuery(k)}=${encodeQuery(v)}`),
    },
    fc.constantFrom('%', '%E0%A4%A', 'limit=%', '=', '&', 'limit', 'limit==5', 'status=%ZZ', 'a=%00'),
  )
  return fc.array(pair, { maxLength: 6 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.join('&')}`))
}

function encodeQuery(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ''))
}

function fillPath(pattern: string, values: readonly string[]): string {
  let next = 0
  return pattern.replace(/:[A-Za-z]+/g, () => values[next++] ?? '')
}

/** Whether the filled path still matches the route's pattern (an empty segment or `//` does not). */
function namesRouteExactly(pattern: string, params: readonly string[], slash: string): boolean {
  const count = pattern.split(':').length - 1
  return slash !== '//' && params.slice(0, count).every((value) => value !== '')
}

const bodyMethods = new Set(['POST', 'PUT', 'PATCH'])

/** A request to one route of the router: one of `methods`, or now and then one it does not have. */
function routeCase(world: FuzzWorld, route: ApiRoute, methods = route.methods): fc.Arbitrary<FuzzCase> {
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...methods) },
    { weight: 1, arbitrary: fc.constantFrom(...httpMethods) },
  )
  return fc
    .record({
      method,
      params: fc.array(paramValue(world), { minLength: 3, maxLength: 3 }),
      query: queryString(world, route.path),
      authorization: fc.option(authorization, { freq: 12 }),
      // Half the cases send only well-formed headers, so a body gets as far as it can on its own merit.
      headers: fc.oneof(cleanHeaders, noisyHeaders),
      contentType,
      encoding: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, contentEncoding),
      slash: fc.constantFrom('', '', '', '', '/', '//'),
    })
    .chain((drawn) => {
      const routeKey = `${drawn.method} ${route.path}`
      const sendsBody = bodyMethods.has(drawn.method)
      return (sendsBody ? bodyBytes(routeKey) : fc.constant(undefined)).map((body): FuzzCase => {
        const headers: Record<string, string> = { ...drawn.headers }
        if (drawn.authorization !== null) headers.authorization = drawn.authorization
        let bytes = body?.body
        if (bytes !== undefined) {
          headers['content-type'] = drawn.contentType
          if (drawn.encoding === 'gzip (valid)') {
            headers['content-encoding'] = 'gzip'
            bytes = gzipSync(bytes)
          } else if (drawn.encoding !== null) {
            headers['content-encoding'] = drawn.encoding
          }
        }
        const supported =
          route.methods.includes(drawn.method) || (drawn.method === 'HEAD' && route.methods.includes('GET'))
        const exact = namesRouteExactly(route.path, drawn.params, drawn.slash)
        return {
          family: body?.family ?? 'path, query and headers',
          route: route.path,
          method: drawn.method,
          path: fillPath(route.path, drawn.params) + drawn.slash + drawn.query,
          headers,
          ...(bytes === undefined ? {} : { body: bytes }),
          exact,
          ...(supported || !exact ? {} : { allowed: route.methods }),
        }
      })
    })
}

/** A body just over the limit (or far over it), declared or chunked, to a route that reads bodies. */
function oversizedCase(world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const targets = world.routes.flatMap((route) =>
    route.methods.filter((method) => bodyMethods.has(method)).map((method) => ({ route, method })),
  )
  return fc
    .record({
      target: fc.constantFrom(...targets),
      // An id that names the route, so the body limit is what the answer is about.
      id: world.taskIds.length > 0 ? fc.constantFrom(...world.taskIds) : fc.uuid(),
      over: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 2 * world.bodyLimitBytes })),
      chunked: fc.boolean(),
      user: fc.constantFrom(...users),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/merge-patch+json',
      ),
    })
    .map(({ target, id, over, chunked, user, contentType }) => {
      const size = world.bodyLimitBytes + over
      const prefix = '{"title":"'
      const body = Buffer.from(`${prefix}${'x'.repeat(size - prefix.length - 2)}"}`)
      return {
        family: chunked ? 'oversized chunked body' : 'oversized body',
        route: target.route.path,
        method: target.method,
        path: fillPath(target.route.path, [id, id, id]),
        headers: { authorization: `Bearer dev.${user}`, 'content-type': contentType, 'if-match': '"1"' },
        body,
        chunked,
        exact: true,
      }
    })
}

/** A path no route has, or a route path bent out of shape. */
function unknownRouteCase(world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const segment = fc.oneof(
    paramValue(world),
    fc.constantFrom('tasks', 'audit', 'notifications', 'stream', ''),
  )
  return fc
    .record({
      method: fc.constantFrom(...httpMethods),
      segments: fc.array(segment, { minLength: 1, maxLength: 5 }),
      user: fc.constantFrom(...users),
    })
    .map(({ method, segments, user }) => ({
      family: 'unknown route',
      route: 'unknown route',
      method,
      path: `/${segments.join('/')}`,
      headers: { authorization: `Bearer dev.${user}` },
      exact: false,
    }))
}

/** Header fields larger than Node accepts (16 KiB by default), on any route: 431 before the app. */
function oversizedHeadersCase(world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      route: fc.constantFrom(...world.routes),
      size: fc.integer({ min: 16 * 1024, max: 64 * 1024 }),
      name: fc.constantFrom('x-padding', 'cookie', 'authorization', 'if-match'),
    })
    .map(({ route, size, name }) => ({
      family: 'oversized headers',
      route: route.path,
      method: route.methods[0] ?? 'GET',
      path: fillPath(route.path, world.taskIds.slice(0, 3)),
      headers: { authorization: 'Bearer dev.alice', [name]: 'a'.repeat(size) },
      exact: true,
    }))
}

export function fuzzCase(world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  return anyCase(world).map(printableWithBody)
}

function anyCase(world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const bodyRoutes = world.routes
    .map((route) => ({ route, methods: route.methods.filter((method) => bodyMethods.has(method)) }))
    .filter(({ methods }) => methods.length > 0)
  return fc.oneof(
    { weight: 10, arbitrary: fc.oneof(...world.routes.map((route) => routeCase(world, route))) },
    // Bodies are where most input is: the routes that read one get as many cases again.
    {
      weight: 8,
      arbitrary: fc.oneof(...bodyRoutes.map(({ route, methods }) => routeCase(world, route, methods))),
    },
    { weight: 1, arbitrary: oversizedCase(world) },
    { weight: 1, arbitrary: unknownRouteCase(world) },
    { weight: 1, arbitrary: oversizedHeadersCase(world) },
  )
}
