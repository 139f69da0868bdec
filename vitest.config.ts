import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

/** The files under tests/unit whose suites run per database backend (describeEachDatabase). */
function storageSuites(): string[] {
  const dir = join(root, 'tests/unit')
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .filter((file) => readFileSync(join(dir, file), 'utf8').includes('describeEachDatabase('))
    .map((file) => relative(root, join(dir, file)))
}

// Three projects: `unit` needs no service (its storage suites run on an in-process PGlite); `storage`
// runs those same storage suites on the real PostgreSQL; `integration` talks to a real Kafka broker and
// a real PostgreSQL (see tests/support/services.ts for how a missing service skips locally but fails
// in CI).
export default defineConfig({
  // Functions import their kit as `#kit` (a package.json import of their vendored bundle when deployed);
  // tests run them against the kit's source so a kit change is tested before it is vendored.
  resolve: { alias: { '#kit': fileURLToPath(new URL('./function-kit/src/index.ts', import.meta.url)) } },
  test: {
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          provide: { storageBackends: 'pglite' },
          // Storage suites start an in-process PGlite per file (seconds on a loaded 2-core machine).
          hookTimeout: 60_000,
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'storage',
          include: storageSuites(),
          provide: { storageBackends: 'postgres' },
          hookTimeout: 60_000,
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          provide: { storageBackends: 'pglite,postgres' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Integration suites share one broker and one PostgreSQL server: run files one at a time so
          // timing-sensitive tests do not fight for the two cores.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['tests/reliability/**/*.test.ts'],
          // Each scenario starts its own broker(s) and database and injects faults into them; they run one
          // at a time, since a scenario's figures mean little while another one loads the two cores.
          testTimeout: 600_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
