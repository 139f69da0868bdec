// `npm run describe -- --overlay dev`: what a deploy of the overlay puts where, read from the same plan
// `npm run deploy` runs: each Service with its image and scale, the event flow (topic -> source -> sink),
// the Kafka side and the config, each with the plan step that creates it.
import type { KubernetesObject } from '../../sources/src/kustomize.ts'
import {
  builtImageReference,
  builtImages,
  type DeployInventory,
  type DeploySettings,
  isCommand,
  isKnativeService,
  type Plan,
  registryPlaceholder,
} from './plan.ts'
import { objectRef } from './resources.ts'

type Spec = Record<string, unknown> & {
  topics?: string[]
  topic?: string
  topicName?: string
  partitions?: number
  replicas?: number
  consumerGroup?: string
  ordering?: string
  schedule?: string
  sink?: { ref?: { kind?: string; name?: string }; uri?: string }
  subject?: { kind?: string; name?: string }
  delivery?: { deadLetterSink?: { ref?: { kind?: string; name?: string } } }
  template?: {
    metadata?: { annotations?: Record<string, string> }
    spec?: { containers?: { image?: string }[] }
  }
}
const specOf = (object: KubernetesObject) => (object.spec ?? {}) as Spec
const destination = (d: Spec['sink']) => (d?.ref ? `${d.ref.kind}/${d.ref.name}` : (d?.uri ?? '-'))

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function describeDeployment(inventory: DeployInventory, plan: Plan, settings: DeploySettings): string {
  const { namespace } = inventory
  const registry = settings.registry ?? registryPlaceholder
  const createdAt = new Map<string, number>()
  plan.steps.forEach((step, index) => {
    for (const provision of step.creates)
      if (!createdAt.has(provision.ref)) createdAt.set(provision.ref, index + 1)
  })
  const stepOf = (object: KubernetesObject) => String(createdAt.get(objectRef(object, namespace)) ?? '-')
  const objects = inventory.systemObjects
  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind)
  const sections: string[] = [
    `# ${plan.overlay}: namespace ${namespace}, Kafka ${inventory.kafkaCluster} (steps refer to \`npm run deploy -- --overlay ${plan.overlay} --dry-run\`)`,
  ]

  const serviceRows = [['KNATIVE SERVICE', 'IMAGE', 'SCALE (min-max)', 'DEPLOYED BY', 'STEP']]
  for (const service of objects.filter(isKnativeService)) {
    const name = service.metadata.name
    const annotations = specOf(service).template?.metadata?.annotations ?? {}
    const scale = `${annotations['autoscaling.knative.dev/min-scale'] ?? '0'}-${annotations['autoscaling.knative.dev/max-scale'] ?? 'unbounded'}`
    const built = builtImages.find((b) => b.service === name)
    const fn = inventory.functions.find((f) => f.name === name)
    const deployStep = plan.steps.findIndex(
      (s) => isCommand(s) && s.command === 'kn' && s.args.includes(fn?.path ?? '\0'),
    )
    if (fn !== undefined) {
      serviceRows.push([
        name,
        `${registry}/${name} (kn func builds ${fn.path})`,
        scale,
        'kn func deploy',
        String(deployStep + 1),
      ])
    } else {
      const image =
        built === undefined
          ? (specOf(service).template?.spec?.containers?.[0]?.image ?? '-')
          : `${builtImageReference(settings, built.repository)} (built from ${built.dockerfile})`
      serviceRows.push([name, image, scale, 'kubectl apply', stepOf(service)])
    }
  }
  sections.push(table(serviceRows))

  const flowRows = [['EVENT SOURCE', 'FROM', 'TO', 'DEAD LETTERS', 'STEP']]
  for (const source of ofKind('KafkaSource')) {
    const spec = specOf(source)
    flowRows.push([
      `KafkaSource/${source.metadata.name}`,
      `topics ${spec.topics?.join(',')} (group ${spec.consumerGroup ?? 'derived'}, ${spec.ordering ?? 'ordered'})`,
      destination(spec.sink),
      destination(spec.delivery?.deadLetterSink),
      stepOf(source),
    ])
  }
  for (const ping of ofKind('PingSource')) {
    flowRows.push([
      `PingSource/${ping.metadata.name}`,
      `schedule "${specOf(ping).schedule}"`,
      destination(specOf(ping).sink),
      '-',
      stepOf(ping),
    ])
  }
  for (const binding of ofKind('SinkBinding')) {
    const subject = specOf(binding).subject
    flowRows.push([
      `SinkBinding/${binding.metadata.name}`,
      `${subject?.kind}/${subject?.name} (K_SINK)`,
      destination(specOf(binding).sink),
      '-',
      stepOf(binding),
    ])
  }
  for (const sink of ofKind('KafkaSink')) {
    flowRows.push([
      `KafkaSink/${sink.metadata.name}`,
      'HTTP',
      `topic ${specOf(sink).topic}`,
      '-',
      stepOf(sink),
    ])
  }
  sections.push(table(flowRows))

  const kafkaRows = [['KAFKA', 'NAME', 'DETAIL', 'STEP']]
  for (const topic of ofKind('KafkaTopic')) {
    const spec = specOf(topic)
    kafkaRows.push([
      'topic',
      spec.topicName ?? topic.metadata.name,
      `${spec.partitions ?? '?'} partitions, ${spec.replicas ?? '?'} replica${spec.replicas === 1 ? '' : 's'}`,
      stepOf(topic),
    ])
  }
  for (const user of ofKind('KafkaUser'))
    kafkaRows.push(['user', user.metadata.name, 'SCRAM-SHA-512, ACLs', stepOf(user)])
  sections.push(table(kafkaRows))

  const configRows = [['CONFIG', 'NAME', 'KEYS', 'STEP']]
  for (const config of [...ofKind('ConfigMap'), ...ofKind('Secret')]) {
    const keys = Object.keys({ ...(config.data as object), ...(config.stringData as object) })
    configRows.push([config.kind, config.metadata.name, keys.join(','), stepOf(config)])
  }
  sections.push(table(configRows))
  return `${sections.join('\n\n')}\n`
}
