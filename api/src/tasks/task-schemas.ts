// The HTTP contract of /tasks as zod schemas: requests are parsed with them and /openapi.json is
// generated from them, so the documentation cannot drift from what the server accepts.
import { z } from 'zod'
import 'zod-openapi'
import {
  taskPrioritySchema as eventTaskPriority,
  taskStatusSchema as eventTaskStatus,
} from '../../../events/src/index.ts'

// The values are the event contract's (a task's status and priority travel in every task event).
export const taskStatusSchema = eventTaskStatus.meta({ id: 'TaskStatus' })
export const taskPrioritySchema = eventTaskPriority.meta({ id: 'TaskPriority' })

const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:|-]{1,128}$/, 'a user id: 1-128 letters, digits or ._@:|-')
  .meta({ example: 'alice' })
const tagSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a tag: 1-32 letters, digits, _ or -, starting alphanumeric')
  .meta({ example: 'backend' })
// Offsets are accepted (clients send local times); the server stores and returns UTC.
// Bounded to years PostgreSQL and JavaScript Dates both represent, so no valid input fails in storage.
const earliest = Date.UTC(1900, 0, 1)
const latest = Date.UTC(9999, 11, 31)
const dateTimeSchema = z.iso
  .datetime({ offset: true })
  .refine((value) => {
    const at = Date.parse(value)
    return at >= earliest && at <= latest
  }, 'a date between 1900 and 9999')
  .meta({ example: '2026-12-01T09:00:00Z' })

// Free text must be storable as it came, or be refused with a 400 naming the field; never changed
// on the way in nor left to fail in a statement as a 500. PostgreSQL text cannot hold NUL. A JSON
// string may escape a lone UTF-16 surrogate ("\ud800"), which has no UTF-8 form: the text column
// would get U+FFFD while the response and the event kept the surrogate, and jsonb refuses it outright.
const withoutNul = (value: string) => !value.includes('\u0000')
const wellFormed = (value: string) => value.isWellFormed()
const freeText = (schema: z.ZodString) =>
  schema
    .refine(withoutNul, 'must not contain NUL')
    .refine(wellFormed, 'must be well-formed Unicode (a lone UTF-16 surrogate has no UTF-8 form)')
const title = freeText(z.string().trim().min(1, 'must not be empty').max(200))
const description = freeText(z.string().max(10_000)).nullable()
const watchers = z.array(userIdSchema).max(50)
const tags = z.array(tagSchema).max(20)
const remindMinutesBefore = z
  .int()
  .min(0)
  .max(60 * 24 * 365)
  .meta({ description: 'Sets remindAt this many minutes before dueAt (instead of remindAt itself)' })

export const createTaskBodySchema = z
  .strictObject({
    title,
    description: description.optional(),
    status: eventTaskStatus
      .exclude(['done'])
      .optional()
      .meta({ description: 'Default open; complete with POST /tasks/{id}/complete' }),
    priority: taskPrioritySchema.optional(),
    dueAt: dateTimeSchema.nullable().optional(),
    remindAt: dateTimeSchema.nullable().optional(),
    remindMinutesBefore: remindMinutesBefore.optional(),
    assignee: userIdSchema.nullable().optional(),
    watchers: watchers.optional(),
    tags: tags.optional(),
  })
  .meta({ id: 'CreateTask' })
export type CreateTaskBody = z.infer<typeof createTaskBodySchema>

export const updateTaskBodySchema = z
  .strictObject({
    title: title.optional(),
    description: description.optional(),
    status: eventTaskStatus
      .exclude(['done'])
      .optional()
      .meta({ description: 'Reopen or start a task; completing is POST /tasks/{id}/complete' }),
    priority: taskPrioritySchema.optional(),
    dueAt: dateTimeSchema.nullable().optional(),
    remindAt: dateTimeSchema.nullable().optional(),
    remindMinutesBefore: remindMinutesBefore.optional(),
    assignee: userIdSchema.nullable().optional(),
    watchers: watchers.optional(),
    tags: tags.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' })
  .meta({ id: 'UpdateTask' })
export type UpdateTaskBody = z.infer<typeof updateTaskBodySchema>

export const taskSchema = z
  .strictObject({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    status: taskStatusSchema,
    priority: taskPrioritySchema,
    dueAt: z.iso.datetime().nullable(),
    remindAt: z.iso.datetime().nullable(),
    assignee: z.string().nullable(),
    watchers: z.array(z.string()),
    tags: z.array(z.string()),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z
      .int()
      .min(1)
      .meta({ description: 'Also sent as the ETag; echo it in If-Match to change the task' }),
  })
  .meta({ id: 'Task' })
export type Task = z.infer<typeof taskSchema>

/** The cursor of a paged list's next page (the task list, and the functions' pages too). */
export const nextCursorSchema = z
  .string()
  .nullable()
  .meta({ description: 'Pass as `cursor` for the next page; null on the last' })

export const taskListSchema = z
  .strictObject({ items: z.array(taskSchema), nextCursor: nextCursorSchema })
  .meta({ id: 'TaskList' })

export const listTasksQuerySchema = z.strictObject({
  status: taskStatusSchema.optional(),
  assignee: userIdSchema.optional(),
  tag: tagSchema.optional(),
  dueBefore: dateTimeSchema.optional(),
  dueAfter: dateTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
})
export type ListTasksQuery = z.infer<typeof listTasksQuerySchema>

export const taskIdParamsSchema = z.strictObject({ id: z.uuid() })

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.union([
          z.strictObject({ field: z.string(), reason: z.string() }),
          // The functions' own field errors (function-kit's problem()), passed on by the routes forwarded to them.
          z.strictObject({ field: z.string(), message: z.string() }),
        ]),
      )
      .optional()
      .meta({ description: 'One entry per invalid input: where (`field`) and why (`reason` or `message`)' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' })

/** A body that may be absent or `{}`: an action that takes no input (POST /tasks/{id}/complete). */
export const emptyBodySchema = z.strictObject({}).meta({ id: 'EmptyBody', description: 'No fields: `{}`' })
