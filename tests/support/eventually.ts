// Waits for something asynchronous to happen (a record delivered, a process gone). A deadline for a
// hung system, not an assertion about speed: it fails naming what it waited for.

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>

/**
 * Polls `probe` every `intervalMs` (20) until it returns a truthy value, and returns that value. A probe
 * that throws fails the wait at once, unless `retryErrors` (a system still starting up): then the last
 * error is reported with the timeout. An expensive probe (counting rows) takes a longer interval, so
 * the wait does not slow down what it waits for.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string,
  options: number | { timeoutMs?: number; retryErrors?: boolean; intervalMs?: number } = {},
): Promise<Truthy<T>> {
  const {
    timeoutMs = 30_000,
    retryErrors = false,
    intervalMs = 20,
  } = typeof options === 'number' ? { timeoutMs: options } : options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value) return value as Truthy<T>
    } catch (error) {
      if (!retryErrors) throw error
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
