import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../support/schemas.ts'

// A function image carries neither PGlite (a devDependency, pruned) nor more of OpenTelemetry than the
// trace SDK, so the kit must load them only when a setting asks: PGlite without a database URL, the
// SDK with an OTLP endpoint (or OTEL_TRACES_EXPORTER). Each case runs in a process of its own, which
// records every npm package it loads (tests/support/fixtures/module-loads.ts).

const run = promisify(execFile)
const probe = join(repoRoot, 'tests/support/fixtures/module-loads.ts')
const otelUnset = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('OTEL_'))
    .map((name) => [name, undefined]),
)

async function loads(
  kase: 'telemetry' | 'database',
  env: Record<string, string | undefined>,
): Promise<{
  loaded: string[]
  error?: string
  tracing?: boolean
  afterImport?: string[]
  embedded?: boolean
}> {
  const { stdout } = await run(process.execPath, [probe, kase], {
    cwd: repoRoot,
    env: { ...process.env, ...otelUnset, ...env },
    timeout: 60_000,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')
}

const sdkPackages = (loaded: string[]) =>
  loaded.filter((name) => name.startsWith('@opentelemetry/') && name !== '@opentelemetry/api')

describe('the OpenTelemetry SDK is loaded on demand', () => {
  it('not at all without an OTLP endpoint, or with an empty one', async () => {
    for (const endpoint of [undefined, '', '  ']) {
      const result = await loads('telemetry', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
      expect(result.tracing, String(endpoint)).toBe(false)
      expect(sdkPackages(result.loaded), String(endpoint)).toEqual([])
    }
  })

  it('with an endpoint: the trace SDK and the OTLP/HTTP protobuf exporter, never sdk-node', async () => {
    const result = await loads('telemetry', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })
    expect(result).toMatchObject({ tracing: true })
    expect(sdkPackages(result.loaded)).toEqual(
      expect.arrayContaining(['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']),
    )
    expect(result.loaded).not.toContain('@opentelemetry/sdk-node')
    expect(result.loaded).not.toContain('@opentelemetry/exporter-trace-otlp-grpc')
  })

  it('refuses gRPC at start, saying which protocol to set', async () => {
    const result = await loads('telemetry', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    })
    expect(result.error).toMatch(/UnsupportedTraceExportError: .*set http\/protobuf/)
  })
})

describe('PGlite is loaded on demand', () => {
  it('not when the database layer is imported', async () => {
    const result = await loads('database', {})
    expect(result.afterImport).toEqual([])
    expect(result.embedded).toBe(true)
  })

  it('absent (a cluster image): a clear error naming DATABASE_URL and the package', async () => {
    const result = await loads('database', {
      MISSING_PACKAGES: '@electric-sql/pglite,@electric-sql/pglite-socket',
    })
    expect(result.error).toMatch(
      /^EmbeddedDatabaseUnavailableError: .*@electric-sql\/pglite is not installed: set DATABASE_URL/,
    )
  })
})
