// The deploy plan of this repository, per overlay: its order, what it builds and applies, and the plan
// checker's verdict on it (and on the order it had before 2026-12-07, which a cluster would not survive).
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import {
  buildDeployPlan,
  buildUndeployPlan,
  type CommandStep,
  isCommand,
  type Overlay,
  PlanError,
  phaseOrder,
  type Step,
} from '../../../deploy/src/plan.ts'
import { checkPlan } from '../../../deploy/src/plan-check.ts'
import { kubectlPresent, planContext, repositoryInventory, repositoryRoot, settingsFor } from './fixtures.ts'

const line = (step: Step) =>
  isCommand(step) ? [step.command, ...step.args].join(' ') : `write ${step.writeFile.path}`
const commands = (steps: Step[]) => steps.filter(isCommand)
const indexOf = (steps: Step[], predicate: (step: CommandStep) => boolean): number => {
  const index = steps.findIndex((s) => isCommand(s) && predicate(s))
  expect(index, 'step not found').toBeGreaterThanOrEqual(0)
  return index
}
const phaseIndexes = (steps: Step[]) => steps.map((step) => phaseOrder.indexOf(step.phase))

describe.runIf(kubectlPresent).each(['dev', 'prod'] as Overlay[])('deploy plan for overlay %s', (overlay) => {
  const planFor = async (overrides = {}) =>
    buildDeployPlan(await repositoryInventory(overlay), settingsFor({ overlay, ...overrides }), planContext)

  it('passes the plan checker: everything is created before it is used', async () => {
    expect(checkPlan(await planFor())).toEqual([])
    expect(checkPlan(await planFor({ kubeContext: 'docker-desktop' }))).toEqual([])
    expect(checkPlan(await planFor({ registry: 'dev.local/taskflow', push: false }))).toEqual([])
  })

  it('fails the checker in the order it had before: kn func deploy ahead of the ConfigMaps it reads', async () => {
    const plan = await planFor()
    const functions = plan.steps.filter((s) => s.phase === 'functions')
    const others = plan.steps.filter((s) => s.phase !== 'functions')
    const systemApply = others.findIndex((s) => s.phase === 'system')
    const oldOrder = {
      ...plan,
      steps: [...others.slice(0, systemApply), ...functions, ...others.slice(systemApply)],
    }
    const problems = checkPlan(oldOrder).map((p) => p.message)
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^ConfigMap taskflow\/taskflow-shared-config \(keys NODE_ENV, .*\), needed by func\.yaml of audit-log at step \d+ \(functions: kn func deploy .*\), is created only later, at step \d+ \(system: kubectl apply --kustomize/,
      ),
    )
    expect(problems).toContainEqual(
      expect.stringMatching(/^ConfigMap taskflow\/taskflow-sender-identity \(keys EVENTS_OIDC_ISSUER/),
    )
  })

  it('runs the phases in order: images, namespace, brokers, system, functions, ready', async () => {
    const { steps } = await planFor()
    const phases = phaseIndexes(steps)
    expect(phases).toEqual([...phases].sort((a, b) => a - b))
    expect(new Set(steps.map((s) => s.phase))).toEqual(new Set(phaseOrder))
  })

  it('builds and pushes the Task API image first, then points the overlay at it', async () => {
    const { steps } = await planFor()
    const image = 'localhost:5000/taskflow/task-api:0.1.0-test'
    expect(steps.slice(0, 3).map(line)).toEqual([
      `docker build --file api/Dockerfile --tag ${image} .`,
      `docker push ${image}`,
      `write .deploy/${overlay}/kustomization.yaml`,
    ])
    const applies = commands(steps).filter((s) => s.args[0] === 'apply' && s.args.includes('--kustomize'))
    expect(applies.map((s) => s.args[2])).toEqual([
      `brokers/cluster/overlays/${overlay}`,
      `.deploy/${overlay}`,
      `.deploy/${overlay}`,
    ])
  })

  it('writes a kustomization that kubectl renders with the built Task API image and nothing else changed', async () => {
    const { steps } = await planFor()
    const write = steps.find((s) => !isCommand(s))
    if (write === undefined || isCommand(write)) throw new Error('no write step')
    // Any folder two levels under the repository root resolves the same relative resource path.
    const dir = join(repositoryRoot, '.deploy', `test-${process.pid}-${overlay}`)
    mkdirSync(dir, { recursive: true })
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), write.writeFile.content)
      const rendered = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }),
      ).map(
        (d) =>
          d.toJS() as {
            kind: string
            metadata: { name: string }
            spec?: { template?: { spec?: { containers?: { image: string }[] } } }
          },
      )
      const images = Object.fromEntries(
        rendered
          .filter((o) => o.kind === 'Service' && o.spec?.template?.spec?.containers !== undefined)
          .map((o) => [o.metadata.name, o.spec?.template?.spec?.containers?.[0]?.image]),
      )
      expect(images).toEqual({
        'task-api': 'localhost:5000/taskflow/task-api:0.1.0-test',
        'audit-log': 'ghcr.io/taskflow/audit-log:0.1.0',
        'notification-fanout': 'ghcr.io/taskflow/notification-fanout:0.1.0',
        reminders: 'ghcr.io/taskflow/reminders:0.1.0',
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('does not push to a *.local registry, and builds nothing with --build=false', async () => {
    const local = await planFor({ registry: 'dev.local/taskflow', push: false })
    expect(
      commands(local.steps)
        .filter((s) => s.command === 'docker')
        .map((s) => s.args[0]),
    ).toEqual(['build'])
    const prebuilt = await planFor({ build: 'false' })
    expect(commands(prebuilt.steps).filter((s) => s.command === 'docker')).toEqual([])
    expect(checkPlan(prebuilt)).toEqual([])
  })

  it('enables Knative sender identity before any function or source is deployed', async () => {
    const { steps } = await planFor()
    const enable = indexOf(steps, (s) => s.args.includes('config-features'))
    expect(line(steps[enable] as Step)).toBe(
      'kubectl patch configmap config-features --namespace knative-eventing --type merge --patch {"data":{"authentication-oidc":"enabled"}}',
    )
    expect(enable).toBeLessThan(indexOf(steps, (s) => s.command === 'kn'))
    expect(enable).toBeLessThan(indexOf(steps, (s) => s.args.includes('!function.knative.dev/name')))
  })

  it("applies this overlay's brokers and topics, then waits for Kafka, topics and users", async () => {
    const { steps } = await planFor()
    const brokers = indexOf(
      steps,
      (s) => line(s) === `kubectl apply --kustomize brokers/cluster/overlays/${overlay}`,
    )
    const topics = indexOf(
      steps,
      (s) => line(s) === `kubectl apply --kustomize .deploy/${overlay} --selector strimzi.io/cluster`,
    )
    const kafkaWait = indexOf(steps, (s) => s.args.includes('kafka/taskflow'))
    const topicWait = indexOf(steps, (s) => s.args.includes('kafkatopic/task-events'))
    const userWait = indexOf(steps, (s) => s.args[1] === 'kafkauser')
    expect(brokers).toBeLessThan(kafkaWait)
    expect(topics).toBeLessThan(topicWait)
    expect(topics).toBeLessThan(userWait)
    for (const wait of [kafkaWait, topicWait, userWait]) expect(steps[wait]?.phase).toBe('brokers')
    expect((steps[kafkaWait] as CommandStep).args).toContain('--timeout=15m')
  })

  it('applies config, credentials and sources before kn func deploy, which gets the registry and settings', async () => {
    const { steps } = await planFor()
    const systemApply = indexOf(steps, (s) => s.args.includes('!function.knative.dev/name'))
    const credentials = indexOf(steps, (s) => s.args.includes('job/kafka-sink-credentials-now'))
    const deploys = commands(steps).filter((s) => s.command === 'kn')
    const inventory = await repositoryInventory(overlay)
    expect(deploys.map((s) => s.args.slice(0, 4))).toEqual(
      inventory.functions.map((f) => ['func', 'deploy', '--path', f.path]),
    )
    for (const deploy of deploys) {
      expect(deploy.args).toEqual(
        expect.arrayContaining([
          '--registry',
          'localhost:5000/taskflow',
          '--namespace',
          'taskflow',
          '--build=auto',
          '--push=true',
        ]),
      )
      expect(steps.indexOf(deploy)).toBeGreaterThan(credentials)
    }
    expect(systemApply).toBeLessThan(credentials)
  })

  it('waits for every declared source, sink, topic and service', async () => {
    const { steps } = await planFor()
    const inventory = await repositoryInventory(overlay)
    const waited = commands(steps)
      .filter((s) => s.args[0] === 'wait')
      .flatMap((s) => s.args.filter((arg) => arg.includes('/')))
    const expected = inventory.systemObjects.flatMap((o) => {
      const kind = {
        KafkaSource: 'kafkasource',
        KafkaSink: 'kafkasink',
        PingSource: 'pingsource',
        KafkaTopic: 'kafkatopic',
      }[o.kind]
      if (o.kind === 'Service' && o.apiVersion.startsWith('serving.knative.dev'))
        return [`ksvc/${o.metadata.name}`]
      return kind === undefined ? [] : [`${kind}/${o.metadata.name}`]
    })
    expect(expected.length).toBeGreaterThan(10)
    expect(waited).toEqual(expect.arrayContaining(expected))
  })

  it('passes --context to every kubectl command and checks the current context before kn func runs', async () => {
    for (const plan of [
      await planFor({ kubeContext: 'docker-desktop' }),
      buildUndeployPlan(
        await repositoryInventory(overlay),
        settingsFor({ overlay, kubeContext: 'docker-desktop' }),
      ),
    ]) {
      const kubectl = commands(plan.steps).filter((s) => s.command === 'kubectl' && s.args[0] !== 'config')
      for (const step of kubectl) expect(step.args.slice(-2)).toEqual(['--context', 'docker-desktop'])
      const check = indexOf(plan.steps, (s) => s.expectStdout === 'docker-desktop')
      expect(line(plan.steps[check] as Step)).toBe('kubectl config current-context')
      expect(check).toBeLessThan(indexOf(plan.steps, (s) => s.command === 'kn'))
    }
  })

  it('deploys one function with --function, proven against the system a full deploy leaves', async () => {
    const plan = await planFor({ function: 'reminders' })
    expect(plan.steps.map(line)).toEqual([
      'kn func deploy --path functions/reminders --registry localhost:5000/taskflow --namespace taskflow --build=auto --push=true',
      'kubectl wait ksvc/reminders --for=condition=Ready --timeout=5m --namespace taskflow',
    ])
    expect(checkPlan(plan)).toEqual([])
    await expect(planFor({ function: 'nope' })).rejects.toThrow(
      /--function nope: no functions\/\*\/func\.yaml names it; functions: audit-log, notification-fanout, reminders/,
    )
  })

  it('applies manifests/monitoring with --monitoring, after the system and before the functions, proven too', async () => {
    const plan = await planFor({ monitoring: true })
    expect(checkPlan(plan)).toEqual([])
    const monitoring = indexOf(
      plan.steps,
      (s) => line(s) === 'kubectl apply --kustomize manifests/monitoring',
    )
    expect(monitoring).toBeGreaterThan(
      indexOf(plan.steps, (s) => s.args.includes('!function.knative.dev/name')),
    )
    expect(monitoring).toBeLessThan(indexOf(plan.steps, (s) => s.command === 'kn'))
    expect((await planFor()).steps.map(line)).not.toContain('kubectl apply --kustomize manifests/monitoring')
    const undeploy = buildUndeployPlan(
      await repositoryInventory(overlay),
      settingsFor({ overlay, monitoring: true }),
    )
    expect(line(undeploy.steps[0] as Step)).toBe(
      'kubectl delete --kustomize manifests/monitoring --ignore-not-found --wait',
    )
  })

  it('refuses a namespace the manifests are not written for', async () => {
    await expect(planFor({ namespace: 'other' })).rejects.toThrow(PlanError)
  })

  it("warns when a function's Service has no folder to deploy it from, naming the sources that will wait", async () => {
    const inventory = await repositoryInventory(overlay)
    const plan = buildDeployPlan(
      { ...inventory, functions: inventory.functions.filter((f) => f.name === 'audit-log') },
      settingsFor({ overlay }),
      planContext,
    )
    expect(plan.warnings).toContainEqual(
      expect.stringMatching(/reminders .*KafkaSource reminders will not become Ready/),
    )
    expect(plan.warnings).toContainEqual(
      expect.stringMatching(/notification-fanout .*KafkaSource notification-fanout/),
    )
  })
})

describe.runIf(kubectlPresent)('overlay settings in the plan', () => {
  it('warns about the placeholder identity provider in prod, and dev has none', async () => {
    const prod = buildDeployPlan(
      await repositoryInventory('prod'),
      settingsFor({ overlay: 'prod' }),
      planContext,
    )
    expect(prod.warnings).toContainEqual(
      expect.stringMatching(/AUTH_JWKS_URL=https:\/\/auth\.example\.com.* is a placeholder/),
    )
    const dev = buildDeployPlan(await repositoryInventory('dev'), settingsFor(), planContext)
    expect(dev.warnings).toEqual([])
  })
})

describe.runIf(kubectlPresent).each(['dev', 'prod'] as Overlay[])(
  'undeploy plan for overlay %s',
  (overlay) => {
    it('stops the sources first, deletes the functions, then the rest, and the namespace last', async () => {
      const inventory = await repositoryInventory(overlay)
      const undeploy = buildUndeployPlan(inventory, settingsFor({ overlay }))
      const deleted = commands(undeploy.steps)
        .filter((s) => s.args[0] === 'delete')
        .map((s) => s.args.slice(1, 3).join(' '))
      expect(deleted).toEqual([
        '--kustomize sources',
        '--kustomize manifests/base',
        `--kustomize manifests/overlays/${overlay}`,
        `--kustomize brokers/cluster/overlays/${overlay}`,
        '--filename manifests/base/namespace.yaml',
      ])
      const functionsDeleted = commands(undeploy.steps)
        .filter((s) => s.command === 'kn')
        .map((s) => s.args[2])
      expect(functionsDeleted).toEqual(['reminders', 'notification-fanout', 'audit-log'])
      const firstFunction = indexOf(undeploy.steps, (s) => s.command === 'kn')
      expect(firstFunction).toBeGreaterThan(indexOf(undeploy.steps, (s) => s.args.includes('sources')))
      expect(firstFunction).toBeLessThan(indexOf(undeploy.steps, (s) => s.args.includes('manifests/base')))
      const base = commands(undeploy.steps).find((s) => s.args.includes('manifests/base'))
      expect(base?.args).toEqual(
        expect.arrayContaining(['--selector', '!function.knative.dev/name,!bindings.knative.dev/include']),
      )
    })
  },
)
