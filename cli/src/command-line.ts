// One way every command-line tool of the project reads its arguments (node:util parseArgs, strict):
// `--help`/`-h` prints the usage and exits 0, an unknown flag, a missing value or a bad argument prints
// what is wrong and the usage and exits 2, as `kn` and `dapr` do. The tool's own failures exit 1.
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'

/** A bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const usageExitCode = 2

export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  readonly usage: string
  readonly options: O
  /** At most this many positional arguments (default 0). */
  readonly maxPositionals?: number
  /**
   * String options whose value may be left out (`--watch` or `--watch 5`): the value used then. A
   * following argument that starts with `-`, or none, means it was left out.
   */
  readonly optionalValues?: { readonly [K in keyof O]?: string }
}

export type ParsedCommand<O extends ParseArgsOptionsConfig> = {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']
  positionals: string[]
}

/** The arguments as `spec` reads them; throws UsageError. `--help` is answered by runCommand. */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  spec: CommandSpec<O>,
): ParsedCommand<O> {
  const args = withOptionalValues(argv, spec.optionalValues ?? {})
  let parsed: ParsedCommand<O>
  try {
    parsed = parseArgs({ args, options: spec.options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const max = spec.maxPositionals ?? 0
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument ${parsed.positionals[max]}`)
  return parsed
}

function withOptionalValues(argv: readonly string[], optional: Readonly<Record<string, string | undefined>>) {
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    args.push(arg)
    if (arg === '--') {
      args.push(...argv.slice(i + 1))
      break
    }
    const fallback = arg.startsWith('--') ? optional[arg.slice(2)] : undefined
    const next = argv[i + 1]
    if (fallback !== undefined && (next === undefined || next.startsWith('-'))) args.push(fallback)
  }
  return args
}

/**
 * Runs one command: answers `--help`/`-h` with the usage (0), reports a UsageError with the usage (2),
 * else returns what `body` returns. Other errors propagate: they are the tool's bugs, stack and all.
 */
export async function runCommand<O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  spec: CommandSpec<O>,
  body: (parsed: ParsedCommand<O>) => Promise<number>,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.info(spec.usage)
    return 0
  }
  try {
    return await body(parseCommand(argv, spec))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`${error.message}\n\n${spec.usage}`)
    return usageExitCode
  }
}
