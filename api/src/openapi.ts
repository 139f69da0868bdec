// OpenAPI 3.1 generated from the operations each route module documents (operation-docs.ts), with the
// same zod schemas the routes parse with.
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi'
import type { AuthSettings } from '../../platform/src/auth/index.ts'
import { authorizationHint } from './docs-page.ts'
import { functionReadOperations } from './function-read-operations.ts'
import type { ApiOperation } from './operation-docs.ts'
import { serviceOperations } from './service-operations.ts'
import { taskOperations } from './tasks/task-operations.ts'

/** Every operation the API serves: the ones it forwards to the functions included. */
export const apiOperations: readonly ApiOperation[] = [
  ...taskOperations,
  ...functionReadOperations,
  ...serviceOperations,
]

export function openApiDocument(
  options: { authMode?: AuthSettings['mode'] } = {},
): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {}
  for (const { method, path, operation } of apiOperations) {
    paths[path] = { ...paths[path], [method]: operation }
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'taskflow Task API',
      version: '1.0.0',
      description: [
        'Tasks; every change is also published as a CloudEvent on the Kafka topic task-events. The task',
        'audit trail and your notifications come from the audit-log and notification-fanout functions,',
        'through this API. Errors are `application/problem+json` (RFC 9457).',
        '',
        `**Authorization**: ${authorizationHint(options.authMode)}`,
      ].join('\n'),
    },
    tags: [
      { name: 'Tasks', description: 'Create, read, change, complete and delete tasks' },
      { name: 'Audit', description: 'Who changed what, when (the audit-log function)' },
      { name: 'Notifications', description: 'In-app notifications and preferences (notification-fanout)' },
      { name: 'Service', description: 'Probes, metrics and this reference; no token needed' },
    ],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT, or dev.<user> in development mode',
          description: authorizationHint(options.authMode),
        },
      },
    },
    security: [{ bearer: [] }],
    paths,
  })
}
