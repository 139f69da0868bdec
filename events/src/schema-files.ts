import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type CompatibilityReport, checkBackwardCompatibility, type JsonSchema } from './compatibility.ts'
import { dataSchemaMajorVersions, type EventType, eventTypeList } from './event-types.ts'
import { dataJsonSchema } from './json-schemas.ts'

// Where the committed schemas live; read by the generator script and the tests, never at run time.
export const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url))
export const currentSchemasDir = `${schemasDir}current`
export const releasedSchemasDir = `${schemasDir}released`

export function releasedSchemaPath(type: EventType, major = dataSchemaMajorVersions[type]): string {
  return `${releasedSchemasDir}/${type}/v${major}.json`
}

/** The released schema of the type's current major version; undefined before its first release. */
export function readReleasedSchema(type: EventType): JsonSchema | undefined {
  const path = releasedSchemaPath(type)
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as JsonSchema) : undefined
}

export type TypeCompatibility = { type: EventType; released: boolean } & CompatibilityReport

/** Every type's current zod-generated schema against its released one, as a registry would on registration. */
export function checkReleasedSchemas(): TypeCompatibility[] {
  return eventTypeList.map((type) => {
    const released = readReleasedSchema(type)
    if (released === undefined) return { type, released: false, compatible: true, breakingChanges: [] }
    return {
      type,
      released: true,
      ...checkBackwardCompatibility(released, dataJsonSchema(type) as JsonSchema),
    }
  })
}
