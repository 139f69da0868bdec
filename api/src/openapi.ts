// OpenAPI 3.1 generated from the same zod schemas the routes parse with.
import { z } from 'zod'
import { createDocument } from 'zod-openapi'
import {
  createTaskBodySchema,
  listTasksQuerySchema,
  problemSchema,
  taskListSchema,
  taskSchema,
  updateTaskBodySchema,
} from './tasks/task-schemas.ts'

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
})

const taskResponse = (description: string) => ({
  description,
  headers: z.object({
    ETag: z.string().meta({ description: 'The task version, quoted: send it as If-Match' }),
  }),
  content: { 'application/json': { schema: taskSchema } },
})

const common = {
  '400': problem('Invalid input; `errors` names each field and why'),
  '401': problem('Missing or invalid bearer token'),
  '503': problem('Database unavailable; retry later'),
}
const idPath = { path: z.object({ id: z.uuid().meta({ description: 'Task id (UUIDv7)' }) }) }
const ifMatch = (required: boolean) =>
  z.object({
    'If-Match': (required ? z.string() : z.string().optional()).meta({
      description: 'ETag of the task version you read, e.g. "3"',
    }),
  })

export function openApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'taskflow Task API',
      version: '1.0.0',
      description: 'Tasks; every change is also published as a CloudEvent on the Kafka topic task-events.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] }],
    paths: {
      '/tasks': {
        post: {
          summary: 'Create a task (emits dev.taskflow.task.created)',
          requestParams: {
            header: z.object({
              'Idempotency-Key': z
                .string()
                .optional()
                .meta({ description: 'Retry-safe creation: same key and body return the first response' }),
              'X-Request-Id': z
                .string()
                .optional()
                .meta({ description: 'Becomes the events’ correlationid' }),
            }),
          },
          requestBody: { required: true, content: { 'application/json': { schema: createTaskBodySchema } } },
          responses: {
            '201': taskResponse('Created'),
            ...common,
            '413': problem('Body too large'),
            '415': problem('Body is not application/json'),
            '422': problem('Idempotency-Key reused with another body'),
          },
        },
        get: {
          summary: 'List the tasks you created, are assigned to or watch',
          requestParams: { query: listTasksQuerySchema },
          responses: {
            '200': { description: 'One page', content: { 'application/json': { schema: taskListSchema } } },
            ...common,
          },
        },
      },
      '/tasks/{id}': {
        get: {
          summary: 'Read a task',
          requestParams: idPath,
          responses: {
            '200': taskResponse('The task'),
            ...common,
            '404': problem('No such task visible to you'),
          },
        },
        patch: {
          summary: 'Change some fields (emits dev.taskflow.task.updated with previous/current values)',
          requestParams: { ...idPath, header: ifMatch(true) },
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: updateTaskBodySchema },
              'application/merge-patch+json': { schema: updateTaskBodySchema },
            },
          },
          responses: {
            '200': taskResponse('The changed task'),
            ...common,
            '404': problem('No such task visible to you'),
            '409': problem('If-Match does not match the current version'),
            '413': problem('Body too large'),
            '415': problem('Body is not JSON'),
            '428': problem('If-Match missing'),
          },
        },
        delete: {
          summary: 'Delete a task (emits dev.taskflow.task.deleted)',
          requestParams: { ...idPath, header: ifMatch(false) },
          responses: {
            '204': { description: 'Deleted' },
            ...common,
            '404': problem('No such task visible to you'),
            '409': problem('If-Match does not match'),
          },
        },
      },
      '/tasks/{id}/complete': {
        post: {
          summary: 'Complete a task (emits dev.taskflow.task.completed; completing again emits nothing)',
          requestParams: { ...idPath, header: ifMatch(false) },
          responses: {
            '200': taskResponse('The completed task'),
            ...common,
            '404': problem('No such task visible to you'),
            '409': problem('If-Match does not match'),
          },
        },
      },
    },
  })
}
