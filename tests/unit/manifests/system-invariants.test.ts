// Rules across manifests that the schemas cannot see, on the real system and on broken variants built
// in memory from it (each must be caught).
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readYamlDocuments, repoRoot } from '../../support/schemas.ts'
import { funcYamlFiles, systemResources } from './manifest-files.ts'
import {
  checkSystemInvariants,
  type FuncYaml,
  readFeatureDocs,
  type SystemInput,
} from './support/invariants.ts'
import { type KubernetesObject, renderKustomization } from './support/kustomize.ts'

const funcYamls = funcYamlFiles().map((file) => readYamlDocuments(file)[0] as FuncYaml)
const featureDocs = readFeatureDocs(repoRoot)
const realSystem = (): SystemInput => ({
  resources: structuredClone(systemResources()),
  funcYamls: structuredClone(funcYamls),
  featureDocs,
})

// biome-ignore lint/suspicious/noExplicitAny: broken variants edit arbitrary nested fields
const find = (input: SystemInput, kind: string, name: string): any => {
  const found = input.resources.find((r) => r.kind === kind && r.metadata.name === name)
  if (found === undefined) throw new Error(`${kind}/${name} not in the system`)
  return found
}
const without = (input: SystemInput, kind: string, name: string): SystemInput => ({
  ...input,
  resources: input.resources.filter((r) => !(r.kind === kind && r.metadata.name === name)),
})

describe('system invariants', () => {
  it('hold for the manifests as written', () => {
    expect(checkSystemInvariants(realSystem())).toEqual([])
  })

  it.each(['manifests/overlays/dev', 'manifests/overlays/prod'])(
    'hold for %s after rendering (replicas fit the brokers)',
    (overlay) => {
      const resources = renderKustomization(join(repoRoot, overlay))
      expect(checkSystemInvariants({ resources, funcYamls, featureDocs })).toEqual([])
    },
  )

  const broken: [string, (input: SystemInput) => SystemInput, RegExp][] = [
    [
      'missing ACL',
      (i) => {
        find(i, 'KafkaUser', 'notification-fanout-source').spec.authorization.acls.splice(1, 1)
        return i
      },
      /notification-fanout-source: missing ACLs allow:topic:reminder-events/,
    ],
    [
      'ACL beyond what the component uses',
      (i) => {
        find(i, 'KafkaUser', 'audit-log-source').spec.authorization.acls[0].operations.push('Write')
        return i
      },
      /audit-log-source: ACLs beyond/,
    ],
    [
      'prefix ACL instead of literal',
      (i) => {
        find(i, 'KafkaUser', 'dead-letters-sink').spec.authorization.acls[0].resource.patternType = 'prefix'
        return i
      },
      /dead-letters-sink: missing ACLs/,
    ],
    [
      'max-scale above partitions',
      (i) => {
        find(i, 'KafkaSource', 'audit-log').metadata.annotations[
          'autoscaling.eventing.knative.dev/max-scale'
        ] = '13'
        return i
      },
      /audit-log: max-scale 13 exceeds the 12 partitions/,
    ],
    [
      'missing dead-letter sink',
      (i) => {
        delete find(i, 'KafkaSource', 'reminders').spec.delivery.deadLetterSink
        return i
      },
      /reminders: no dead-letter sink/,
    ],
    [
      'dead-letter sink that does not exist',
      (i) => without(i, 'KafkaSink', 'dead-letters'),
      /dead-letter sink does not exist/,
    ],
    [
      'implicit retry',
      (i) => {
        delete find(i, 'KafkaSource', 'notification-fanout').spec.delivery.retry
        return i
      },
      /notification-fanout: delivery.retry must be explicit/,
    ],
    [
      'no delivery at all',
      (i) => {
        delete find(i, 'KafkaSource', 'audit-log').spec.delivery
        return i
      },
      /audit-log: delivery.retry must be explicit/,
    ],
    [
      'topic that is not a KafkaTopic',
      (i) => {
        find(i, 'KafkaSource', 'reminders').spec.topics = ['task-event']
        return i
      },
      /topic task-event is not a KafkaTopic/,
    ],
    [
      'topic of another cluster',
      (i) => {
        find(i, 'KafkaTopic', 'reminder-events').metadata.labels['strimzi.io/cluster'] = 'other'
        return i
      },
      /reminder-events: label strimzi.io\/cluster \(other\)/,
    ],
    [
      'shared consumer group',
      (i) => {
        find(i, 'KafkaSource', 'reminders').spec.consumerGroup = 'taskflow-audit-log'
        return i
      },
      /consumer group taskflow-audit-log is used by more than one/,
    ],
    [
      'generated consumer group',
      (i) => {
        delete find(i, 'KafkaSource', 'reminders').spec.consumerGroup
        return i
      },
      /reminders: consumerGroup must be fixed/,
    ],
    [
      'function without a source',
      (i) => without(without(i, 'KafkaSource', 'audit-log'), 'PingSource', 'audit-retention-tick'),
      /function audit-log has no KafkaSource or PingSource/,
    ],
    [
      'sink that does not exist',
      (i) => {
        find(i, 'PingSource', 'reminders-tick').spec.sink.ref.name = 'reminder'
        return i
      },
      /reminders-tick: sink/,
    ],
    [
      'SinkBinding to a missing sink',
      (i) => {
        find(i, 'SinkBinding', 'reminders').spec.sink.ref.name = 'nope'
        return i
      },
      /SinkBinding reminders: sink does not exist/,
    ],
    [
      'password in a Secret',
      (i) => {
        find(i, 'Secret', 'audit-log-source-kafka-client').stringData.password = 'hunter2'
        return i
      },
      /key password may hold a secret value/,
    ],
    [
      'password as a literal env value',
      (i) => {
        find(i, 'Service', 'task-api').spec.template.spec.containers[0].env.push({
          name: 'KAFKA_SASL_PASSWORD2',
          value: 'x',
        })
        return i
      },
      /env KAFKA_SASL_PASSWORD2 is a literal/,
    ],
    [
      'secret-looking ConfigMap key',
      (i) => {
        find(i, 'ConfigMap', 'task-api-config').data.AUTH_JWT_SECRET = 'x'
        return i
      },
      /AUTH_JWT_SECRET looks like a secret/,
    ],
    [
      'SASL type left to the PLAIN default',
      (i) => {
        find(i, 'Secret', 'reminders-source-kafka-client').stringData.type = 'PLAIN'
        return i
      },
      /reminders: SASL type must be SCRAM-SHA-512/,
    ],
    [
      'sink credentials not composed',
      (i) => {
        find(
          i,
          'CronJob',
          'kafka-sink-credentials',
        ).spec.jobTemplate.spec.template.spec.containers[0].env[0].value = 'reminder-events-sink'
        return i
      },
      /dead-letters: kafka-sink-credentials does not compose/,
    ],
    [
      'undocumented feature flag',
      (i) => ({ ...i, featureDocs: '' }),
      /needs Knative feature flag controller-autoscaler-keda/,
    ],
    [
      'flag-gated field not documented',
      (i) => {
        find(i, 'KafkaSource', 'audit-log').spec.delivery.retryAfterMax = 'PT10S'
        return i
      },
      /feature flag delivery-retryafter/,
    ],
    [
      'Strimzi-managed config key',
      (i) => {
        find(i, 'Kafka', 'taskflow').spec.kafka.config['listeners'] = 'PLAINTEXT://:9092'
        return i
      },
      /config key listeners is managed by Strimzi/,
    ],
    [
      'KafkaUser of no cluster',
      (i) => {
        delete find(i, 'KafkaUser', 'task-api').metadata.labels['strimzi.io/cluster']
        return i
      },
      /KafkaUser task-api: strimzi.io\/cluster/,
    ],
    [
      'function Service out of step with func.yaml',
      (i) => {
        find(i, 'Service', 'audit-log').spec.template.metadata.annotations[
          'autoscaling.knative.dev/max-scale'
        ] = '7'
        return i
      },
      /Service audit-log: maxScale is 7/,
    ],
    [
      'function Service out of step with the defaults',
      (i) => {
        find(i, 'Service', 'reminders').spec.template.metadata.annotations['autoscaling.knative.dev/target'] =
          '100'
        return i
      },
      /Service reminders: target is 100/,
    ],
    [
      'topic replicas above the brokers',
      (i) => {
        find(i, 'KafkaNodePool', 'brokers').spec.replicas = 2
        return i
      },
      /task-events: 3 replicas on 2 broker/,
    ],
  ]
  it.each(broken)('catch %s', (_label, breakIt, message) => {
    const violations = checkSystemInvariants(breakIt(realSystem()))
    expect(violations.join('\n')).toMatch(message)
  })

  it('a kafka user without used-by annotation is refused (ACLs must be attributable)', () => {
    const input = realSystem()
    const user = structuredClone(find(input, 'KafkaUser', 'task-api')) as KubernetesObject
    user.metadata.name = 'stray'
    user.metadata.annotations = {}
    input.resources.push(user)
    expect(checkSystemInvariants(input)).toContain('KafkaUser stray: no taskflow.dev/used-by annotation')
  })
})
