// The deploy and undeploy plans: pure functions from what the repository declares (a DeployInventory)
// and the settings to an ordered list of steps. Nothing here runs a command, so `--dry-run` prints
// exactly what a real run would execute, and plan-check.ts proves the order without a cluster: every
// step says what it creates and what it needs.
//
// Order, and why:
// 1. images: build and push the Task API image, and write the kustomization that points the overlay at
//    it. First, so a failed build leaves the cluster untouched.
// 2. namespace: everything else is namespaced; Knative's sender identity is switched on.
// 3. brokers: the Strimzi Kafka, node pools, users and topics, then wait until Strimzi reports them
//    Ready: the KafkaUser Secrets and the cluster CA exist only after that.
// 4. system: the rest of the overlay but the functions' Services (config, credentials, Task API,
//    sources, sinks, bindings, policies, routes), and a first run of the credential job. Before the
//    functions, because `kn func deploy` waits for a Ready Service and their func.yaml reads the
//    ConfigMaps and Secrets this applies. A KafkaSource applied before its function is not Ready
//    until the function exists, then reads from the earliest offset: nothing is skipped.
// 5. functions: `kn func deploy` per folder (build, push, deploy).
// 6. ready: wait until every KafkaSink, Knative Service, KafkaSource and PingSource is Ready.
// Undeploy runs in reverse: stop the event flow first, delete the namespace last.
import { placeholderUrl } from '../../local/src/overlay-settings.ts'
import type { FunctionEnvReference } from '../../local/src/serving/function-spec.ts'
import type { KubernetesObject } from '../../sources/src/kustomize.ts'
import {
  credentialJobNeeds,
  credentialJobOutputs,
  type Need,
  objectNeeds,
  objectProvision,
  objectRef,
  operatorOutputs,
  type Provision,
  refs,
} from './resources.ts'
import { matchesSelector } from './selector.ts'

export type Overlay = 'dev' | 'prod'
export const overlays: readonly Overlay[] = ['dev', 'prod']

export type Phase = 'images' | 'namespace' | 'brokers' | 'system' | 'functions' | 'ready'
export const phaseOrder: readonly Phase[] = ['images', 'namespace', 'brokers', 'system', 'functions', 'ready']

/** What each phase does, as the README lists it (a test holds the two equal). */
export const phaseSummaries: Record<Phase, string> = {
  images:
    'build and push the Task API image (`api/Dockerfile`), and write `.deploy/<overlay>/kustomization.yaml`: the overlay running that image',
  namespace: 'the namespace, and Knative Eventing\'s `authentication-oidc` flag (see "Sender identity")',
  brokers:
    'the Strimzi Kafka, node pools, users and topics; waits until Strimzi has made the KafkaUser Secrets and the cluster CA',
  system:
    "the rest of the overlay but the functions' Services: config, credentials, Task API, KafkaSources, PingSources, KafkaSinks, SinkBindings, EventPolicies, NetworkPolicies, routes; one run of the KafkaSink credential job; with `--monitoring`, `manifests/monitoring`",
  functions:
    '`kn func deploy` for every `functions/*/func.yaml` folder (their ConfigMaps and Secrets exist by now)',
  ready: 'waits until every KafkaSink, Knative Service, KafkaSource and PingSource is Ready',
}

type StepBase = {
  phase: Phase
  /** What the step does and why it sits where it does: printed before it runs. */
  reason: string
  /** What exists on the cluster (or in the registry) once the step succeeded. */
  creates: Provision[]
  /** What must exist before the step runs (checked by plan-check.ts). */
  needs: Need[]
  /** Objects applied by earlier steps whose readiness this step waits for: their needs must exist now. */
  waitsFor: string[]
  /** Objects the step applies, with what each needs (checked when waited for, or by the end). */
  applies: { ref: string; needs: Need[] }[]
}

export type CommandStep = StepBase & {
  command: string
  args: string[]
  /** When set, the command's stdout (trimmed) must equal this, or the step fails. */
  expectStdout?: string
}

/** A file the plan writes (the kustomization that sets the built image); a dry run prints it. */
export type WriteStep = StepBase & { writeFile: { path: string; content: string } }

export type Step = CommandStep | WriteStep

export const isCommand = (step: Step): step is CommandStep => 'command' in step

export type Plan = {
  action: 'deploy' | 'undeploy'
  overlay: Overlay
  steps: Step[]
  /** Problems in the repository that a real run will hit (for example a Service without its function). */
  warnings: string[]
  /** Settings still at a placeholder (also among the warnings): a real run refuses them. */
  placeholders: string[]
  /** What the plan takes as already there: the cluster prerequisites, and for one function the system. */
  assumes: Provision[]
}

/** A function folder: its name, its path, and the `{{ }}` references of its func.yaml. */
export type FunctionFolder = { name: string; path: string; references: readonly FunctionEnvReference[] }

/** What the repository declares for one overlay, read by inventory.ts. */
export type DeployInventory = {
  /** The namespace every manifest is written for. */
  namespace: string
  /** The Strimzi Kafka the topics and users belong to (label strimzi.io/cluster). */
  kafkaCluster: string
  /** manifests/base/namespace.yaml */
  namespaceObjects: KubernetesObject[]
  /** brokers/cluster/overlays/<overlay>, as kubectl kustomize renders it. */
  brokerObjects: KubernetesObject[]
  /** manifests/overlays/<overlay>, as kubectl kustomize renders it. */
  systemObjects: KubernetesObject[]
  /** manifests/monitoring, as kubectl kustomize renders it. */
  monitoringObjects: KubernetesObject[]
  /** Folders under functions/ that hold a func.yaml, sorted by name. */
  functions: FunctionFolder[]
}

export type DeploySettings = {
  overlay: Overlay
  namespace: string
  /** Image registry for the Task API image and `kn func deploy`; undefined only in a dry run. */
  registry: string | undefined
  /** Tag of the images the plan builds (the Task API's). */
  imageTag: string
  kubeContext: string | undefined
  build: 'auto' | 'true' | 'false'
  push: boolean
  /** docker, or a CLI with the same build/push arguments (podman, nerdctl). */
  containerCli: string
  /** Deploy this function only (the rest of the system must be deployed already). */
  function: string | undefined
  /** Also apply manifests/monitoring (needs the Prometheus Operator's CRDs). */
  monitoring: boolean
  kafkaReadyTimeout: string
  readyTimeout: string
  /** Names of the variables set in the deploying shell (func.yaml `{{ env:VAR }}`). */
  shellEnv: readonly string[]
}

/** A plan that cannot be built from these settings: the message says what to change. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PlanError'
  }
}

export const registryPlaceholder = '<registry: --registry or TASKFLOW_REGISTRY>'

/** Images the plan builds: the Knative Services that are not functions, each from its Dockerfile. */
export const builtImages: readonly { service: string; dockerfile: string; repository: string }[] = [
  { service: 'task-api', dockerfile: 'api/Dockerfile', repository: 'task-api' },
]

// Subsets of a kustomization are chosen with `--selector`: kubectl's resource builder filters the objects
// it reads from files and `-k` directories by the label selector before applying or deleting them, and
// set-based selectors (`key`, `!key`) pick by the presence of a label.

/** The label every function's Service carries (kn func deploy sets it; manifests/base mirrors it). */
const functionLabel = 'function.knative.dev/name'
/** The label linking KafkaTopic, KafkaUser and KafkaNodePool to their Kafka (Strimzi). */
const clusterLabel = 'strimzi.io/cluster'
/** Only the Namespace carries it (the SinkBinding opt-in), so it singles the Namespace out. */
const namespaceLabel = 'bindings.knative.dev/include'

export const paths = {
  namespace: 'manifests/base/namespace.yaml',
  brokers: (overlay: Overlay) => `brokers/cluster/overlays/${overlay}`,
  system: (overlay: Overlay) => `manifests/overlays/${overlay}`,
  /** The overlay plus the built image: written by the plan, ignored by git. */
  generated: (overlay: Overlay) => `.deploy/${overlay}`,
  base: 'manifests/base',
  sources: 'sources',
  monitoring: 'manifests/monitoring',
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

const ofKind = (objects: KubernetesObject[], kind: string) => objects.filter((o) => o.kind === kind)
export const isKnativeService = (o: KubernetesObject) =>
  o.kind === 'Service' && o.apiVersion.startsWith('serving.knative.dev/')

function functionWarnings(inventory: DeployInventory): string[] {
  const deployed = new Set(inventory.functions.map((f) => f.name))
  const warnings: string[] = []
  const functionServices = inventory.systemObjects.filter(
    (o) => isKnativeService(o) && o.metadata.labels?.[functionLabel] !== undefined,
  )
  for (const service of functionServices.filter((s) => !deployed.has(s.metadata.name))) {
    const sources = ofKind(inventory.systemObjects, 'KafkaSource')
      .filter(
        (s) => (s.spec as { sink?: { ref?: { name?: string } } }).sink?.ref?.name === service.metadata.name,
      )
      .map((s) => s.metadata.name)
    warnings.push(
      `Knative Service ${service.metadata.name} is declared in manifests/base but functions/${service.metadata.name} has no ` +
        `func.yaml, so nothing deploys it` +
        (sources.length > 0 ? `: KafkaSource ${sources.join(', ')} will not become Ready` : ''),
    )
  }
  return warnings
}

/** Settings a cluster would run with that are placeholders still (an example.com identity provider). */
function placeholderWarnings(inventory: DeployInventory, overlay: Overlay): string[] {
  const warnings: string[] = []
  for (const configMap of ofKind(inventory.systemObjects, 'ConfigMap')) {
    for (const [key, value] of Object.entries((configMap.data as Record<string, string> | undefined) ?? {})) {
      if (placeholderUrl(value)) {
        warnings.push(
          `ConfigMap ${configMap.metadata.name} ${key}=${value} is a placeholder: set your own in ` +
            `manifests/overlays/${overlay} before a real deploy`,
        )
      }
    }
  }
  return warnings
}

type StepFields = Partial<Pick<StepBase, 'creates' | 'needs' | 'waitsFor' | 'applies'>>
function step(
  phase: Phase,
  reason: string,
  run: { command: string; args: string[] },
  fields: StepFields = {},
): CommandStep {
  return { phase, reason, ...run, creates: [], needs: [], waitsFor: [], applies: [], ...fields }
}

/** What applying `objects` creates and needs; `stepNeeds` are the step's own (its kustomization file). */
function applyFields(objects: KubernetesObject[], namespace: string, stepNeeds: Need[] = []): StepFields {
  const needsOf = objects.map((o) => objectNeeds(o, namespace))
  return {
    creates: objects.map((o) => objectProvision(o, namespace)),
    needs: [...needsOf.flat().filter((n) => n.atApply), ...stepNeeds],
    applies: objects.map((o, index) => ({
      ref: objectRef(o, namespace),
      needs: (needsOf[index] ?? []).filter((n) => !n.atApply),
    })),
  }
}

const generatedKustomizationFile = (overlay: Overlay) => `${paths.generated(overlay)}/kustomization.yaml`

/** The image a built Service runs: `<registry>/<repository>:<tag>`. */
export function builtImageReference(settings: DeploySettings, repository: string): string {
  return `${settings.registry ?? registryPlaceholder}/${repository}:${settings.imageTag}`
}

/** The kustomization the plan writes: the overlay, with each built Service's image replaced. */
export function generatedKustomization(inventory: DeployInventory, settings: DeploySettings): string {
  const lines = [
    '# Written by `npm run deploy`: the overlay with the images this deploy built. Do not edit.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ../../${paths.system(settings.overlay)}`,
    'images:',
  ]
  for (const built of builtImages) {
    const service = inventory.systemObjects.find(
      (o) => isKnativeService(o) && o.metadata.name === built.service,
    )
    const image = serviceImage(service)
    if (image === undefined)
      throw new PlanError(`the overlay has no Knative Service ${built.service} with an image`)
    const [newName, newTag] = splitImage(builtImageReference(settings, built.repository))
    lines.push(`  - name: ${splitImage(image)[0]}`, `    newName: ${newName}`, `    newTag: "${newTag}"`)
  }
  return `${lines.join('\n')}\n`
}

function serviceImage(service: KubernetesObject | undefined): string | undefined {
  const containers = (
    service?.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined
  )?.template?.spec?.containers
  return containers?.[0]?.image
}

/** Repository and tag of an image reference (the tag is after the last colon that follows the last slash). */
function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':')
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest']
}

/** The overlay's objects as they are applied once the generated kustomization replaced the built images. */
function withBuiltImages(inventory: DeployInventory, settings: DeploySettings): KubernetesObject[] {
  return inventory.systemObjects.map((object) => {
    const built = builtImages.find((b) => isKnativeService(object) && object.metadata.name === b.service)
    if (built === undefined) return object
    const copy = structuredClone(object) as KubernetesObject & {
      spec: { template: { spec: { containers: { image: string }[] } } }
    }
    for (const container of copy.spec.template.spec.containers) {
      container.image = builtImageReference(settings, built.repository)
    }
    return copy
  })
}

function imageSteps(inventory: DeployInventory, settings: DeploySettings): Step[] {
  const steps: Step[] = []
  for (const built of builtImages) {
    const reference = builtImageReference(settings, built.repository)
    if (settings.build === 'false') continue
    const local = `Built ${reference}`
    steps.push(
      step(
        'images',
        `build the ${built.service} image from ${built.dockerfile}`,
        {
          command: settings.containerCli,
          args: ['build', '--file', built.dockerfile, '--tag', reference, '.'],
        },
        { creates: [{ ref: settings.push ? local : refs.image(reference) }] },
      ),
    )
    if (settings.push) {
      steps.push(
        step(
          'images',
          `push the ${built.service} image to ${settings.registry ?? registryPlaceholder}`,
          { command: settings.containerCli, args: ['push', reference] },
          { needs: [{ ref: local, by: `push of ${reference}` }], creates: [{ ref: refs.image(reference) }] },
        ),
      )
    }
  }
  const path = generatedKustomizationFile(settings.overlay)
  steps.push({
    phase: 'images',
    reason: `write ${path}: the ${settings.overlay} overlay running the images just built`,
    writeFile: { path, content: generatedKustomization(inventory, settings) },
    creates: [{ ref: refs.file(path) }],
    needs: [],
    waitsFor: [],
    applies: [],
  })
  return steps
}

function contextCheck(settings: DeploySettings, what: string): Step[] {
  // kn func has no --context flag: it deploys to kubeconfig's current context.
  if (settings.kubeContext === undefined) return []
  return [
    {
      ...step(
        'functions',
        `check that the current kube context is ${settings.kubeContext} (kn func ${what} there)`,
        {
          command: 'kubectl',
          args: ['config', 'current-context'],
        },
      ),
      expectStdout: settings.kubeContext,
    },
  ]
}

function functionNeeds(fn: FunctionFolder, namespace: string): Need[] {
  const by = `func.yaml of ${fn.name}`
  return [
    { ref: refs.namespace(namespace), by, atApply: true },
    { ref: refs.api('serving.knative.dev/v1', 'Service'), by, atApply: true },
    ...fn.references.map((reference): Need => {
      const user = `${by} (${reference.env ?? 'import'})`
      if (reference.source === 'env') return { ref: refs.shellEnv(reference.name), by: user }
      const ref = (reference.source === 'configMap' ? refs.configMap : refs.secret)(namespace, reference.name)
      return { ref, ...(reference.key === undefined ? {} : { key: reference.key }), by: user }
    }),
  ]
}

function functionDeployStep(fn: FunctionFolder, settings: DeploySettings): Step {
  return step(
    'functions',
    `build, push and deploy function ${fn.name} as a Knative Service (kn func waits until it is Ready)`,
    {
      command: 'kn',
      args: [
        'func',
        'deploy',
        '--path',
        fn.path,
        '--registry',
        settings.registry ?? registryPlaceholder,
        '--namespace',
        settings.namespace,
        `--build=${settings.build}`,
        `--push=${settings.push}`,
      ],
    },
    {
      needs: functionNeeds(fn, settings.namespace),
      creates: [{ ref: refs.object('serving.knative.dev/v1', 'Service', settings.namespace, fn.name) }],
    },
  )
}

/** What the plan takes as there before it starts: the README's cluster steps and the deploying shell. */
export function baseAssumptions(
  prerequisites: readonly Provision[],
  settings: DeploySettings,
  publicImageNames: readonly string[],
): Provision[] {
  return [
    ...prerequisites,
    ...publicImageNames.map((image) => ({ ref: refs.image(image) })),
    ...settings.shellEnv.map((name) => ({ ref: refs.shellEnv(name) })),
    // --build=false: the images were built and pushed by an earlier run.
    ...(settings.build === 'false'
      ? builtImages.map((b) => ({ ref: refs.image(builtImageReference(settings, b.repository)) }))
      : []),
  ]
}

export type PlanContext = { prerequisites: readonly Provision[]; publicImages: readonly string[] }

export function buildDeployPlan(
  inventory: DeployInventory,
  settings: DeploySettings,
  context: PlanContext,
): Plan {
  checkNamespace(inventory, settings)
  if (settings.function !== undefined) return buildFunctionPlan(inventory, settings, context)
  const { overlay, namespace } = settings
  const generated = paths.generated(overlay)
  // The apply steps that read the overlay through the written kustomization need it written.
  const readsGenerated: Need = { ref: refs.file(generatedKustomizationFile(overlay)), by: 'kubectl apply' }
  const system = withBuiltImages(inventory, settings)
  const steps: Step[] = [...imageSteps(inventory, settings)]
  const add = (s: Step) => steps.push(s)

  add(
    step(
      'namespace',
      `create namespace ${namespace} (labelled so the SinkBinding webhook injects K_SINK there)`,
      kubectl(settings, 'apply', '--filename', paths.namespace),
      applyFields(inventory.namespaceObjects, namespace),
    ),
  )
  // Sender identity: without it no source sends a token and every function (production mode) answers
  // 401. A cluster-wide Knative setting, so the plan names it (README "Sender identity").
  add(
    step(
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
      {
        needs: [
          { ref: refs.configMap('knative-eventing', 'config-features'), by: 'the sender identity switch' },
        ],
        creates: [{ ref: refs.feature('authentication-oidc') }],
      },
    ),
  )

  add(
    step(
      'brokers',
      `apply the Strimzi Kafka "${inventory.kafkaCluster}", its node pools, users and metrics config (${overlay})`,
      kubectl(settings, 'apply', '--kustomize', paths.brokers(overlay)),
      applyFields(inventory.brokerObjects, namespace),
    ),
  )
  // The topics come from the overlay, not brokers/topics, so they carry the overlay's replication patch
  // (dev has one broker, where brokers/topics' 3 replicas cannot be placed).
  const strimziObjects = system.filter((o) => matchesSelector(o.metadata.labels, clusterLabel))
  add(
    step(
      'brokers',
      `apply the KafkaTopics (and again the users and node pools) as the ${overlay} overlay patches them`,
      kubectl(settings, 'apply', '--kustomize', generated, '--selector', clusterLabel),
      applyFields(strimziObjects, namespace, [readsGenerated]),
    ),
  )
  const kafkas = ofKind(inventory.brokerObjects, 'Kafka').filter(
    (k) => k.metadata.name === inventory.kafkaCluster,
  )
  add(
    step(
      'brokers',
      `wait until Strimzi reports Kafka ${inventory.kafkaCluster} Ready (first start pulls images)`,
      waitReady(settings, [`kafka/${inventory.kafkaCluster}`], settings.kafkaReadyTimeout),
      {
        waitsFor: kafkas.map((k) => objectRef(k, namespace)),
        creates: kafkas.flatMap((k) => operatorOutputs(k, namespace)),
      },
    ),
  )
  const topics = ofKind(strimziObjects, 'KafkaTopic')
  if (topics.length > 0) {
    add(
      step(
        'brokers',
        'wait until the Topic Operator has created every topic',
        waitReady(
          settings,
          topics.map((t) => `kafkatopic/${t.metadata.name}`),
          settings.readyTimeout,
        ),
        {
          waitsFor: topics.map((t) => objectRef(t, namespace)),
          creates: topics.flatMap((t) => operatorOutputs(t, namespace)),
        },
      ),
    )
  }
  const users = ofKind([...inventory.brokerObjects, ...strimziObjects], 'KafkaUser').filter(
    (u, index, all) => all.findIndex((v) => v.metadata.name === u.metadata.name) === index,
  )
  add(
    step(
      'brokers',
      'wait until the User Operator has created every SCRAM user and its Secret (KafkaSources and sinks read them)',
      waitReady(settings, ['kafkauser'], settings.readyTimeout, [
        '--selector',
        `${clusterLabel}=${inventory.kafkaCluster}`,
      ]),
      {
        waitsFor: users.map((u) => objectRef(u, namespace)),
        creates: users.flatMap((u) => operatorOutputs(u, namespace)),
      },
    ),
  )

  // Everything else of the overlay. The functions' Services are left out: kn func deploy owns them (the
  // overlay's copies name release images and would replace the images just built). Namespace and
  // Strimzi objects are applied again unchanged.
  const rest = system.filter((o) => matchesSelector(o.metadata.labels, `!${functionLabel}`))
  add(
    step(
      'system',
      `apply the ${overlay} overlay except the functions' Services: config, credentials, Task API, KafkaSources, PingSources, KafkaSinks, SinkBindings, policies, routes`,
      kubectl(settings, 'apply', '--kustomize', generated, '--selector', `!${functionLabel}`),
      applyFields(rest, namespace, [readsGenerated]),
    ),
  )
  for (const cronJob of ofKind(rest, 'CronJob').filter(
    (c) => credentialJobOutputs(c, namespace).length > 0,
  )) {
    const job = cronJob.metadata.name
    // The CronJob first runs on its schedule; a KafkaSink is not Ready without the Secret it composes.
    add(
      step(
        'system',
        `remove the previous one-off run of CronJob ${job}, if any`,
        kubectl(settings, 'delete', 'job', `${job}-now`, '--ignore-not-found', '--namespace', namespace),
      ),
    )
    add(
      step(
        'system',
        `run CronJob ${job} now so the KafkaSinks' auth Secrets exist before its first schedule`,
        kubectl(settings, 'create', 'job', `${job}-now`, `--from=cronjob/${job}`, '--namespace', namespace),
        { needs: [{ ref: objectRef(cronJob, namespace), by: `job ${job}-now` }] },
      ),
    )
    add(
      step(
        'system',
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
        {
          needs: credentialJobNeeds(cronJob, namespace, inventory.kafkaCluster),
          creates: credentialJobOutputs(cronJob, namespace),
        },
      ),
    )
  }

  if (settings.monitoring) {
    add(
      step(
        'system',
        'apply the monitoring: PodMonitors, alert rules, the Grafana dashboard and the scrape NetworkPolicy',
        kubectl(settings, 'apply', '--kustomize', paths.monitoring),
        applyFields(inventory.monitoringObjects, namespace),
      ),
    )
  }

  if (inventory.functions.length > 0) steps.push(...contextCheck(settings, 'deploys'))
  for (const fn of inventory.functions) add(functionDeployStep(fn, settings))

  const waits: [string, string, KubernetesObject[]][] = [
    ['KafkaSinks', 'kafkasink', ofKind(rest, 'KafkaSink')],
    ['Knative Services', 'ksvc', rest.filter(isKnativeService)],
    ['KafkaSources', 'kafkasource', ofKind(rest, 'KafkaSource')],
    ['PingSources', 'pingsource', ofKind(rest, 'PingSource')],
  ]
  for (const [label, kind, objects] of waits) {
    const names = objects.map((o) => o.metadata.name)
    const waitsFor = objects.map((o) => objectRef(o, namespace))
    // kn func deploy already waited for its Services; `kubectl wait ksvc` checks them once more.
    if (kind === 'ksvc') names.push(...inventory.functions.map((f) => f.name))
    if (names.length === 0) continue
    add(
      step(
        'ready',
        `wait until every ${label.slice(0, -1)} is Ready`,
        waitReady(
          settings,
          names.map((name) => `${kind}/${name}`),
          settings.readyTimeout,
        ),
        { waitsFor },
      ),
    )
  }
  const placeholders = placeholderWarnings(inventory, overlay)
  return {
    action: 'deploy',
    overlay,
    steps,
    warnings: [...functionWarnings(inventory), ...placeholders],
    placeholders,
    assumes: baseAssumptions(context.prerequisites, settings, context.publicImages),
  }
}

/**
 * `--function <name>`: one `kn func deploy`, for a system deployed before. It assumes what the full plan
 * creates, so the checker still proves every ConfigMap, Secret and key its func.yaml reads.
 */
function buildFunctionPlan(inventory: DeployInventory, settings: DeploySettings, context: PlanContext): Plan {
  const fn = inventory.functions.find((f) => f.name === settings.function)
  if (fn === undefined) {
    throw new PlanError(
      `--function ${settings.function}: no functions/*/func.yaml names it; functions: ${inventory.functions.map((f) => f.name).join(', ') || 'none'}`,
    )
  }
  const full = buildDeployPlan(inventory, { ...settings, function: undefined }, context)
  const steps: Step[] = [
    ...contextCheck(settings, 'deploys'),
    functionDeployStep(fn, settings),
    step(
      'ready',
      `wait until Knative Service ${fn.name} is Ready`,
      waitReady(settings, [`ksvc/${fn.name}`], settings.readyTimeout),
    ),
  ]
  return {
    action: 'deploy',
    overlay: settings.overlay,
    steps,
    warnings: [],
    placeholders: [],
    assumes: [...full.assumes, ...full.steps.flatMap((s) => s.creates)],
  }
}

export function buildUndeployPlan(inventory: DeployInventory, settings: DeploySettings): Plan {
  checkNamespace(inventory, settings)
  const { overlay, namespace } = settings
  const steps: Step[] = []
  const add = (phase: Phase, reason: string, command: { command: string; args: string[] }) =>
    steps.push(step(phase, reason, command))

  // Reverse of the system phase. Deleting by the base and sources folders removes the same objects the
  // overlay applied (an overlay patch never renames), without the Kafka and the Namespace that it only
  // re-applied. Sources go first so no event is delivered to a function being removed.
  if (settings.monitoring) {
    add(
      'system',
      'delete the monitoring (PodMonitors, alert rules, dashboard)',
      kubectl(settings, 'delete', '--kustomize', paths.monitoring, '--ignore-not-found', '--wait'),
    )
  }
  add(
    'system',
    'delete the KafkaSources, PingSources, KafkaSinks, SinkBindings and their credentials (stops the event flow)',
    kubectl(settings, 'delete', '--kustomize', paths.sources, '--ignore-not-found', '--wait'),
  )
  steps.push(...contextCheck(settings, 'deletes'))
  for (const fn of [...inventory.functions].reverse()) {
    add('functions', `delete function ${fn.name}`, {
      command: 'kn',
      args: ['func', 'delete', fn.name, '--namespace', namespace],
    })
  }
  add(
    'system',
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
  return { action: 'undeploy', overlay, steps, warnings: [], placeholders: [], assumes: [] }
}
