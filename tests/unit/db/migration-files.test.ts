import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MigrationFileError, orderMigrationFileNames, readMigrationFiles } from '../../../db/src/index.ts'

describe('migration file ordering', () => {
  it('orders NNNN_name.sql files by number and ignores non-SQL files', () => {
    expect(orderMigrationFileNames(['0010_c.sql', 'README.md', '0002_b.sql', '0001_a.sql'])).toEqual([
      '0001_a.sql',
      '0002_b.sql',
      '0010_c.sql',
    ])
  })

  it.each([['1_short.sql'], ['0001-dash.sql'], ['0001_Upper.sql'], ['create_tasks.sql'], ['00001_five.sql']])(
    'rejects a SQL file named %s',
    (name) => {
      expect(() => orderMigrationFileNames([name])).toThrow(MigrationFileError)
      expect(() => orderMigrationFileNames([name])).toThrow(name)
    },
  )

  it('rejects two files with the same number, naming both', () => {
    expect(() => orderMigrationFileNames(['0001_a.sql', '0001_b.sql'])).toThrow(/0001_b\.sql.*0001_a\.sql/)
  })
})

describe('migration file loading', () => {
  async function folderWith(files: Record<string, string>): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'migrations-'))
    for (const [name, content] of Object.entries(files)) await writeFile(join(folder, name), content)
    return folder
  }

  it('reads files in order with names without .sql, from a path or a file URL', async () => {
    const folder = await folderWith({ '0002_b.sql': 'select 2;', '0001_a.sql': 'select 1;' })
    for (const location of [folder, pathToFileURL(`${folder}/`)]) {
      const files = await readMigrationFiles(location)
      expect(files.map((file) => [file.name, file.sql])).toEqual([
        ['0001_a', 'select 1;'],
        ['0002_b', 'select 2;'],
      ])
    }
  })

  it('rejects an empty file, naming it', async () => {
    const folder = await folderWith({ '0001_a.sql': '  \n' })
    await expect(readMigrationFiles(folder)).rejects.toThrow(/0001_a\.sql: file is empty/)
  })

  it('rejects a missing folder with a typed error', async () => {
    await expect(readMigrationFiles('/nonexistent/migrations')).rejects.toBeInstanceOf(MigrationFileError)
  })
})
