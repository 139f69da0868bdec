import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { isBuiltin } from 'node:module'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { swaggerUiFiles } from '../../../api/src/docs-assets.ts'
import { apiNodeFlags } from '../../../api/src/node-flags.ts'
import { createTestDatabase, postgresAvailable } from '../../support/postgres.ts'

// api/Dockerfile cannot be built here (no Docker engine), so this builds what it builds: its own
// esbuild command, run on the repository, and starts the bundle laid out as the image lays it out.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const dockerfile = readFileSync(join(repoRoot, 'api', 'Dockerfile'), 'utf8')
const dockerignore = readFileSync(join(repoRoot, 'api', 'Dockerfile.dockerignore'), 'utf8')
const stages = dockerfile.split(/^FROM /m).slice(1)
const runtimeStage = stages.at(-1) ?? ''
const packageScripts = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts

/** `npx esbuild ...` of the build stage, split into arguments (double quotes group). */
const esbuildArgs = (() => {
  const line = dockerfile.split('\n').find((text) => text.startsWith('RUN npx esbuild '))
  if (line === undefined) throw new Error('api/Dockerfile has no `RUN npx esbuild` line')
  const args = [...line.slice('RUN npx esbuild '.length).matchAll(/"([^"]*)"|(\S+)/g)]
  return args.map((match) => match[1] ?? match[2] ?? '')
})()
const outdir = esbuildArgs.find((arg) => arg.startsWith('--outdir='))?.slice('--outdir='.length)
const entries = esbuildArgs.filter((arg) => !arg.startsWith('--'))
const outfile = `${outdir}/main.js`
const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtimeStage)?.[1] ?? '[]') as string[]
/** Whole packages the runtime stage copies: those the bundle leaves external. */
const copiedPackages = [
  ...runtimeStage.matchAll(/^COPY --from=build \/src\/node_modules\/(\S+) node_modules\/\1$/gm),
].map((match) => match[1])

const postgresReady = await postgresAvailable()
let scratch: string | undefined
let api: ChildProcess | undefined
afterAll(async () => {
  if (api && api.exitCode === null) {
    api.kill('SIGTERM')
    await once(api, 'exit')
  }
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

describe('api/Dockerfile', () => {
  it('runs node on the bundle its build stage writes, as a non-root user on port 8080', () => {
    expect(stages.map((stage) => stage.split('\n')[0])).toEqual(['node:24-slim AS build', 'node:24-slim'])
    // The API, and the outbox relay's worker thread beside it (relay-thread.ts loads ./relay-worker.js).
    expect(entries).toEqual(['api/src/main.ts', 'api/src/outbox/relay-worker.ts'])
    for (const entry of entries) expect(existsSync(join(repoRoot, entry))).toBe(true)
    expect(esbuildArgs).toContain('--entry-names=[name]')
    // The V8 flags of api/src/node-flags.ts, as `npm run api:start` passes them too.
    expect(cmd).toEqual(['node', ...apiNodeFlags, outfile])
    expect(packageScripts['api:start']).toBe(['node', ...apiNodeFlags, 'api/src/main.ts'].join(' '))
    expect(runtimeStage).toContain(
      `COPY --from=build /src/${outdir}/main.js /src/${outdir}/relay-worker.js ${outdir}/`,
    )
    expect(runtimeStage).toMatch(/^USER node$/m)
    expect(runtimeStage).toMatch(/^EXPOSE 8080$/m)
  })

  it('copies the Swagger UI files /docs serves from the installed package', () => {
    const files = ['package.json', ...swaggerUiFiles]
    expect(runtimeStage).toContain(
      `COPY --from=build ${files.map((file) => `/src/node_modules/swagger-ui-dist/${file}`).join(' ')} node_modules/swagger-ui-dist/\n`,
    )
    for (const file of files)
      expect(existsSync(join(repoRoot, 'node_modules/swagger-ui-dist', file)), file).toBe(true)
  })

  it('copies from the context only what exists and what its .dockerignore lets through', () => {
    const allowed = dockerignore
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1))
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) =>
      (match[1] ?? '').split(' '),
    )
    expect(sources.length).toBeGreaterThan(0)
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true)
      const pattern = (glob: string) =>
        new RegExp(`^${glob.replaceAll('.', '\\.').replaceAll('*', '[^/]+')}$`)
      expect(
        allowed.some((glob) => pattern(glob).test(source)),
        `${source} is filtered out`,
      ).toBe(true)
    }
  })

  it('its esbuild command bundles the API; the bundle imports only the packages the image copies', async () => {
    await mkdir(join(repoRoot, '.data'), { recursive: true })
    scratch = await mkdtemp(join(repoRoot, '.data', 'api-image-'))
    const args = esbuildArgs.map((arg) =>
      arg.startsWith('--outdir=') ? `--outdir=${join(scratch!, outdir ?? '')}` : arg,
    )
    const metafile = join(scratch, 'meta.json')
    await promisify(execFile)(
      join(repoRoot, 'node_modules', '.bin', 'esbuild'),
      [...args, `--metafile=${metafile}`, '--log-level=error'],
      { cwd: repoRoot },
    )
    const meta = JSON.parse(await readFile(metafile, 'utf8')) as {
      outputs: Record<string, { imports: { path: string; external?: boolean }[] }>
    }
    const externals = new Set(
      Object.values(meta.outputs)
        .flatMap((output) => output.imports)
        .filter((imported) => imported.external && !isBuiltin(imported.path))
        .map((imported) =>
          imported.path
            .split('/')
            .slice(0, imported.path.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    )
    // Optional requires inside try/catch, absent from the image by design: pg's native driver and
    // debug's (express) terminal colours.
    const optional = ['pg-native', 'supports-color']
    expect([...externals].filter((name) => !optional.includes(name)).sort()).toEqual(
      [...copiedPackages].sort(),
    )
  })

  it('the bundle starts in the image layout (migrations beside dist/), answers /readyz and exports its spans', async () => {
    if (scratch === undefined) throw new Error('the bundle was not built')
    // An OTLP/HTTP receiver: the cluster's protocol (http/protobuf) from the bundled SDK and exporter.
    const exports: { contentType: string | undefined; bytes: number }[] = []
    const receiver = createServer((req, res) => {
      let bytes = 0
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      req.on('end', () => {
        if (req.url === '/v1/traces') exports.push({ contentType: req.headers['content-type'], bytes })
        res.writeHead(200).end()
      })
    })
    receiver.listen(0, '127.0.0.1')
    await once(receiver, 'listening')
    onTestFinished(() => void receiver.close())
    await mkdir(join(scratch, 'api'), { recursive: true })
    await cp(join(repoRoot, 'api', 'migrations'), join(scratch, 'api', 'migrations'), { recursive: true })
    // The bundle sits inside the repository, so PGlite resolves from its node_modules as from /app's.
    api = spawn(process.execPath, [...apiNodeFlags, join(scratch, outfile)], {
      cwd: scratch,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        PGLITE_DATA_DIR: 'memory://',
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let url: string | undefined
    let tracing = false
    for await (const line of createInterface({ input: api.stdout! })) {
      const record = JSON.parse(line) as { msg?: string; url?: string }
      if (record.msg === 'OpenTelemetry tracing on (OTEL_* settings)') tracing = true
      if (record.msg === 'task API listening') {
        url = record.url
        break
      }
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const ready = await fetch(`${url}/readyz`)
    expect(ready.status).toBe(200)
    // The bundle finds Swagger UI's files where the image puts them (node_modules beside api/dist/).
    const bundleScript = await fetch(`${url}/docs/assets/swagger-ui-bundle.js`)
    expect(bundleScript.status).toBe(200)
    await bundleScript.arrayBuffer()
    const created = await fetch(`${url}/tasks`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev.alice', 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'from the bundle' }),
    })
    expect(created.status).toBe(201)
    expect(tracing).toBe(true)
    // SIGTERM flushes the spans still buffered (the batch processor's delay is 5 s) before the exit.
    api.kill('SIGTERM')
    const [code] = await once(api, 'exit')
    expect(code).toBe(0)
    expect(exports.length).toBeGreaterThan(0)
    for (const sent of exports) {
      expect(sent.contentType).toBe('application/x-protobuf')
      expect(sent.bytes).toBeGreaterThan(0)
    }
  }, 60_000)

  it.runIf(postgresReady)(
    'with OUTBOX_RELAY_THREAD=worker the bundle runs the outbox relay on its thread (dist/relay-worker.js beside it)',
    async () => {
      if (scratch === undefined) throw new Error('the bundle was not built')
      const database = await createTestDatabase()
      const relayApi = spawn(process.execPath, [...apiNodeFlags, join(scratch, outfile)], {
        cwd: scratch,
        env: {
          PATH: process.env.PATH,
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: database.url,
          // Nothing listens there: the relay starts and reports Kafka down; starting is what is checked.
          KAFKA_BROKERS: '127.0.0.1:1',
          OUTBOX_RELAY_THREAD: 'worker',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      try {
        let relayThread: { thread?: string; msg?: string } | undefined
        for await (const line of createInterface({ input: relayApi.stdout! })) {
          const record = JSON.parse(line) as { thread?: string; msg?: string }
          if (record.msg === 'outbox relay started') {
            relayThread = record
            break
          }
        }
        expect(relayThread?.thread).toBe('outbox-relay')
        relayApi.kill('SIGTERM')
        const [code] = await once(relayApi, 'exit')
        expect(code).toBe(0)
      } finally {
        if (relayApi.exitCode === null) relayApi.kill('SIGKILL')
        await database.drop()
      }
    },
    60_000,
  )
})
