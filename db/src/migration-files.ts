import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MigrationFileError } from './errors.ts'

export interface MigrationFile {
  /** The file name without `.sql`, e.g. `0001_create_tasks`: the name recorded as applied. */
  name: string
  fileName: string
  sql: string
}

const migrationFileName = /^(\d{4})_[a-z0-9][a-z0-9_]*\.sql$/

// Pure part of the loader: which names in a folder are migrations, in which order. Any `.sql` file
// that does not follow `NNNN_name.sql`, a duplicate number and an empty file are errors rather than
// silently skipped: a typo must not ship a schema without its table.
export function orderMigrationFileNames(fileNames: readonly string[]): string[] {
  const sqlFiles = fileNames.filter((name) => name.endsWith('.sql'))
  const byNumber = new Map<string, string>()
  for (const fileName of sqlFiles) {
    const match = migrationFileName.exec(fileName)
    if (!match) throw new MigrationFileError(fileName, 'name must look like NNNN_lowercase_name.sql')
    const number = match[1]!
    const previous = byNumber.get(number)
    if (previous) throw new MigrationFileError(fileName, `number ${number} is also used by ${previous}`)
    byNumber.set(number, fileName)
  }
  return [...sqlFiles].sort()
}

export async function readMigrationFiles(folder: string | URL): Promise<MigrationFile[]> {
  const path = typeof folder === 'string' ? folder : fileURLToPath(folder)
  let entries: string[]
  try {
    entries = await readdir(path)
  } catch (error) {
    throw new MigrationFileError(path, `cannot read migrations folder (${(error as Error).message})`)
  }
  const files: MigrationFile[] = []
  for (const fileName of orderMigrationFileNames(entries)) {
    const sql = await readFile(join(path, fileName), 'utf8')
    if (sql.trim() === '') throw new MigrationFileError(join(path, fileName), 'file is empty')
    files.push({ name: fileName.slice(0, -'.sql'.length), fileName: join(path, fileName), sql })
  }
  return files
}
