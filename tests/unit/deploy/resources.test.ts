// What the plan reads from each kind of object: the references that become the checker's needs, and the
// Secrets Strimzi and the credential job write.
import { describe, expect, it } from 'vitest'
import {
  credentialJobOutputs,
  objectNeeds,
  objectProvision,
  operatorOutputs,
} from '../../../deploy/src/resources.ts'
import type { KubernetesObject } from '../../../sources/src/kustomize.ts'

const refsOf = (object: KubernetesObject) =>
  objectNeeds(object, 'ns').map((n) => (n.key ? `${n.ref}#${n.key}` : n.ref))

describe('object needs', () => {
  it('reads a Knative Service: API, namespace, envFrom, key refs, volume items, image; optional refs are skipped', () => {
    const service: KubernetesObject = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'ns' },
      spec: {
        template: {
          spec: {
            serviceAccountName: 'api-sa',
            containers: [
              {
                image: 'r/api:1',
                envFrom: [
                  { configMapRef: { name: 'shared' } },
                  { secretRef: { name: 'maybe', optional: true } },
                ],
                env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'db', key: 'uri' } } }],
              },
            ],
            volumes: [
              { name: 'ca', secret: { secretName: 'ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      },
    }
    expect(refsOf(service).sort()).toEqual(
      [
        'API serving.knative.dev/v1 Service',
        'ConfigMap ns/shared',
        'Image r/api:1',
        'Namespace ns',
        'Secret ns/ca-cert#ca.crt',
        'Secret ns/db#uri',
        'ServiceAccount ns/api-sa',
      ].sort(),
    )
    expect(
      objectNeeds(service, 'ns')
        .filter((n) => n.atApply)
        .map((n) => n.ref),
    ).toEqual(['API serving.knative.dev/v1 Service', 'Namespace ns'])
  })

  it('reads a KafkaSource: topics, sink, dead-letter sink, SASL Secrets, the Kafka and the OIDC feature', () => {
    const source: KubernetesObject = {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'KafkaSource',
      metadata: { name: 'audit', namespace: 'ns' },
      spec: {
        topics: ['task-events'],
        net: { sasl: { password: { secretKeyRef: { name: 'audit-source', key: 'password' } } } },
        delivery: {
          deadLetterSink: {
            ref: { apiVersion: 'eventing.knative.dev/v1alpha1', kind: 'KafkaSink', name: 'dl' },
          },
        },
        sink: {
          ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'audit' },
          audience: 'x',
        },
      },
    }
    expect(refsOf(source)).toEqual(
      expect.arrayContaining([
        'Topic task-events',
        'Service.serving.knative.dev ns/audit',
        'KafkaSink.eventing.knative.dev ns/dl',
        'Secret ns/audit-source#password',
        'Feature authentication-oidc',
      ]),
    )
  })

  it("reads a KafkaSink's topic and auth Secret, and a Strimzi object's Kafka", () => {
    const sink: KubernetesObject = {
      apiVersion: 'eventing.knative.dev/v1alpha1',
      kind: 'KafkaSink',
      metadata: { name: 'dl', namespace: 'ns' },
      spec: { topic: 'dead-letters', auth: { secret: { ref: { name: 'dl-auth' } } } },
    }
    expect(refsOf(sink)).toEqual(expect.arrayContaining(['Topic dead-letters', 'Secret ns/dl-auth']))
    const topic: KubernetesObject = {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 't', namespace: 'ns', labels: { 'strimzi.io/cluster': 'c' } },
      spec: { topicName: 'real-name' },
    }
    expect(refsOf(topic)).toContain('Kafka.kafka.strimzi.io ns/c')
    expect(operatorOutputs(topic, 'ns')).toEqual([{ ref: 'Topic real-name' }])
  })
})

describe('what objects provide', () => {
  it('a ConfigMap or Secret provides its keys', () => {
    expect(
      objectProvision(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 's', namespace: 'ns' },
          stringData: { user: 'u', type: 't' },
        },
        'ns',
      ),
    ).toEqual({
      ref: 'Secret ns/s',
      keys: ['user', 'type'],
    })
  })

  it("Strimzi writes a SCRAM user's Secret and the cluster CA once they are Ready", () => {
    const user: KubernetesObject = {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaUser',
      metadata: { name: 'u' },
      spec: { authentication: { type: 'scram-sha-512' } },
    }
    expect(operatorOutputs(user, 'ns')).toEqual([
      { ref: 'Secret ns/u', keys: ['password', 'sasl.jaas.config'] },
    ])
    const kafka: KubernetesObject = {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'Kafka',
      metadata: { name: 'k' },
    }
    expect(operatorOutputs(kafka, 'ns').map((p) => p.ref)).toContain('Secret ns/k-cluster-ca-cert')
  })

  it('the credential job writes <user>-kafka-auth for each of its SINK_USERS', () => {
    const cronJob: KubernetesObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'creds', namespace: 'ns' },
      spec: {
        jobTemplate: {
          spec: {
            template: { spec: { containers: [{ env: [{ name: 'SINK_USERS', value: 'a-sink b-sink' }] }] } },
          },
        },
      },
    }
    expect(credentialJobOutputs(cronJob, 'ns').map((p) => p.ref)).toEqual([
      'Secret ns/a-sink-kafka-auth',
      'Secret ns/b-sink-kafka-auth',
    ])
  })
})
