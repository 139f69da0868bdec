// The bench runner's configuration: the only module of bench/ that reads process.env.
import { z } from 'zod'

const benchEnvSchema = z.object({
  /** A running broker to use instead of starting the local one. */
  KAFKA_BROKERS: z.string().trim().min(1).optional(),
  /** The PostgreSQL server where the bench creates (and drops) databases of its own. */
  BENCH_POSTGRES_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .default('postgres://postgres@127.0.0.1:5432/postgres'),
  BENCH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('warn'),
})

export type BenchConfig = z.infer<typeof benchEnvSchema>

export class BenchConfigError extends Error {
  override readonly name = 'BenchConfigError'
}

export function readBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const parsed = benchEnvSchema.safeParse(env)
  if (!parsed.success) {
    throw new BenchConfigError(
      `invalid bench environment: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    )
  }
  return parsed.data
}
