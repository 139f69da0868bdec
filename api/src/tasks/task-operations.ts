// The /tasks operations as documented in /openapi.json, from the zod schemas task-routes.ts parses with.
import { z } from 'zod'
import type { ZodOpenApiResponseObject } from 'zod-openapi'
import { type ApiOperation, authenticatedProblems, problem } from '../operation-docs.ts'
import {
  createTaskBodySchema,
  emptyBodySchema,
  listTasksQuerySchema,
  taskListSchema,
  taskSchema,
  updateTaskBodySchema,
} from './task-schemas.ts'

const taskResponse = (description: string): ZodOpenApiResponseObject => ({
  description,
  headers: z.object({
    ETag: z.string().meta({ description: 'The task version, quoted: send it as If-Match' }),
  }),
  content: { 'application/json': { schema: taskSchema } },
})

const common = {
  '400': problem('Invalid input; `errors` names each field and why'),
  ...authenticatedProblems,
}
const notFound = { '404': problem('No such task visible to you') }
const idPath = { path: z.object({ id: z.uuid().meta({ description: 'Task id (UUIDv7)' }) }) }
const ifMatch = (required: boolean) =>
  z.object({
    'If-Match': (required ? z.string() : z.string().optional()).meta({
      description: 'ETag of the task version you read, e.g. "3"',
    }),
  })
const tags: ['Tasks'] = ['Tasks']

export const taskOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/tasks',
    operation: {
      operationId: 'createTask',
      tags,
      summary: 'Create a task (emits dev.taskflow.task.created)',
      requestParams: {
        header: z.object({
          'Idempotency-Key': z
            .string()
            .optional()
            .meta({ description: 'Retry-safe creation: same key and body return the first response' }),
          'X-Request-Id': z.string().optional().meta({ description: 'Becomes the events’ correlationid' }),
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
  },
  {
    method: 'get',
    path: '/tasks',
    operation: {
      operationId: 'listTasks',
      tags,
      summary: 'List the tasks you created, are assigned to or watch',
      requestParams: { query: listTasksQuerySchema },
      responses: {
        '200': { description: 'One page', content: { 'application/json': { schema: taskListSchema } } },
        ...common,
      },
    },
  },
  {
    method: 'get',
    path: '/tasks/{id}',
    operation: {
      operationId: 'getTask',
      tags,
      summary: 'Read a task',
      requestParams: idPath,
      responses: { '200': taskResponse('The task'), ...common, ...notFound },
    },
  },
  {
    method: 'patch',
    path: '/tasks/{id}',
    operation: {
      operationId: 'updateTask',
      tags,
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
        ...notFound,
        '409': problem('If-Match does not match the current version'),
        '413': problem('Body too large'),
        '415': problem('Body is not JSON'),
        '428': problem('If-Match missing'),
      },
    },
  },
  {
    method: 'delete',
    path: '/tasks/{id}',
    operation: {
      operationId: 'deleteTask',
      tags,
      summary: 'Delete a task (emits dev.taskflow.task.deleted)',
      requestParams: { ...idPath, header: ifMatch(false) },
      responses: {
        '204': { description: 'Deleted' },
        ...common,
        ...notFound,
        '409': problem('If-Match does not match'),
      },
    },
  },
  {
    method: 'post',
    path: '/tasks/{id}/complete',
    operation: {
      operationId: 'completeTask',
      tags,
      summary: 'Complete a task (emits dev.taskflow.task.completed; completing again emits nothing)',
      requestParams: { ...idPath, header: ifMatch(false) },
      requestBody: {
        required: false,
        description: 'None, or `{}`',
        content: { 'application/json': { schema: emptyBodySchema } },
      },
      responses: {
        '200': taskResponse('The completed task'),
        ...common,
        ...notFound,
        '409': problem('If-Match does not match'),
        '413': problem('Body too large'),
        '415': problem('Body is not application/json'),
      },
    },
  },
]
