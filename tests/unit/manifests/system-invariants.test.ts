// Rules across manifests that the schemas cannot see, on the real system and on broken variants built
// in memory from it (each must be caught).
import { describe, expect, it } from 'vitest'
import type { KubernetesObject } from '../../../sources/src/kustomize.ts'
import { readYamlDocuments, repoRoot } from '../../support/schemas.ts'
import { kubectlAvailable } from '../../support/services.ts'
import { funcYamlFiles, renderOverlay, systemResources } from './manifest-files.ts'
import {
  checkSystemInvariants,
  type FuncYaml,
  readFeatureDocs,
  type SystemInput,
} from './support/invariants.ts'

const renderable = kubectlAvailable()
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

  it
    .runIf(renderable)
    .each(['manifests/overlays/dev', 'manifests/overlays/prod', 'manifests/overlays/example'])(
    'hold for %s after rendering (replicas fit the brokers)',
    (overlay) => {
      const resources = renderOverlay(overlay)
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
    // Least privilege of the KafkaUsers, whatever their component uses.
    [
      'an All operation',
      (i) => {
        find(i, 'KafkaUser', 'audit-log-source').spec.authorization.acls[0].operations = ['All']
        return i
      },
      /KafkaUser audit-log-source: operation All on topic task-events/,
    ],
    [
      'a wildcard topic',
      (i) => {
        find(i, 'KafkaUser', 'reminders-source').spec.authorization.acls[0].resource.name = '*'
        return i
      },
      /KafkaUser reminders-source: wildcard ACL on topic \*/,
    ],
    [
      'a prefix group',
      (i) => {
        const group = find(i, 'KafkaUser', 'notification-fanout-source').spec.authorization.acls[2].resource
        group.name = 'taskflow-'
        group.patternType = 'prefix'
        return i
      },
      /notification-fanout-source: prefix pattern on group taskflow- is broader than the group it uses/,
    ],
    [
      'a cluster-wide Alter',
      (i) => {
        find(i, 'KafkaUser', 'task-api').spec.authorization.acls.push({
          resource: { type: 'cluster' },
          operations: ['Alter'],
        })
        return i
      },
      /KafkaUser task-api: cluster-wide Alter/,
    ],
    [
      'a consumer that may write',
      (i) => {
        find(i, 'KafkaUser', 'audit-log-source').spec.authorization.acls[0].operations.push('Write')
        return i
      },
      /audit-log-source: a consumer needs no Write on topic task-events/,
    ],
    [
      'a producer that may read',
      (i) => {
        find(i, 'KafkaUser', 'dead-letters-sink').spec.authorization.acls[0].operations.push('Read')
        return i
      },
      /dead-letters-sink: a producer needs no Read on topic dead-letters/,
    ],
    [
      'a producer that may alter its topic configuration',
      (i) => {
        find(i, 'KafkaUser', 'task-api').spec.authorization.acls[0].operations.push('AlterConfigs')
        return i
      },
      /task-api: a producer needs no AlterConfigs on topic task-events/,
    ],
    [
      'IdempotentWrite for a sink',
      (i) => {
        find(i, 'KafkaUser', 'reminder-events-sink').spec.authorization.acls.push({
          resource: { type: 'cluster' },
          operations: ['IdempotentWrite'],
        })
        return i
      },
      /reminder-events-sink: IdempotentWrite without an idempotent producer of ours/,
    ],
    [
      'IdempotentWrite kept after the producer stopped being idempotent',
      (i) => ({ ...i, idempotentProducer: false }),
      /task-api: IdempotentWrite without an idempotent producer of ours/,
    ],
    [
      'a KafkaUser without authentication',
      (i) => {
        delete find(i, 'KafkaUser', 'reminders-source').spec.authentication
        return i
      },
      /KafkaUser reminders-source: no authentication/,
    ],
    [
      'a component user made super user',
      (i) => {
        find(i, 'Kafka', 'taskflow').spec.kafka.authorization.superUsers = ['CN=task-api']
        return i
      },
      /KafkaUser task-api is a super user/,
    ],
    [
      'a listener without authentication',
      (i) => {
        delete find(i, 'Kafka', 'taskflow').spec.kafka.listeners[0].authentication
        return i
      },
      /listener tls has no authentication/,
    ],
    [
      'allow everyone when no ACL is found',
      (i) => {
        find(i, 'Kafka', 'taskflow').spec.kafka.config['allow.everyone.if.no.acl.found'] = true
        return i
      },
      /allow.everyone.if.no.acl.found/,
    ],
    // Secrets come from Secrets: never literal, never a ConfigMap, never inside a URL.
    [
      'a password in Secret data',
      (i) => {
        find(i, 'Secret', 'reminders-source-kafka-client').data = { password: 'aHVudGVyMg==' }
        return i
      },
      /Secret reminders-source-kafka-client: key password may hold a secret value/,
    ],
    [
      'a literal DATABASE_URL in a Service',
      (i) => {
        const env = find(i, 'Service', 'audit-log').spec.template.spec.containers[0].env
        env[0] = { name: 'DATABASE_URL', value: 'postgres://app@db:5432/taskflow' }
        return i
      },
      /Service audit-log: env DATABASE_URL is a literal/,
    ],
    [
      'a secret env from a ConfigMap',
      (i) => {
        find(i, 'Service', 'task-api').spec.template.spec.containers[0].env.push({
          name: 'AUTH_JWT_SECRET',
          valueFrom: { configMapKeyRef: { name: 'task-api-config', key: 'EVENT_SOURCE' } },
        })
        return i
      },
      /Service task-api: env AUTH_JWT_SECRET must come from a secretKeyRef/,
    ],
    [
      'credentials in a URL of a ConfigMap',
      (i) => {
        find(i, 'ConfigMap', 'taskflow-shared-config').data.OTEL_EXPORTER_OTLP_ENDPOINT =
          'http://otel:s3cret@otel-collector.observability.svc:4318'
        return i
      },
      /ConfigMap taskflow-shared-config: a URL carries credentials/,
    ],
    [
      'a literal DATABASE_URL in func.yaml',
      (i) => {
        const envs = i.funcYamls.find((f) => f.name === 'reminders')!.run!.envs!
        envs.find((env) => env.name === 'DATABASE_URL')!.value = 'postgres://app@db:5432/taskflow'
        return i
      },
      /func.yaml reminders: DATABASE_URL must be a \{\{ secret:<name>:<key> \}\} reference/,
    ],
    [
      'a secret taken from a ConfigMap in func.yaml',
      (i) => {
        i.funcYamls
          .find((f) => f.name === 'audit-log')!
          .run!.envs!.push({
            name: 'AUTH_JWT_SECRET',
            value: '{{ configMap:taskflow-shared-config:AUTH_JWT_SECRET }}',
          })
        return i
      },
      /func.yaml audit-log: AUTH_JWT_SECRET must be a \{\{ secret:<name>:<key> \}\} reference/,
    ],
    [
      'credentials in a URL of func.yaml',
      (i) => {
        i.funcYamls
          .find((f) => f.name === 'notification-fanout')!
          .run!.envs!.push({
            name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
            value: 'https://otel:s3cret@collector.example.com',
          })
        return i
      },
      /func.yaml notification-fanout: OTEL_EXPORTER_OTLP_ENDPOINT carries credentials in a URL/,
    ],
    // Only the Task API is public (exposure-invariants.ts).
    [
      'a public route to a function (the function serves only /)',
      (i) => {
        find(i, 'HTTPRoute', 'taskflow').spec.rules.unshift({
          matches: [{ path: { type: 'RegularExpression', value: '^/tasks/[^/]+/audit$' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { hostname: 'audit-log.taskflow.svc.cluster.local' } }],
          backendRefs: [
            { group: '', kind: 'Service', name: 'kourier-internal', namespace: 'kourier-system', port: 80 },
          ],
        })
        return i
      },
      /HTTPRoute taskflow: \^\/tasks\/\[\^\/\]\+\/audit\$ goes to Service taskflow\/audit-log, not the Task API/,
    ],
    [
      "a public route straight to a function's Service",
      (i) => {
        const rule = find(i, 'HTTPRoute', 'taskflow').spec.rules[0]
        rule.filters = []
        rule.backendRefs = [{ group: '', kind: 'Service', name: 'notification-fanout', port: 80 }]
        return i
      },
      /\/notifications\/stream goes to Service taskflow\/notification-fanout, not the Task API/,
    ],
    [
      "a route to Knative's ingress that keeps the public Host (reaches no Service)",
      (i) => {
        delete find(i, 'HTTPRoute', 'taskflow').spec.rules[1].filters
        return i
      },
      /HTTPRoute taskflow: \/tasks .* goes to kourier-internal with Host \(public\), not the Task API/,
    ],
    [
      'a public catch-all route (the metrics and probes on the internet)',
      (i) => {
        find(i, 'HTTPRoute', 'taskflow').spec.rules[1].matches = [
          { path: { type: 'PathPrefix', value: '/' } },
        ]
        return i
      },
      /HTTPRoute taskflow: \/ makes \/metrics public/,
    ],
    [
      'a function left out of the NetworkPolicy (its pods reachable from any pod)',
      (i) => {
        const policy = find(i, 'NetworkPolicy', 'functions-from-knative-data-plane')
        policy.spec.podSelector.matchExpressions[0].values = ['audit-log', 'reminders']
        return i
      },
      /Service notification-fanout: no NetworkPolicy limits who reaches its pods/,
    ],
    [
      'a public function Service',
      (i) => {
        delete find(i, 'Service', 'reminders').metadata.labels['networking.knative.dev/visibility']
        return i
      },
      /Service reminders: a function must be networking.knative.dev\/visibility: cluster-local/,
    ],
    [
      'a func.yaml that kn func would deploy public',
      (i) => {
        delete i.funcYamls.find((f) => f.name === 'audit-log')!.deploy!.labels
        return i
      },
      /func.yaml audit-log: deploy.labels networking.knative.dev\/visibility is undefined, the Service says cluster-local/,
    ],
    [
      'a func.yaml out of step with its Service',
      (i) => {
        find(i, 'Service', 'notification-fanout').metadata.labels['networking.knative.dev/visibility'] =
          'public'
        return i
      },
      /func.yaml notification-fanout: deploy.labels networking.knative.dev\/visibility is cluster-local, the Service says public/,
    ],
    [
      'a cluster-local Task API (no public entry left)',
      (i) => {
        find(i, 'Service', 'task-api').metadata.labels['networking.knative.dev/visibility'] = 'cluster-local'
        return i
      },
      /Service task-api: the Task API is the public entry and must not be cluster-local/,
    ],
    [
      'the Task API forwarding to a public URL',
      (i) => {
        find(i, 'ConfigMap', 'task-api-config').data.AUDIT_LOG_URL = 'https://audit-log.taskflow.example.com'
        return i
      },
      /task-api-config AUDIT_LOG_URL is https:\/\/audit-log.taskflow.example.com, not audit-log's http:\/\/audit-log.taskflow.svc.cluster.local/,
    ],
    [
      'the Task API without a function URL (its forwards would answer 503)',
      (i) => {
        delete find(i, 'ConfigMap', 'task-api-config').data.NOTIFICATIONS_URL
        return i
      },
      /task-api-config NOTIFICATIONS_URL is undefined/,
    ],
    // A dead letter must fit its topic (dead-letter-invariants.ts).
    [
      "a dead-letter topic at Kafka's default size",
      (i) => {
        delete find(i, 'KafkaTopic', 'dead-letters').spec.config['max.message.bytes']
        return i
      },
      /KafkaSource audit-log: dead-letter topic dead-letters takes records up to 1048588 bytes, needs at least 1114124 \(task-events takes 1048588/,
    ],
    [
      'less than 64 KiB of headroom',
      (i) => {
        find(i, 'KafkaTopic', 'dead-letters').spec.config['max.message.bytes'] = 1_048_588 + 65_535
        return i
      },
      /KafkaSource reminders: dead-letter topic dead-letters takes records up to 1114123 bytes/,
    ],
    [
      'a source topic raised to the dead letters size',
      (i) => {
        find(i, 'KafkaTopic', 'reminder-events').spec.config['max.message.bytes'] = 1_179_660
        return i
      },
      /KafkaSource notification-fanout: dead-letter topic dead-letters .* \(reminder-events takes 1179660/,
    ],
    [
      'brokers raising message.max.bytes for every topic that does not set its own',
      (i) => {
        find(i, 'Kafka', 'taskflow').spec.kafka.config['message.max.bytes'] = 2_097_152
        return i
      },
      /dead-letter topic dead-letters takes records up to 1179660 bytes, needs at least 2162688 \(task-events takes 2097152/,
    ],
    [
      'a size that is not a number',
      (i) => {
        find(i, 'KafkaTopic', 'dead-letters').spec.config['max.message.bytes'] = '1mb'
        return i
      },
      /KafkaTopic dead-letters: max.message.bytes is not a size/,
    ],
  ]
  it.each(broken)('catch %s', (_label, breakIt, message) => {
    const violations = checkSystemInvariants(breakIt(realSystem()))
    expect(violations.join('\n')).toMatch(message)
  })

  it('exactly 64 KiB of dead-letter headroom is enough', () => {
    const input = realSystem()
    find(input, 'KafkaTopic', 'dead-letters').spec.config['max.message.bytes'] = 1_048_588 + 65_536
    expect(checkSystemInvariants(input)).toEqual([])
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
