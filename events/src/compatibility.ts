/**
 * Schema evolution checked like a schema registry in BACKWARD mode: a consumer built against the current
 * schema must read every event written with a released one. The rules are the ones this project
 * promises (README "Schema evolution"): removing or retyping a field, adding a required field without a
 * default, and narrowing an enum break; adding an optional field or widening a type does not.
 */

export type JsonSchema = boolean | { readonly [keyword: string]: unknown }

export type BreakingChangeKind = 'removed-field' | 'retyped-field' | 'new-required-field' | 'narrowed-enum'

export type BreakingChange = { kind: BreakingChangeKind; path: string; message: string }

export type CompatibilityReport = { compatible: boolean; breakingChanges: BreakingChange[] }

type SchemaObject = { readonly [keyword: string]: unknown }

export function checkBackwardCompatibility(released: JsonSchema, current: JsonSchema): CompatibilityReport {
  const changes: BreakingChange[] = []
  compare({ root: released, node: released }, { root: current, node: current }, '', changes)
  return { compatible: changes.length === 0, breakingChanges: changes }
}

type Located = { root: JsonSchema; node: JsonSchema | undefined }

function compare(released: Located, current: Located, path: string, changes: BreakingChange[]): void {
  const before = resolve(released)
  const after = resolve(current)
  const shown = path === '' ? '(root)' : path
  const beforeTypes = typesOf(before)
  const afterTypes = typesOf(after)
  if (afterTypes && (!beforeTypes || [...beforeTypes].some((type) => !covers(afterTypes, type)))) {
    changes.push({
      kind: 'retyped-field',
      path: shown,
      message: `${shown} was ${describe(beforeTypes)} and is now ${describe(afterTypes)}`,
    })
    return
  }
  const beforeFormat = stringFormat(before)
  const afterFormat = stringFormat(after)
  if (afterFormat !== undefined && afterFormat !== beforeFormat) {
    changes.push({
      kind: 'retyped-field',
      path: shown,
      message: `${shown} had format ${beforeFormat ?? '(none)'} and now has ${afterFormat}`,
    })
  }
  const beforeValues = valuesOf(before)
  const afterValues = valuesOf(after)
  if (afterValues) {
    const dropped = beforeValues
      ? [...beforeValues].filter((value) => !afterValues.has(value))
      : ['(any value)']
    if (dropped.length > 0) {
      changes.push({
        kind: 'narrowed-enum',
        path: shown,
        message: `${shown} no longer allows ${dropped.map((value) => JSON.stringify(value)).join(', ')}`,
      })
    }
  }
  compareObjects(released, before, current, after, path, changes)
  const beforeItems = member(before, 'array')?.items
  const afterItems = member(after, 'array')?.items
  if (beforeItems !== undefined && afterItems !== undefined) {
    compare(at(released, beforeItems), at(current, afterItems), `${path}[]`, changes)
  }
}

function compareObjects(
  released: Located,
  before: JsonSchema | undefined,
  current: Located,
  after: JsonSchema | undefined,
  path: string,
  changes: BreakingChange[],
): void {
  const beforeObject = member(before, 'object')
  const afterObject = member(after, 'object')
  if (!beforeObject || !afterObject) return
  const beforeProperties = properties(beforeObject)
  const afterProperties = properties(afterObject)
  const beforeRequired = new Set(required(beforeObject))
  for (const [name, schema] of Object.entries(beforeProperties)) {
    const field = join(path, name)
    if (!(name in afterProperties)) {
      changes.push({ kind: 'removed-field', path: field, message: `${field} was removed` })
      continue
    }
    compare(at(released, schema), at(current, afterProperties[name]), field, changes)
  }
  for (const name of required(afterObject)) {
    if (beforeRequired.has(name)) continue
    const schema = resolve(at(current, afterProperties[name]))
    if (typeof schema === 'object' && 'default' in schema) continue
    const field = join(path, name)
    const message =
      name in beforeProperties
        ? `${field} became required`
        : `${field} is a new required field without a default`
    changes.push({ kind: 'new-required-field', path: field, message })
  }
  // Records (`z.record`): their keys and values evolve like fields.
  for (const keyword of ['propertyNames', 'additionalProperties'] as const) {
    const beforeSchema = beforeObject[keyword]
    const afterSchema = afterObject[keyword]
    if (typeof beforeSchema === 'object' && typeof afterSchema === 'object') {
      const suffix = keyword === 'propertyNames' ? '{key}' : '{value}'
      compare(
        at(released, beforeSchema as JsonSchema),
        at(current, afterSchema as JsonSchema),
        join(path, suffix),
        changes,
      )
    }
  }
}

function at(located: Located, node: unknown): Located {
  return { root: located.root, node: node as JsonSchema | undefined }
}

/** Follows a local `$ref` (`#/$defs/x`), the only kind z.toJSONSchema emits. */
function resolve({ root, node }: Located): JsonSchema | undefined {
  let current = node
  for (let hops = 0; typeof current === 'object' && typeof current.$ref === 'string' && hops < 32; hops++) {
    const pointer = current.$ref as string
    if (!pointer.startsWith('#')) return current
    let target: unknown = root
    for (const part of pointer.slice(2).split('/').filter(Boolean)) {
      target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    }
    current = target as JsonSchema | undefined
  }
  return current
}

function alternatives(schema: SchemaObject): SchemaObject[] | undefined {
  const options = (schema.anyOf ?? schema.oneOf) as unknown
  return Array.isArray(options) ? (options as SchemaObject[]) : undefined
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/** The JSON types a schema admits; undefined means any. */
function typesOf(schema: JsonSchema | undefined): Set<string> | undefined {
  if (schema === undefined || typeof schema === 'boolean') return undefined
  if (typeof schema.type === 'string') return new Set([schema.type])
  if (Array.isArray(schema.type)) return new Set(schema.type as string[])
  if ('const' in schema) return new Set([jsonTypeOf(schema.const)])
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map(jsonTypeOf))
  const options = alternatives(schema)
  if (!options) return undefined
  const types = new Set<string>()
  for (const option of options) {
    const optionTypes = typesOf(option)
    if (!optionTypes) return undefined
    for (const type of optionTypes) types.add(type)
  }
  return types
}

function covers(types: Set<string>, type: string): boolean {
  return types.has(type) || (type === 'integer' && types.has('number'))
}

/** The literal values a schema admits (`enum`, `const`), undefined when it is not limited to a list. */
function valuesOf(schema: JsonSchema | undefined): Set<unknown> | undefined {
  if (schema === undefined || typeof schema === 'boolean') return undefined
  if ('const' in schema) return new Set([schema.const])
  if (Array.isArray(schema.enum)) return new Set(schema.enum)
  const options = alternatives(schema)
  if (!options) return undefined
  const values = new Set<unknown>()
  for (const option of options) {
    const optionValues = valuesOf(option)
    if (optionValues) {
      for (const value of optionValues) values.add(value)
      continue
    }
    // `null` beside an enum (a nullable enum) is one more allowed value, not "any value".
    const optionTypes = typesOf(option)
    if (optionTypes?.size === 1 && optionTypes.has('null')) values.add(null)
    else return undefined
  }
  return values
}

/** The part of a (possibly nullable) schema that describes one JSON type. */
function member(schema: JsonSchema | undefined, type: string): SchemaObject | undefined {
  if (schema === undefined || typeof schema === 'boolean') return undefined
  const own = schema.type
  if (own === type || (Array.isArray(own) && own.includes(type))) return schema
  return alternatives(schema)?.find((option) => member(option, type) !== undefined)
}

function stringFormat(schema: JsonSchema | undefined): string | undefined {
  const format = member(schema, 'string')?.format
  return typeof format === 'string' ? format : undefined
}

function properties(schema: SchemaObject): Record<string, unknown> {
  return (schema.properties ?? {}) as Record<string, unknown>
}

function required(schema: SchemaObject): string[] {
  return Array.isArray(schema.required) ? (schema.required as string[]) : []
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`
}

function describe(types: Set<string> | undefined): string {
  return types ? [...types].sort().join(' | ') : 'any'
}
