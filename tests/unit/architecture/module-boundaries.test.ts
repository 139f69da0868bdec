import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Issue 22: one door per concept. The folders' import rules CONTRIBUTING.md states, checked on every
// tracked TypeScript file, so a new import across a boundary fails here rather than in a review.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const sources = execFileSync('git', ['ls-files', '*.ts'], { cwd: repoRoot, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '' && !file.includes('/vendor/') && !file.includes('/build/'))

/** Every module specifier a file imports or re-exports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(new URL(file, `file://${repoRoot}`), 'utf8')
  const specifiers: string[] = []
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) specifiers.push(match[1]!)
  return specifiers
}

function offenders(files: readonly string[], forbidden: (specifier: string) => boolean): string[] {
  return files.flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((specifier) => `${file}: ${specifier}`),
  )
}

describe('module boundaries', () => {
  it('finds the files it checks', () => {
    expect(sources.length).toBeGreaterThan(300)
    expect(importsOf('api/src/config.ts')).toContain('../../platform/src/kafka-settings.ts')
  })

  it('kafkajs is imported in kafka/ only', () => {
    const outside = sources.filter((file) => !file.startsWith('kafka/'))
    expect(
      offenders(outside, (specifier) => specifier === 'kafkajs' || specifier.startsWith('kafkajs/')),
    ).toEqual([])
  })

  it('function-kit/, ops/ and platform/ import nothing from api/', () => {
    const shared = sources.filter((file) => /^(function-kit|ops|platform)\//.test(file))
    expect(shared.length).toBeGreaterThan(10)
    expect(offenders(shared, (specifier) => /(^|\/)api\/src\//.test(specifier))).toEqual([])
  })
})
