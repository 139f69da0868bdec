import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  checkBackwardCompatibility,
  EventTypes,
  type JsonSchema,
  taskSnapshotSchema,
} from '../../../events/src/index.ts'
import { currentSchemaFiles } from '../../../events/src/json-schemas.ts'
import {
  checkReleasedSchemas,
  currentSchemasDir,
  releasedSchemaPath,
} from '../../../events/src/schema-files.ts'

describe('committed JSON Schemas', () => {
  it.each(currentSchemaFiles())(
    '$fileName matches the zod schema (run npm run generate:events)',
    ({ fileName, text }) => {
      expect(readFileSync(`${currentSchemasDir}/${fileName}`, 'utf8')).toBe(text)
    },
  )

  it('every type has a released schema and the current one is backward compatible with it', () => {
    const results = checkReleasedSchemas()
    expect(results.filter((result) => !result.released).map((result) => result.type)).toEqual([])
    expect(
      results.flatMap((result) =>
        result.breakingChanges.map((change) => `${result.type}: ${change.message}`),
      ),
    ).toEqual([])
  })
})

describe('a breaking change made in zod', () => {
  it('is caught against the released schema of the type', () => {
    const released = JSON.parse(
      readFileSync(releasedSchemaPath(EventTypes.TaskCreated), 'utf8'),
    ) as JsonSchema
    const task = taskSnapshotSchema
      .extend({ status: z.enum(['open', 'done']), owner: z.string() })
      .omit({ tags: true })
    const current = z.toJSONSchema(z.object({ task }), { io: 'output' }) as JsonSchema
    expect(kinds(current, released)).toEqual([
      'narrowed-enum task.status',
      'removed-field task.tags',
      'new-required-field task.owner',
    ])
  })
})

const object = (
  properties: Record<string, JsonSchema>,
  required: string[] = Object.keys(properties),
): { readonly [keyword: string]: unknown } => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
})
const string = { type: 'string' }
const status = { type: 'string', enum: ['open', 'in_progress', 'done'] }
const released = object({
  id: { type: 'string', format: 'uuid' },
  status,
  tags: { type: 'array', items: string },
})

function kinds(current: JsonSchema, before: JsonSchema = released): string[] {
  return checkBackwardCompatibility(before, current).breakingChanges.map(
    (change) => `${change.kind} ${change.path}`,
  )
}

describe('backward compatibility checker', () => {
  it('accepts an identical schema', () => {
    expect(checkBackwardCompatibility(released, released)).toEqual({ compatible: true, breakingChanges: [] })
  })

  it('accepts a new optional field and a new required field with a default', () => {
    const current = object(
      {
        id: { type: 'string', format: 'uuid' },
        status,
        tags: { type: 'array', items: string },
        note: string,
        rank: { type: 'integer', default: 0 },
      },
      ['id', 'status', 'tags', 'rank'],
    )
    expect(kinds(current)).toEqual([])
  })

  it('accepts a widened enum and a field that became nullable', () => {
    const current = object({
      id: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] },
      status: { type: 'string', enum: ['open', 'in_progress', 'done', 'blocked'] },
      tags: { type: 'array', items: string },
    })
    expect(kinds(current)).toEqual([])
  })

  it('reports a removed field', () => {
    expect(kinds(object({ id: { type: 'string', format: 'uuid' }, status }))).toEqual(['removed-field tags'])
  })

  it('reports a retyped field, also inside arrays, and a changed format', () => {
    const current = object({
      id: { type: 'string', format: 'email' },
      status: { type: 'integer' },
      tags: { type: 'array', items: { type: 'number' } },
    })
    expect(kinds(current)).toEqual(['retyped-field id', 'retyped-field status', 'retyped-field tags[]'])
  })

  it('reports a field that is no longer nullable as retyped', () => {
    const before = object({ dueAt: { type: ['string', 'null'] } })
    expect(kinds(object({ dueAt: string }), before)).toEqual(['retyped-field dueAt'])
  })

  it('reports a new required field without a default and an optional field that became required', () => {
    const before = object({ id: string, note: string }, ['id'])
    expect(kinds(object({ id: string, note: string, owner: string }), before)).toEqual([
      'new-required-field note',
      'new-required-field owner',
    ])
  })

  it('reports a narrowed enum, a newly added enum and a narrowed record key set', () => {
    const current = object({
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: ['open', 'done'] },
      tags: { type: 'array', items: { type: 'string', enum: ['a'] } },
    })
    expect(kinds(current)).toEqual(['narrowed-enum status', 'narrowed-enum tags[]'])
    const record = (keys: string[]): JsonSchema => ({
      type: 'object',
      propertyNames: { type: 'string', enum: keys },
      additionalProperties: string,
    })
    expect(
      kinds(object({ changes: record(['title']) }), object({ changes: record(['title', 'tags']) })),
    ).toEqual(['narrowed-enum changes.{key}'])
  })

  it('follows local $refs and checks nested objects', () => {
    const before: JsonSchema = {
      $defs: { task: object({ id: string, title: string }) },
      ...object({ task: { $ref: '#/$defs/task' } }),
    }
    const current: JsonSchema = {
      $defs: { task: object({ id: string }) },
      ...object({ task: { $ref: '#/$defs/task' } }),
    }
    expect(kinds(current, before)).toEqual(['removed-field task.title'])
  })
})
