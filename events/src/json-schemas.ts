import { z } from 'zod'
import { eventDataSchemas } from './event-data-schemas.ts'
import { dataSchemaUri, type EventType, eventTypeList } from './event-types.ts'

/**
 * The JSON Schema of a type's data, generated from its zod schema (the single source of truth). `$id` is
 * the `dataschema` URI events of the type carry; the output side is used because it is what producers emit.
 */
export function dataJsonSchema(type: EventType): Record<string, unknown> {
  const generated = z.toJSONSchema(eventDataSchemas[type], { target: 'draft-2020-12', io: 'output' })
  const { $schema, ...rest } = generated
  return { $schema, $id: dataSchemaUri(type), title: `${type} data`, ...rest }
}

/** The committed file text for a schema: stable formatting so the staleness test compares strings. */
export function renderJsonSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`
}

export function currentSchemaFiles(): { type: EventType; fileName: string; text: string }[] {
  return eventTypeList.map((type) => ({
    type,
    fileName: `${type}.json`,
    text: renderJsonSchema(dataJsonSchema(type)),
  }))
}
