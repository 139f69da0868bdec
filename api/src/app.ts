// The express app, built from its dependencies only (no env, no sockets): tests and the local runtime
// build it with whatever database, verifier and relay they have.
import express, { type Express } from 'express'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { PrepareStatement } from '../../db/src/index.ts'
import type { BearerVerifier } from '../../platform/src/auth/index.ts'
import type { TasksDatabase } from './database.ts'
import { docsAssets } from './docs-assets.ts'
import { docsAssetsPath, docsContentSecurityPolicy, docsPage } from './docs-page.ts'
import { type FunctionReadTargets, functionReadRoutes } from './function-reads.ts'
import { healthRoutes } from './health-routes.ts'
import { authenticate } from './http/authenticate.ts'
import { methodNotAllowed } from './http/method-not-allowed.ts'
import { problemResponder } from './http/problem-response.ts'
import { requestContext } from './http/request-context.ts'
import type { ApiMetrics } from './metrics.ts'
import { openApiDocument } from './openapi.ts'
import { outboxCommitSignal } from './outbox/commit-signal.ts'
import { readOutboxBacklog } from './outbox/outbox-backlog.ts'
import type { OutboxRelay } from './outbox/outbox-relay.ts'
import { notifyOutboxRelays } from './outbox/outbox-writer.ts'
import { fail, problems } from './problem.ts'
import { taskRoutes } from './tasks/task-routes.ts'

export type AppDeps = {
  db: Kysely<TasksDatabase>
  /** DatabaseHandle.prepared: the hot writes as prepared statements where the server allows them. */
  prepare: PrepareStatement
  pingDatabase: () => Promise<void>
  verifier: BearerVerifier
  logger: Logger
  metrics: ApiMetrics
  /** Absent when this replica runs no relay; then commits wake nothing. */
  relay?: OutboxRelay
  taskEventsTopic: string
  eventSource: string
  bodyLimit: string
  /** Where the functions' read routes are forwarded; absent ones answer 503. */
  functionReads?: FunctionReadTargets
}

export function createApp(deps: AppDeps): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(requestContext(deps.logger, deps.metrics.httpRequestDuration))

  const openapi = JSON.stringify(openApiDocument({ authMode: deps.verifier.mode }))
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi)
  })
  const docs = docsPage(deps.verifier.mode)
  app.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', docsContentSecurityPolicy)
    res.type('html').send(docs)
  })
  app.all(['/openapi.json', '/docs'], methodNotAllowed(['GET']))
  app.use(docsAssetsPath, docsAssets())
  app.use(
    healthRoutes({
      pingDatabase: deps.pingDatabase,
      outboxBacklog: () => readOutboxBacklog(deps.db),
      relayStatus: () => deps.relay?.status(),
      registry: deps.metrics.registry,
      logger: deps.logger,
    }),
  )

  app.use(['/tasks', '/audit', '/notifications'], authenticate(deps.verifier))
  // Before the task routes: `/tasks/:id/audit` belongs to the audit-log function.
  app.use(functionReadRoutes(deps.functionReads ?? {}, deps.logger, deps.bodyLimit))
  app.use(
    taskRoutes({
      db: deps.db,
      prepare: deps.prepare,
      topic: deps.taskEventsTopic,
      eventSource: deps.eventSource,
      bodyLimit: deps.bodyLimit,
      outbox: outboxCommitSignal({
        relay: deps.relay,
        notify: () => notifyOutboxRelays(deps.db),
        logger: deps.logger,
      }),
    }),
  )

  app.use((req) => fail(problems.notFound(`No route ${req.method} ${req.path}`)))
  app.use(problemResponder(deps.logger, deps.bodyLimit))
  return app
}
