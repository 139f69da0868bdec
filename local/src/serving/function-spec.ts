// What the local host needs from a function's func.yaml: the options `kn func deploy` turns into the
// Knative Service (`deploy.options.scale` -> autoscaling annotations, `resources.limits.concurrency` ->
// containerConcurrency) and the literal `run.envs`.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { z } from 'zod'

export interface FunctionScale {
  /** `autoscaling.knative.dev/min-scale`. */
  readonly min: number
  /** `autoscaling.knative.dev/max-scale`; 0 = unlimited. */
  readonly max: number
  readonly metric: 'concurrency' | 'rps'
  /** Per-pod target of the metric (Knative defaults: 100 in flight, 200 requests/s). */
  readonly target: number
  /** `autoscaling.knative.dev/target-utilization-percentage`. */
  readonly utilization: number
}

export interface FunctionSpec {
  readonly name: string
  readonly scale: FunctionScale
  /** containerConcurrency: hard per-pod limit, 0 = unlimited. */
  readonly containerConcurrency: number
  /** `run.envs` with literal values; `{{ ... }}` references are left to the caller's env. */
  readonly envs: Readonly<Record<string, string>>
  /** `run.envs` that `kn func deploy` resolves on the cluster or from the deploying shell. */
  readonly references: readonly FunctionEnvReference[]
}

/**
 * One `{{ ... }}` value of `run.envs`, as kn func reads it: `{{ configMap:NAME:KEY }}` and
 * `{{ secret:NAME:KEY }}` become configMapKeyRef / secretKeyRef, `{{ configMap:NAME }}` without an env
 * name imports the whole object (envFrom), `{{ env:VAR }}` is read from the deploying shell.
 */
export type FunctionEnvReference = {
  readonly env: string | undefined
  readonly source: 'configMap' | 'secret' | 'env'
  readonly name: string
  readonly key?: string
}

const referencePattern = /^\{\{\s*(configMap|secret|env):([\w.-]+)(?::([\w.-]+))?\s*\}\}$/

export class FunctionSpecError extends Error {
  readonly file: string

  constructor(file: string, message: string) {
    super(`${file}: ${message}`)
    this.name = 'FunctionSpecError'
    this.file = file
  }
}

const scaleSchema = z
  .object({
    min: z.number().int().nonnegative().optional(),
    max: z.number().int().nonnegative().optional(),
    metric: z.enum(['concurrency', 'rps']).optional(),
    target: z.number().positive().optional(),
    utilization: z.number().positive().max(100).optional(),
  })
  .optional()

const funcYamlSchema = z.object({
  name: z.string().min(1),
  run: z
    .object({
      envs: z
        .array(z.object({ name: z.string().min(1).optional(), value: z.string().optional() }))
        .optional(),
    })
    .optional(),
  deploy: z
    .object({
      options: z
        .object({
          scale: scaleSchema,
          resources: z
            .object({
              limits: z.object({ concurrency: z.number().int().nonnegative().optional() }).optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
})

/** Knative's defaults when func.yaml sets no scale options. */
export function defaultScaleFor(metric: FunctionScale['metric']): FunctionScale {
  return { min: 0, max: 0, metric, target: metric === 'rps' ? 200 : 100, utilization: 70 }
}

export async function readFunctionSpec(dir: string): Promise<FunctionSpec> {
  const file = join(dir, 'func.yaml')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FunctionSpecError(file, `cannot read: ${(error as Error).message}`)
  }
  return parseFunctionSpec(text, file)
}

export function parseFunctionSpec(text: string, file = 'func.yaml'): FunctionSpec {
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    throw new FunctionSpecError(file, `invalid YAML: ${(error as Error).message}`)
  }
  const parsed = funcYamlSchema.safeParse(document)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    throw new FunctionSpecError(file, issues.join('; '))
  }
  const yamlScale = parsed.data.deploy?.options?.scale ?? {}
  const metric = yamlScale.metric ?? 'concurrency'
  const defaults = defaultScaleFor(metric)
  const envs: Record<string, string> = {}
  const references: FunctionEnvReference[] = []
  for (const env of parsed.data.run?.envs ?? []) {
    // `{{ env:NAME }}` and `{{ secret:... }}` are resolved by `kn func`; locally the caller passes them.
    if (env.value === undefined) continue
    if (!env.value.includes('{{')) {
      if (env.name === undefined) throw new FunctionSpecError(file, `run.envs: a literal value needs a name`)
      envs[env.name] = env.value
      continue
    }
    const match = referencePattern.exec(env.value.trim())
    if (match === null) {
      throw new FunctionSpecError(
        file,
        `run.envs ${env.name ?? '(import)'}: "${env.value}" is not {{ configMap:NAME:KEY }}, {{ secret:NAME:KEY }} or {{ env:VAR }}`,
      )
    }
    const [, source, name, key] = match as unknown as [
      string,
      FunctionEnvReference['source'],
      string,
      string?,
    ]
    references.push({ env: env.name, source, name, ...(key === undefined ? {} : { key }) })
  }
  return {
    name: parsed.data.name,
    scale: {
      min: yamlScale.min ?? defaults.min,
      max: yamlScale.max ?? defaults.max,
      metric,
      target: yamlScale.target ?? defaults.target,
      utilization: yamlScale.utilization ?? defaults.utilization,
    },
    containerConcurrency: parsed.data.deploy?.options?.resources?.limits?.concurrency ?? 0,
    envs,
    references,
  }
}
