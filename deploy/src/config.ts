// The deploy tool's one config module: command-line flags over TASKFLOW_* environment variables, read
// once and checked with zod. Every problem is reported at once, naming the flag and the variable.
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { type DeploySettings, overlays } from './plan.ts'

export type DeployAction = 'deploy' | 'undeploy' | 'describe'

export type DeployConfig = DeploySettings & { action: DeployAction; dryRun: boolean }

export class DeployConfigError extends Error {
  readonly issues: string[]
  constructor(issues: string[]) {
    super(`invalid deploy settings:\n  - ${issues.join('\n  - ')}\n\n${usage}`)
    this.name = 'DeployConfigError'
    this.issues = issues
  }
}

export const usage = `usage: npm run deploy -- --overlay dev|prod [--dry-run] [--registry R] [--function F] [--context C]
       npm run undeploy -- --overlay dev|prod [--dry-run] [--namespace N] [--context C]
       npm run describe -- --overlay dev|prod [--registry R]
options (flag / environment variable):
  --overlay         TASKFLOW_OVERLAY         dev or prod (manifests/overlays/<overlay>)
  --registry        TASKFLOW_REGISTRY        registry for every image: the Task API's and kn func deploy's
                                             (required to deploy for real)
  --tag             TASKFLOW_IMAGE_TAG       tag of the Task API image (default: <version>-<git commit>,
                                             plus -dirty-<time> for uncommitted changes)
  --function        TASKFLOW_FUNCTION        deploy this function only (the system must be deployed)
  --namespace       TASKFLOW_NAMESPACE       default: the namespace the manifests declare
  --context         TASKFLOW_KUBE_CONTEXT    kube context (default: the current one)
  --build           TASKFLOW_BUILD           auto | true | false: false deploys images built before
                                             (default auto)
  --push            TASKFLOW_PUSH            true | false (default: false for *.local registries, else true)
  --container-cli   TASKFLOW_CONTAINER_CLI   builds and pushes the Task API image (default docker; podman works)
  --monitoring      TASKFLOW_MONITORING      also apply manifests/monitoring (PodMonitors, alerts, dashboard;
                                             needs the Prometheus Operator), true when the flag is given
  --kafka-timeout   TASKFLOW_KAFKA_TIMEOUT   wait for the Kafka to be Ready (default 15m)
  --ready-timeout   TASKFLOW_READY_TIMEOUT   wait for every other resource (default 5m)
  --dry-run                                  print the plan, run nothing`

// kubectl wait --timeout takes a Go duration; whole seconds, minutes or hours keep it readable.
const kubectlDuration = z.string().regex(/^\d+(s|m|h)$/, 'must be a duration like 300s, 5m or 1h')
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional()

const settingsSchema = z.object({
  overlay: z.enum(overlays, { error: `must be one of ${overlays.join(', ')}` }),
  registry: optionalText,
  namespace: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label')
      .optional(),
  ),
  kubeContext: optionalText,
  imageTag: optionalText.pipe(
    z
      .string()
      .regex(/^[\w][\w.-]{0,127}$/, 'must be an image tag: letters, digits, _ . - (at most 128)')
      .optional(),
  ),
  function: optionalText,
  containerCli: optionalText,
  build: z.enum(['auto', 'true', 'false']).default('auto'),
  monitoring: z.enum(['true', 'false']).default('false'),
  push: z.enum(['true', 'false']).optional(),
  kafkaReadyTimeout: kubectlDuration.default('15m'),
  readyTimeout: kubectlDuration.default('5m'),
})

// Flag name, environment variable, settings key; a switch is true when its flag is given, else its
// variable says true or false.
const options = [
  ['overlay', 'TASKFLOW_OVERLAY', 'overlay'],
  ['registry', 'TASKFLOW_REGISTRY', 'registry'],
  ['namespace', 'TASKFLOW_NAMESPACE', 'namespace'],
  ['context', 'TASKFLOW_KUBE_CONTEXT', 'kubeContext'],
  ['tag', 'TASKFLOW_IMAGE_TAG', 'imageTag'],
  ['function', 'TASKFLOW_FUNCTION', 'function'],
  ['container-cli', 'TASKFLOW_CONTAINER_CLI', 'containerCli'],
  ['build', 'TASKFLOW_BUILD', 'build'],
  ['push', 'TASKFLOW_PUSH', 'push'],
  ['monitoring', 'TASKFLOW_MONITORING', 'monitoring', 'switch'],
  ['kafka-timeout', 'TASKFLOW_KAFKA_TIMEOUT', 'kafkaReadyTimeout'],
  ['ready-timeout', 'TASKFLOW_READY_TIMEOUT', 'readyTimeout'],
] as const

/**
 * Knative Serving does not resolve tags of `*.local` registries (config-deployment
 * `registries-skipping-tag-resolving`: kind.local, ko.local, dev.local), so such images are used from the
 * node's image store and are not pushed.
 */
export function pushFor(registry: string | undefined): boolean {
  const host = registry?.split('/')[0] ?? ''
  return !/\.local(:\d+)?$/.test(host)
}

/** What the settings default to from the repository: its namespace and the tag of this checkout. */
export type RepositoryDefaults = { namespace: string; imageTag: string }

/** The settings as given: the overlay is known (the repository defaults depend on it), the rest may be unset. */
export type GivenDeployConfig = Omit<DeployConfig, 'namespace' | 'imageTag'> & {
  namespace: string | undefined
  imageTag: string | undefined
}

/**
 * Reads the settings for `action` from `argv` (the arguments after the action) and `env`. Throws
 * DeployConfigError naming every problem.
 */
export function parseDeployConfig(
  action: DeployAction,
  argv: string[],
  env: Record<string, string | undefined>,
): GivenDeployConfig {
  let parsed: ReturnType<typeof parseFlags>
  try {
    parsed = parseFlags(argv)
  } catch (error) {
    throw new DeployConfigError([(error as Error).message])
  }
  if (parsed.positionals.length > 0) {
    throw new DeployConfigError([`unexpected argument(s): ${parsed.positionals.join(' ')}`])
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  const raw: Record<string, string | undefined> = {}
  for (const [flag, variable, key, kind] of options) {
    const fromFlag = values[flag]
    raw[key] =
      kind === 'switch'
        ? fromFlag === true
          ? 'true'
          : env[variable]
        : ((fromFlag as string | undefined) ?? env[variable])
  }
  const result = settingsSchema.safeParse(raw)
  if (!result.success) {
    throw new DeployConfigError(
      result.error.issues.map((issue) => {
        const option = options.find(([, , key]) => key === issue.path[0])
        const where = option === undefined ? '' : `--${option[0]} (${option[1]}): `
        const got = option === undefined ? undefined : raw[option[2]]
        return `${where}${issue.message}${got === undefined ? ' (not set)' : `, got "${got}"`}`
      }),
    )
  }
  const settings = result.data
  const dryRun = values['dry-run'] === true
  if (action !== 'deploy' && settings.function !== undefined) {
    throw new DeployConfigError([`--function (TASKFLOW_FUNCTION): only deploy takes it`])
  }
  if (action === 'deploy' && !dryRun && settings.registry === undefined) {
    throw new DeployConfigError([
      '--registry (TASKFLOW_REGISTRY): required to deploy, the Task API image and kn func deploy push there ' +
        '(for example localhost:5000/taskflow); only --dry-run works without it',
    ])
  }
  return {
    action,
    dryRun,
    overlay: settings.overlay,
    namespace: settings.namespace,
    registry: settings.registry,
    imageTag: settings.imageTag,
    function: settings.function,
    containerCli: settings.containerCli ?? 'docker',
    monitoring: settings.monitoring === 'true',
    shellEnv: Object.keys(env).filter((name) => env[name] !== undefined),
    kubeContext: settings.kubeContext,
    build: settings.build,
    push: settings.push === undefined ? pushFor(settings.registry) : settings.push === 'true',
    kafkaReadyTimeout: settings.kafkaReadyTimeout,
    readyTimeout: settings.readyTimeout,
  }
}

/** The given settings with the repository's defaults where they leave a setting unset. */
export function withRepositoryDefaults(given: GivenDeployConfig, defaults: RepositoryDefaults): DeployConfig {
  return {
    ...given,
    namespace: given.namespace ?? defaults.namespace,
    imageTag: given.imageTag ?? defaults.imageTag,
  }
}

export function readDeployConfig(
  action: DeployAction,
  argv: string[],
  env: Record<string, string | undefined>,
  defaults: RepositoryDefaults,
): DeployConfig {
  return withRepositoryDefaults(parseDeployConfig(action, argv, env), defaults)
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(
        options.map(([flag, , , kind]) => [
          flag,
          { type: kind === 'switch' ? ('boolean' as const) : ('string' as const) },
        ]),
      ),
      'dry-run': { type: 'boolean' },
    },
  })
}
