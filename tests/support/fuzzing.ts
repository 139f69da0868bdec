import { randomInt } from 'node:crypto'
import fc from 'fast-check'

// What the bad-input fuzzers share: a seed that is printed and can be replayed, counts that a run
// reports and asserts on (so it cannot silently shrink), and cases that print readably on failure.

/** FUZZ_SEED when set (to replay a run), else a fresh one; the suite prints it either way. */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED
  return given === undefined || given === '' ? randomInt(2 ** 31) : Number(given)
}

/** `usual` runs (at least `minimum`); FUZZ_RUNS changes it, but never below `minimum`. */
export function fuzzRuns(minimum: number, usual = minimum): number {
  const given = Number(process.env.FUZZ_RUNS)
  return Math.max(minimum, Number.isFinite(given) && given > 0 ? given : usual)
}

/** Counts by key, in first-seen order. */
export class Tally {
  readonly #counts = new Map<string, number>()

  add(key: string | number): void {
    this.#counts.set(String(key), (this.#counts.get(String(key)) ?? 0) + 1)
  }

  get(key: string): number {
    return this.#counts.get(key) ?? 0
  }

  get total(): number {
    let sum = 0
    for (const count of this.#counts.values()) sum += count
    return sum
  }

  toString(): string {
    return JSON.stringify(Object.fromEntries(this.#counts))
  }
}

/** Makes fast-check print `fuzz` with its body cut to 300 bytes (a 1 MiB body would bury the rest). */
export function printableWithBody<T extends { readonly body?: Buffer | undefined }>(fuzz: T): T {
  const { body, ...rest } = fuzz
  const shown =
    body === undefined
      ? ''
      : ` body (${body.length} bytes): ${JSON.stringify(body.subarray(0, 300).toString('latin1'))}`
  return Object.defineProperty(fuzz, fc.toStringMethod, {
    value: () => `${JSON.stringify(rest)}${shown}`,
    enumerable: false,
  })
}
