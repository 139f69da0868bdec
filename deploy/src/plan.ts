// The deploy and undeploy plans: pure functions from what the repository declares (a DeployInventory)
// and the settings to an ordered list of commands. Nothing here runs a command, so `--dry-run` prints
// exactly what a real run would execute, and the tests check the order without a cluster.
//
// Order, and why:
// 1. namespace: everything else is namespaced.
// 2. brokers: the Strimzi Kafka, node pools, users and topics, then wait until Strimzi reports them
//    Ready. KafkaSources and KafkaSinks only become Ready once their topics and SCRAM users exist.
// 3. functions: `kn func deploy` per folder: builds and deploys the Knative Service a KafkaSource sinks to.
// 4. event sources and services: the rest of the overlay (Task API, sources, sinks, bindings, routes),
//    then wait for each to be Ready.
// Undeploy runs the phases in reverse: stop the event flow first, delete the namespace last.

export type Overlay = 'dev' | 'prod'
export const overlays: readonly Overlay[] = ['dev', 'prod']

export type Phase = 'namespace' | 'brokers' | 'functions' | 'sources-and-services'
export const phaseOrder: readonly Phase[] = ['namespace', 'brokers', 'functions', 'sources-and-services']

export type Step = {
  phase: Phase
  /** What the step does and why it sits where it does: printed before the command runs. */
  reason: string
  command: string
  args: string[]
  /** When set, the command's stdout (trimmed) must equal this, or the step fails. */
  expectStdout?: string
}

export type Plan = {
  action: 'deploy' | 'undeploy'
  overlay: Overlay
  steps: Step[]
  /** Problems in the repository that a real run will hit (for example a Service without its function). */
  warnings: string[]
}

/** What the repository declares, read by inventory.ts from the manifests and the function folders. */
export type DeployInventory = {
  /** The namespace every manifest is written for. */
  namespace: string
  /** The Strimzi Kafka resource the topics and users belong to (label strimzi.io/cluster). */
  kafkaCluster: string
  topics: string[]
  kafkaSources: { name: string; sinkService: string | undefined }[]
  kafkaSinks: string[]
  pingSources: string[]
  sinkBindings: string[]
  /** Knative Services of manifests/base; `isFunction` when labelled function.knative.dev/name. */
  services: { name: string; isFunction: boolean }[]
  /** Folders under functions/ that hold a func.yaml: path relative to the repository root. */
  functions: { name: string; path: string }[]
  /** CronJobs that create Secrets other resources wait for (run once right after applying). */
  credentialJobs: string[]
}

export type DeploySettings = {
  overlay: Overlay
  namespace: string
  /** Image registry for `kn func deploy`; undefined only in a dry run (a placeholder is printed). */
  registry: string | undefined
  kubeContext: string | undefined
  build: 'auto' | 'true' | 'false'
  push: boolean
  kafkaReadyTimeout: string
  readyTimeout: string
}

/** A plan that cannot be built from these settings: the message says what to change. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PlanError'
  }
}

export const registryPlaceholder = '<registry: --registry or TASKFLOW_REGISTRY>'

// Subsets of a kustomization are chosen with `--selector`: kubectl's resource builder filters the objects
// it reads from files and `-k` directories by the label selector before applying or deleting them, and
// set-based selectors (`key`, `!key`) pick by the presence of a label.

/** The label every function's Service carries (kn func deploy sets it; manifests/base mirrors it). */
const functionLabel = 'function.knative.dev/name'
/** The label linking KafkaTopic, KafkaUser and KafkaNodePool to their Kafka (Strimzi). */
const clusterLabel = 'strimzi.io/cluster'
/** Only the Namespace carries it (the SinkBinding opt-in), so it singles the Namespace out. */
const namespaceLabel = 'bindings.knative.dev/include'

const paths = {
  namespace: 'manifests/base/namespace.yaml',
  brokers: (overlay: Overlay) => `brokers/cluster/overlays/${overlay}`,
  system: (overlay: Overlay) => `manifests/overlays/${overlay}`,
  base: 'manifests/base',
  sources: 'sources',
}

function checkNamespace(inventory: DeployInventory, settings: DeploySettings): void {
  if (settings.namespace !== inventory.namespace) {
    throw new PlanError(
      `namespace "${settings.namespace}" differs from "${inventory.namespace}", the namespace every manifest ` +
        `declares: kubectl would refuse to apply them there. Leave --namespace unset, or write an overlay ` +
        `that sets its namespace.`,
    )
  }
}

function kubectl(settings: DeploySettings, ...args: string[]): { command: string; args: string[] } {
  const context = settings.kubeContext === undefined ? [] : ['--context', settings.kubeContext]
  return { command: 'kubectl', args: [...args, ...context] }
}

function waitReady(
  settings: DeploySettings,
  resources: string[],
  timeout: string,
  extra: string[] = [],
): { command: string; args: string[] } {
  return kubectl(
    settings,
    'wait',
    ...resources,
    ...extra,
    '--for=condition=Ready',
    `--timeout=${timeout}`,
    '--namespace',
    settings.namespace,
  )
}

function functionWarnings(inventory: DeployInventory): string[] {
  const deployed = new Set(inventory.functions.map((f) => f.name))
  const warnings: string[] = []
  for (const service of inventory.services.filter((s) => s.isFunction && !deployed.has(s.name))) {
    const sources = inventory.kafkaSources.filter((s) => s.sinkService === service.name).map((s) => s.name)
    warnings.push(
      `Knative Service ${service.name} is declared in manifests/base but functions/${service.name} has no ` +
        `func.yaml, so nothing deploys it` +
        (sources.length > 0 ? `: KafkaSource ${sources.join(', ')} will not become Ready` : ''),
    )
  }
  return warnings
}

/** Services that step 4 waits for: the ones the overlay applies plus the functions kn func deployed. */
function servicesToWait(inventory: DeployInventory): string[] {
  return [
    ...inventory.services.filter((s) => !s.isFunction).map((s) => s.name),
    ...inventory.functions.map((f) => f.name),
  ]
}

export function buildDeployPlan(inventory: DeployInventory, settings: DeploySettings): Plan {
  checkNamespace(inventory, settings)
  const { overlay, namespace } = settings
  const steps: Step[] = []
  const add = (phase: Phase, reason: string, command: { command: string; args: string[] }) =>
    steps.push({ phase, reason, ...command })

  add(
    'namespace',
    `create namespace ${namespace} (labelled so the SinkBinding webhook injects K_SINK there)`,
    kubectl(settings, 'apply', '--filename', paths.namespace),
  )

  // Sender identity: without it no source sends a token and every function (production mode) answers
  // 401. A cluster-wide Knative setting, so the plan names it (README "Sender identity").
  add(
    'namespace',
    'enable Knative Eventing sender identity (authentication-oidc in config-features): sources send OIDC tokens',
    kubectl(
      settings,
      'patch',
      'configmap',
      'config-features',
      '--namespace',
      'knative-eventing',
      '--type',
      'merge',
      '--patch',
      '{"data":{"authentication-oidc":"enabled"}}',
    ),
  )

  add(
    'brokers',
    `apply the Strimzi Kafka "${inventory.kafkaCluster}", its node pools, users and metrics config (${overlay})`,
    kubectl(settings, 'apply', '--kustomize', paths.brokers(overlay)),
  )
  // The topics come from the overlay, not brokers/topics, so they carry the overlay's replication patch
  // (dev has one broker, where brokers/topics' 3 replicas cannot be placed).
  add(
    'brokers',
    `apply the KafkaTopics (and again the users and node pools) as the ${overlay} overlay patches them`,
    kubectl(settings, 'apply', '--kustomize', paths.system(overlay), '--selector', clusterLabel),
  )
  add(
    'brokers',
    `wait until Strimzi reports Kafka ${inventory.kafkaCluster} Ready (first start pulls images)`,
    waitReady(settings, [`kafka/${inventory.kafkaCluster}`], settings.kafkaReadyTimeout),
  )
  if (inventory.topics.length > 0) {
    add(
      'brokers',
      'wait until the Topic Operator has created every topic',
      waitReady(
        settings,
        inventory.topics.map((t) => `kafkatopic/${t}`),
        settings.readyTimeout,
      ),
    )
  }
  add(
    'brokers',
    'wait until the User Operator has created every SCRAM user and its Secret (KafkaSources and sinks read them)',
    waitReady(settings, ['kafkauser'], settings.readyTimeout, [
      '--selector',
      `${clusterLabel}=${inventory.kafkaCluster}`,
    ]),
  )

  if (settings.kubeContext !== undefined && inventory.functions.length > 0) {
    // kn func has no --context flag: it deploys to kubeconfig's current context.
    steps.push({
      phase: 'functions',
      reason: `check that the current kube context is ${settings.kubeContext} (kn func deploys there)`,
      command: 'kubectl',
      args: ['config', 'current-context'],
      expectStdout: settings.kubeContext,
    })
  }
  for (const fn of inventory.functions) {
    add('functions', `build, push and deploy function ${fn.name} as a Knative Service`, {
      command: 'kn',
      args: [
        'func',
        'deploy',
        '--path',
        fn.path,
        '--registry',
        settings.registry ?? registryPlaceholder,
        '--namespace',
        namespace,
        `--build=${settings.build}`,
        `--push=${settings.push}`,
      ],
    })
  }

  // Everything else of the overlay. The functions' Services are left out: kn func deploy owns them (the
  // overlay's copies name release images and would replace the images just built). Namespace and
  // Strimzi objects are applied again unchanged.
  add(
    'sources-and-services',
    `apply the ${overlay} overlay except the functions' Services: Task API, KafkaSources, PingSources, KafkaSinks, SinkBindings, config, routes`,
    kubectl(settings, 'apply', '--kustomize', paths.system(overlay), '--selector', `!${functionLabel}`),
  )
  for (const job of inventory.credentialJobs) {
    // The CronJob first runs on its schedule; a KafkaSink is not Ready without the Secret it composes.
    add(
      'sources-and-services',
      `remove the previous one-off run of CronJob ${job}, if any`,
      kubectl(settings, 'delete', 'job', `${job}-now`, '--ignore-not-found', '--namespace', namespace),
    )
    add(
      'sources-and-services',
      `run CronJob ${job} now so the KafkaSinks' auth Secrets exist before its first schedule`,
      kubectl(settings, 'create', 'job', `${job}-now`, `--from=cronjob/${job}`, '--namespace', namespace),
    )
    add(
      'sources-and-services',
      `wait for the one-off run of ${job} to complete`,
      kubectl(
        settings,
        'wait',
        `job/${job}-now`,
        '--for=condition=Complete',
        `--timeout=${settings.readyTimeout}`,
        '--namespace',
        namespace,
      ),
    )
  }
  const waits: [string, string, string[]][] = [
    ['KafkaSinks', 'kafkasink', inventory.kafkaSinks],
    ['Knative Services', 'ksvc', servicesToWait(inventory)],
    ['KafkaSources', 'kafkasource', inventory.kafkaSources.map((s) => s.name)],
    ['PingSources', 'pingsource', inventory.pingSources],
  ]
  for (const [label, kind, names] of waits) {
    if (names.length === 0) continue
    add(
      'sources-and-services',
      `wait until every ${label.slice(0, -1)} is Ready`,
      waitReady(
        settings,
        names.map((name) => `${kind}/${name}`),
        settings.readyTimeout,
      ),
    )
  }
  return { action: 'deploy', overlay, steps, warnings: functionWarnings(inventory) }
}

export function buildUndeployPlan(inventory: DeployInventory, settings: DeploySettings): Plan {
  checkNamespace(inventory, settings)
  const { overlay, namespace } = settings
  const steps: Step[] = []
  const add = (phase: Phase, reason: string, command: { command: string; args: string[] }) =>
    steps.push({ phase, reason, ...command })

  // Reverse of step 4. Deleting by the base and sources folders removes the same objects the overlay
  // applied (an overlay patch never renames), without the Kafka and the Namespace that step 4 only
  // re-applied. Sources go first so no event is delivered to a function being removed.
  add(
    'sources-and-services',
    'delete the KafkaSources, PingSources, KafkaSinks, SinkBindings and their credentials (stops the event flow)',
    kubectl(settings, 'delete', '--kustomize', paths.sources, '--ignore-not-found', '--wait'),
  )
  add(
    'sources-and-services',
    "delete the Task API, config and routes (manifests/base without the functions' Services and the Namespace)",
    kubectl(
      settings,
      'delete',
      '--kustomize',
      paths.base,
      '--selector',
      `!${functionLabel},!${namespaceLabel}`,
      '--ignore-not-found',
      '--wait',
    ),
  )

  if (settings.kubeContext !== undefined && inventory.functions.length > 0) {
    steps.push({
      phase: 'functions',
      reason: `check that the current kube context is ${settings.kubeContext} (kn func deletes there)`,
      command: 'kubectl',
      args: ['config', 'current-context'],
      expectStdout: settings.kubeContext,
    })
  }
  for (const fn of [...inventory.functions].reverse()) {
    add('functions', `delete function ${fn.name}`, {
      command: 'kn',
      args: ['func', 'delete', fn.name, '--namespace', namespace],
    })
  }

  add(
    'brokers',
    'delete the KafkaTopics, KafkaUsers and node pools',
    kubectl(
      settings,
      'delete',
      '--kustomize',
      paths.system(overlay),
      '--selector',
      clusterLabel,
      '--ignore-not-found',
      '--wait',
    ),
  )
  add(
    'brokers',
    `delete the Kafka "${inventory.kafkaCluster}" and its metrics config`,
    kubectl(settings, 'delete', '--kustomize', paths.brokers(overlay), '--ignore-not-found', '--wait'),
  )

  add(
    'namespace',
    `delete namespace ${namespace} and whatever is left in it`,
    kubectl(settings, 'delete', '--filename', paths.namespace, '--ignore-not-found', '--wait'),
  )
  return { action: 'undeploy', overlay, steps, warnings: [] }
}
