// ETag / If-Match (RFC 9110 §13.1.1). The ETag is the task version, a strong validator.
import { fail, problems } from '../problem.ts'

export function etagOf(version: number): string {
  return `"${version}"`
}

export type IfMatch = { any: true } | { any: false; versions: number[] }

const entityTag = /^(W\/)?"([\x21\x23-\x7e]*)"$/

/** Parses If-Match; undefined when absent. A malformed header is a 400 naming the header. */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  if (trimmed === '*') return { any: true }
  const versions: number[] = []
  for (const part of trimmed.split(',')) {
    const match = entityTag.exec(part.trim())
    if (match === null) {
      fail(
        problems.validation([
          { field: 'header.if-match', reason: 'expected "*" or a list of quoted ETags like "3"' },
        ]),
      )
    }
    // If-Match uses the strong comparison: a weak tag never matches.
    if (match[1] === undefined && /^[1-9]\d{0,9}$/.test(match[2]!)) versions.push(Number(match[2]))
  }
  return { any: false, versions }
}

export function ifMatchAllows(ifMatch: IfMatch, version: number): boolean {
  return ifMatch.any || ifMatch.versions.includes(version)
}
