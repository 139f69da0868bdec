import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readDeployInventory } from '../../../deploy/src/inventory.ts'
import {
  buildDeployPlan,
  buildUndeployPlan,
  type Overlay,
  PlanError,
  phaseOrder,
  type Step,
} from '../../../deploy/src/plan.ts'
import { settingsFor, threeFunctions } from './fixtures.ts'

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))
const line = (step: Step) => [step.command, ...step.args].join(' ')
const indexOf = (steps: Step[], predicate: (step: Step) => boolean): number => {
  const index = steps.findIndex(predicate)
  expect(index, 'step not found').toBeGreaterThanOrEqual(0)
  return index
}
const phaseIndexes = (steps: Step[]) => steps.map((step) => phaseOrder.indexOf(step.phase))

describe.each(['dev', 'prod'] as Overlay[])('deploy plan for overlay %s', (overlay) => {
  const plan = buildDeployPlan(threeFunctions, settingsFor({ overlay }))
  const { steps } = plan

  it('runs the phases in order: namespace, brokers, functions, sources and services', () => {
    const phases = phaseIndexes(steps)
    expect(phases).toEqual([...phases].sort((a, b) => a - b))
    expect(new Set(steps.map((s) => s.phase))).toEqual(new Set(phaseOrder))
    expect(line(steps[0] as Step)).toBe('kubectl apply --filename manifests/base/namespace.yaml')
  })

  it('enables Knative sender identity before any function or source is deployed', () => {
    const enable = indexOf(steps, (s) => line(s).includes('config-features'))
    expect(line(steps[enable] as Step)).toBe(
      'kubectl patch configmap config-features --namespace knative-eventing --type merge --patch {"data":{"authentication-oidc":"enabled"}}',
    )
    expect(enable).toBeLessThan(indexOf(steps, (s) => s.command === 'kn'))
    expect(enable).toBeLessThan(indexOf(steps, (s) => s.args.includes('!function.knative.dev/name')))
  })

  it("applies this overlay's brokers and topics, then waits for Kafka, topics and users", () => {
    const brokers = indexOf(
      steps,
      (s) => line(s) === `kubectl apply --kustomize brokers/cluster/overlays/${overlay}`,
    )
    const topics = indexOf(
      steps,
      (s) =>
        line(s) === `kubectl apply --kustomize manifests/overlays/${overlay} --selector strimzi.io/cluster`,
    )
    const kafkaWait = indexOf(steps, (s) => s.args.includes('kafka/taskflow'))
    const topicWait = indexOf(steps, (s) => s.args.includes('kafkatopic/task-events'))
    const userWait = indexOf(steps, (s) => s.args[1] === 'kafkauser')
    expect(brokers).toBeLessThan(kafkaWait)
    expect(topics).toBeLessThan(topicWait)
    expect(topics).toBeLessThan(userWait)
    for (const wait of [kafkaWait, topicWait, userWait]) {
      expect(steps[wait]?.args).toContain('--for=condition=Ready')
      expect(steps[wait]?.phase).toBe('brokers')
    }
    expect(steps[kafkaWait]?.args).toContain('--timeout=15m')
    expect(steps[userWait]?.args).toEqual(
      expect.arrayContaining(['--selector', 'strimzi.io/cluster=taskflow']),
    )
  })

  it('deploys every function folder with kn func deploy, after the brokers are Ready and before the sources', () => {
    const deploys = steps.filter((s) => s.command === 'kn')
    expect(deploys.map((s) => s.args.slice(0, 4))).toEqual(
      threeFunctions.functions.map((f) => ['func', 'deploy', '--path', f.path]),
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
    }
    const lastBrokerWait = steps.findLastIndex((s) => s.phase === 'brokers')
    const firstDeploy = steps.indexOf(deploys[0] as Step)
    const sourcesApply = indexOf(steps, (s) => s.args.includes('!function.knative.dev/name'))
    expect(lastBrokerWait).toBeLessThan(firstDeploy)
    expect(steps.indexOf(deploys.at(-1) as Step)).toBeLessThan(sourcesApply)
  })

  it("applies the rest of the overlay without the functions' Services, then waits for every source, sink and service", () => {
    const apply = indexOf(
      steps,
      (s) =>
        line(s) ===
        `kubectl apply --kustomize manifests/overlays/${overlay} --selector !function.knative.dev/name`,
    )
    const waited = steps
      .slice(apply + 1)
      .filter((s) => s.args[0] === 'wait' && s.args.includes('--for=condition=Ready'))
      .flatMap((s) => s.args.filter((arg) => arg.includes('/')))
    expect(waited.sort()).toEqual(
      [
        'kafkasink/dead-letters',
        'kafkasource/audit-log',
        'kafkasource/reminders',
        'pingsource/reminders-tick',
        'ksvc/task-api',
        'ksvc/audit-log',
        'ksvc/notification-fanout',
        'ksvc/reminders',
      ].sort(),
    )
  })

  it('runs the sink-credentials CronJob once and waits for it before waiting for the KafkaSinks', () => {
    const create = indexOf(steps, (s) => s.args.includes('--from=cronjob/kafka-sink-credentials'))
    const complete = indexOf(steps, (s) => s.args.includes('job/kafka-sink-credentials-now'))
    const sinks = indexOf(steps, (s) => s.args.includes('kafkasink/dead-letters'))
    expect(create).toBeLessThan(complete)
    expect(complete).toBeLessThan(sinks)
  })
})

describe.each(['dev', 'prod'] as Overlay[])('undeploy plan for overlay %s', (overlay) => {
  const deploy = buildDeployPlan(threeFunctions, settingsFor({ overlay }))
  const undeploy = buildUndeployPlan(threeFunctions, settingsFor({ overlay }))

  it('runs the phases in reverse order and deletes the namespace last', () => {
    const phases = phaseIndexes(undeploy.steps)
    expect(phases).toEqual([...phases].sort((a, b) => b - a))
    expect(new Set(undeploy.steps.map((s) => s.phase))).toEqual(new Set(phaseOrder))
    expect(line(undeploy.steps.at(-1) as Step)).toBe(
      'kubectl delete --filename manifests/base/namespace.yaml --ignore-not-found --wait',
    )
  })

  it('deletes each thing deploy applied, in reverse', () => {
    const deleted = undeploy.steps
      .filter((s) => s.args[0] === 'delete')
      .map((s) => s.args.slice(1, 3).join(' '))
    expect(deleted).toEqual([
      '--kustomize sources',
      '--kustomize manifests/base',
      `--kustomize manifests/overlays/${overlay}`,
      `--kustomize brokers/cluster/overlays/${overlay}`,
      '--filename manifests/base/namespace.yaml',
    ])
    const functionsDeleted = undeploy.steps.filter((s) => s.command === 'kn').map((s) => s.args[2])
    const functionsDeployed = deploy.steps.filter((s) => s.command === 'kn').map((s) => s.args[3])
    expect(functionsDeleted).toEqual(['reminders', 'notification-fanout', 'audit-log'])
    expect(functionsDeployed.map((path) => path?.replace('functions/', '')).reverse()).toEqual(
      functionsDeleted,
    )
  })

  it('keeps the Namespace and the functions out of the services deletion', () => {
    const base = undeploy.steps.find((s) => s.args.includes('manifests/base'))
    expect(base?.args).toEqual(
      expect.arrayContaining(['--selector', '!function.knative.dev/name,!bindings.knative.dev/include']),
    )
  })
})

describe('plan settings', () => {
  it('passes --context to every kubectl command and checks the current context before kn func runs', () => {
    for (const plan of [
      buildDeployPlan(threeFunctions, settingsFor({ kubeContext: 'docker-desktop' })),
      buildUndeployPlan(threeFunctions, settingsFor({ kubeContext: 'docker-desktop' })),
    ]) {
      const kubectl = plan.steps.filter((s) => s.command === 'kubectl' && s.args[0] !== 'config')
      for (const step of kubectl) expect(step.args.slice(-2)).toEqual(['--context', 'docker-desktop'])
      const check = indexOf(plan.steps, (s) => s.expectStdout === 'docker-desktop')
      expect(line(plan.steps[check] as Step)).toBe('kubectl config current-context')
      expect(check).toBeLessThan(indexOf(plan.steps, (s) => s.command === 'kn'))
    }
  })

  it('has no context check without --context', () => {
    const plan = buildDeployPlan(threeFunctions, settingsFor())
    expect(plan.steps.filter((s) => s.expectStdout !== undefined)).toEqual([])
    expect(plan.steps.flatMap((s) => s.args)).not.toContain('--context')
  })

  it('refuses a namespace the manifests are not written for', () => {
    expect(() => buildDeployPlan(threeFunctions, settingsFor({ namespace: 'other' }))).toThrow(PlanError)
    expect(() => buildUndeployPlan(threeFunctions, settingsFor({ namespace: 'other' }))).toThrow(
      /"other" differs from "taskflow"/,
    )
  })

  it('passes the build and push settings to kn func deploy', () => {
    const plan = buildDeployPlan(threeFunctions, settingsFor({ build: 'true', push: false }))
    for (const step of plan.steps.filter((s) => s.command === 'kn')) {
      expect(step.args).toEqual(expect.arrayContaining(['--build=true', '--push=false']))
    }
  })

  it("warns when a function's Service has no folder to deploy it from, naming the sources that will wait", () => {
    const inventory = { ...threeFunctions, functions: threeFunctions.functions.slice(0, 1) }
    const plan = buildDeployPlan(inventory, settingsFor())
    expect(plan.warnings).toHaveLength(2)
    expect(plan.warnings).toContainEqual(
      expect.stringMatching(/reminders .*KafkaSource reminders will not become Ready/),
    )
    expect(plan.warnings).toContainEqual(expect.stringMatching(/notification-fanout .*nothing deploys it$/))
    const serviceWait = plan.steps.find((s) => s.args.includes('ksvc/task-api'))
    expect(serviceWait?.args).not.toContain('ksvc/reminders')
  })
})

describe('plan from this repository', () => {
  it('deploys every functions/*/func.yaml folder and waits for every declared source and sink', async () => {
    const inventory = await readDeployInventory(repositoryRoot)
    expect(inventory.functions.length).toBeGreaterThan(0)
    expect(inventory.namespace).toBe('taskflow')
    for (const overlay of ['dev', 'prod'] as Overlay[]) {
      const plan = buildDeployPlan(inventory, settingsFor({ overlay }))
      const deployedPaths = plan.steps.filter((s) => s.command === 'kn').map((s) => s.args[3])
      expect(deployedPaths).toEqual(inventory.functions.map((f) => f.path))
      const waited = plan.steps.flatMap((s) => s.args)
      for (const source of inventory.kafkaSources) expect(waited).toContain(`kafkasource/${source.name}`)
      for (const sink of inventory.kafkaSinks) expect(waited).toContain(`kafkasink/${sink}`)
      for (const ping of inventory.pingSources) expect(waited).toContain(`pingsource/${ping}`)
      for (const topic of inventory.topics) expect(waited).toContain(`kafkatopic/${topic}`)
    }
  })
})
