import type { Express } from 'express'
import { pino } from 'pino'
import { createApp } from '../../api/src/app.ts'
import { createApiMetrics } from '../../api/src/metrics.ts'
import { createBearerVerifier } from '../../platform/src/auth/index.ts'

// Every route the Task API serves, read from its express router rather than listed by hand, so a
// test that walks them (the bad-input fuzzer) covers a route the day it is added.

export type ApiRoute = {
  /** Express path pattern, e.g. `/tasks/:id/complete`. */
  readonly path: string
  /** Upper-case methods the route answers (HEAD comes with GET). */
  readonly methods: readonly string[]
}

type Layer = {
  route?: { path: unknown; methods: Record<string, boolean> }
  handle?: { stack?: Layer[] }
  /** True for a layer mounted at `/`. */
  slash?: boolean
}

/** The routes of an app built with inert dependencies: building it opens nothing. */
export function apiRoutes(): ApiRoute[] {
  const app = createApp({
    db: {} as never,
    prepare: () => async () => [],
    pingDatabase: async () => {},
    verifier: createBearerVerifier({ mode: 'development' }),
    logger: pino({ level: 'silent' }),
    metrics: createApiMetrics({ outboxBacklog: async () => ({ count: 0, oldestAgeSeconds: 0 }) }),
    taskEventsTopic: 'task-events',
    eventSource: '/taskflow/api',
    bodyLimit: '100kb',
  })
  return routesOf(app)
}

export function routesOf(app: Express): ApiRoute[] {
  const methodsByPath = new Map<string, Set<string>>()
  const walk = (stack: readonly Layer[]) => {
    for (const layer of stack) {
      if (layer.route !== undefined && typeof layer.route.path === 'string') {
        const methods = methodsByPath.get(layer.route.path) ?? new Set<string>()
        for (const [method, on] of Object.entries(layer.route.methods)) {
          // `_all` is the catch-all a route adds for `.all()` (our 405 answers), not a method.
          if (on && method !== '_all') methods.add(method.toUpperCase())
        }
        methodsByPath.set(layer.route.path, methods)
      } else if (layer.handle?.stack !== undefined) {
        // A router mounted at `/` (app.use(router)) holds absolute route paths; one under a prefix would
        // need the prefix added, which express does not keep in a readable form: refuse rather than guess.
        if (layer.slash !== true)
          throw new Error('a router is mounted under a path prefix: teach routesOf it')
        walk(layer.handle.stack)
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack)
  return [...methodsByPath].map(([path, methods]) => ({ path, methods: [...methods].sort() }))
}
