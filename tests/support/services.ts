// Gate for suites that need a real service. Locally a missing service skips the suite with a printed
// reason; under CI=true it is a failure, so CI can never pass by skipping what it was meant to prove.
const inCi = process.env.CI === 'true'

export async function serviceAvailable(name: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe()
    return true
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    if (inCi) throw new Error(`${name} is required under CI=true but is unreachable: ${reason}`)
    console.warn(`[skip] ${name} unreachable (${reason}): suites that need it are skipped`)
    return false
  }
}
