// Liveness, readiness and metrics. Readiness follows the database only: without it no request can
// succeed, but without Kafka every write still commits (the outbox holds the events), so a Kafka outage
// is reported as "degraded" and the replica stays in the Service's endpoints.
import { Router } from 'express'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { methodNotAllowed } from './http/method-not-allowed.ts'
import type { OutboxBacklog } from './metrics.ts'
import type { OutboxRelayStatus } from './outbox/outbox-relay.ts'

export type HealthRoutesOptions = {
  pingDatabase: () => Promise<void>
  outboxBacklog: () => Promise<OutboxBacklog>
  relayStatus: () => OutboxRelayStatus | undefined
  registry: Registry
  /** Where a failed probe's cause goes: the answer names no host, user or driver message. */
  logger?: Logger
  /** Readiness gives up on a database that does not answer in this time. */
  probeTimeoutMs?: number
}

export function healthRoutes(options: HealthRoutesOptions): Router {
  const router = Router()
  const timeoutMs = options.probeTimeoutMs ?? 2000

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })

  router.get('/readyz', async (_req, res) => {
    const relay = options.relayStatus()
    const kafka = relay === undefined ? 'disabled' : relay.kafka
    try {
      await withTimeout(options.pingDatabase(), timeoutMs)
      const backlog = await withTimeout(options.outboxBacklog(), timeoutMs)
      const status = kafka === 'down' ? 'degraded' : 'ready'
      res.json({
        status,
        database: 'up',
        kafka,
        relay:
          relay === undefined
            ? undefined
            : { lastError: relay.lastError, ownedLanes: relay.ownedLanes.length },
        outbox: { backlog: backlog.count, oldestAgeSeconds: backlog.oldestAgeSeconds },
      })
    } catch (error) {
      options.logger?.warn({ err: error }, 'readiness probe failed')
      res.status(503).json({
        status: 'unavailable',
        database: 'down',
        kafka,
        detail:
          error instanceof ProbeTimeout
            ? 'the database did not answer in time'
            : 'the database is unreachable',
      })
    }
  })

  router.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics())
  })

  // After the GET handlers: any other method on these paths is a 405 problem, not a 404.
  router.all(['/healthz', '/readyz', '/metrics'], methodNotAllowed(['GET']))
  return router
}

class ProbeTimeout extends Error {
  override readonly name = 'ProbeTimeout'
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
