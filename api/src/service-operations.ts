// The routes that are not the product but keep it running and described: probes, metrics and the API
// reference itself (health-routes.ts, app.ts). They answer without a token.
import { z } from 'zod'
import type { ApiOperation } from './operation-docs.ts'

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'unavailable']).meta({
      description: '`degraded`: Kafka is down, writes still commit (the outbox holds their events)',
    }),
    database: z.enum(['up', 'down']),
    kafka: z.enum(['unknown', 'up', 'down', 'disabled']).meta({ description: '`disabled`: no relay here' }),
    relay: z.object({ lastError: z.string().optional(), ownedLanes: z.int().min(0) }).optional(),
    outbox: z
      .object({ backlog: z.int().min(0), oldestAgeSeconds: z.number().min(0) })
      .optional()
      .meta({ description: 'Events committed and not yet on Kafka' }),
    detail: z.string().optional().meta({ description: 'Why the replica is unavailable' }),
  })
  .meta({ id: 'Readiness' })

const tags: ['Service'] = ['Service']
const publicOperation = { tags, security: [] }

export const serviceOperations: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/healthz',
    operation: {
      ...publicOperation,
      operationId: 'liveness',
      summary: 'Liveness: the process answers',
      responses: {
        '200': {
          description: 'Alive',
          content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/readyz',
    operation: {
      ...publicOperation,
      operationId: 'readiness',
      summary: 'Readiness: the database answers (Kafka only degrades it)',
      responses: {
        '200': {
          description: 'Ready or degraded',
          content: { 'application/json': { schema: readinessSchema } },
        },
        '503': {
          description: 'The database does not answer',
          content: { 'application/json': { schema: readinessSchema } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operation: {
      ...publicOperation,
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      responses: {
        '200': {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: z.string() } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operation: {
      ...publicOperation,
      operationId: 'openApiDocument',
      summary: 'This document (OpenAPI 3.1)',
      responses: {
        '200': {
          description: 'The OpenAPI document',
          content: { 'application/json': { schema: z.looseObject({ openapi: z.literal('3.1.0') }) } },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/docs',
    operation: {
      ...publicOperation,
      operationId: 'apiReference',
      summary: 'This API reference, browsable, with "Try it out"',
      responses: { '200': { description: 'The page', content: { 'text/html': { schema: z.string() } } } },
    },
  },
]
