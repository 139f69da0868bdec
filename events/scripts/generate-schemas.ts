// Writes events/schemas/current/<type>.json from the zod schemas, then checks them against the released
// ones (BACKWARD mode). `--release` also freezes the current schema as released/<type>/v<major>.json
// for every type whose major version has no release yet.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { currentSchemaFiles } from '../src/json-schemas.ts'
import { checkReleasedSchemas, currentSchemasDir, releasedSchemaPath } from '../src/schema-files.ts'

const release = process.argv.includes('--release')

mkdirSync(currentSchemasDir, { recursive: true })
for (const { type, fileName, text } of currentSchemaFiles()) {
  writeFileSync(`${currentSchemasDir}/${fileName}`, text)
  const releasedPath = releasedSchemaPath(type)
  if (release && !existsSync(releasedPath)) {
    mkdirSync(dirname(releasedPath), { recursive: true })
    writeFileSync(releasedPath, text)
    console.info(`released ${releasedPath}`)
  }
}

let breaking = 0
for (const result of checkReleasedSchemas()) {
  if (!result.released)
    console.warn(`${result.type}: no released schema for its major version yet (run with --release)`)
  for (const change of result.breakingChanges) {
    breaking++
    console.error(`${result.type}: ${change.kind} ${change.message}`)
  }
}
if (breaking > 0) {
  console.error(
    `${breaking} breaking change(s): bump the type's major version in events/src/event-types.ts instead`,
  )
  process.exit(1)
}
console.info(`wrote ${currentSchemasDir}; all schemas are backward compatible with their releases`)
