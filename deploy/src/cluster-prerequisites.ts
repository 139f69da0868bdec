// What a cluster must hold before `npm run deploy` runs: README's numbered cluster steps, each with what
// it provides. The plan checker resolves every need the plan does not create itself against this list,
// and a test holds the README's steps to it, so the two cannot drift.
import { type Provision, refs } from './resources.ts'

export type ClusterPrerequisite = {
  /** The README step's bold title, word for word. */
  title: string
  /** What the plan or the system loses without it; undefined when nothing works without it. */
  optional?: string
  /** A command (or its distinctive part) the README step must show. */
  readmeCommand: string
  provides: Provision[]
}

export function clusterPrerequisites(namespace: string): ClusterPrerequisite[] {
  return [
    {
      title: 'Docker Desktop',
      readmeCommand: `kubectl create namespace ${namespace}`,
      provides: [{ ref: refs.namespace(namespace) }],
    },
    {
      title: 'Strimzi 1.2.0',
      readmeCommand: 'helm install strimzi-cluster-operator strimzi/strimzi-kafka-operator --version 1.2.0',
      provides: ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser'].map((kind) => ({
        ref: refs.api('kafka.strimzi.io/v1', kind),
      })),
    },
    {
      title: 'Knative Serving + Kourier, Eventing, eventing-kafka-broker',
      readmeCommand: 'eventing-kafka-source.yaml -f $KB/eventing-kafka-sink.yaml',
      provides: [
        { ref: refs.api('serving.knative.dev/v1', 'Service') },
        { ref: refs.api('sources.knative.dev/v1', 'PingSource') },
        { ref: refs.api('sources.knative.dev/v1', 'SinkBinding') },
        { ref: refs.api('sources.knative.dev/v1', 'KafkaSource') },
        { ref: refs.api('eventing.knative.dev/v1alpha1', 'KafkaSink') },
        { ref: refs.api('eventing.knative.dev/v1alpha1', 'EventPolicy') },
        { ref: refs.configMap('knative-eventing', 'config-features') },
        // The ReferenceGrant of manifests/base/routes.yaml lives there.
        { ref: refs.namespace('kourier-system') },
      ],
    },
    {
      title: 'KEDA 2.20',
      optional:
        'without it the KafkaSources keep one consumer each: the autoscaling.eventing.knative.dev/* annotations are ignored',
      readmeCommand: 'helm install keda kedacore/keda --version 2.20.2',
      provides: [],
    },
    {
      title: 'Prometheus Operator and Grafana',
      optional:
        'only `--monitoring` needs it: without it nothing scrapes the metrics, and the alerts and dashboard are not applied',
      readmeCommand: 'helm install monitoring prometheus-community/kube-prometheus-stack',
      provides: ['PodMonitor', 'PrometheusRule', 'ServiceMonitor'].map((kind) => ({
        ref: refs.api('monitoring.coreos.com/v1', kind),
      })),
    },
    {
      title: 'Gateway API CRDs',
      readmeCommand: 'gateway-api/releases/download/v1.6.1/standard-install.yaml',
      provides: [
        { ref: refs.api('gateway.networking.k8s.io/v1', 'HTTPRoute') },
        { ref: refs.api('gateway.networking.k8s.io/v1beta1', 'ReferenceGrant') },
      ],
    },
    {
      title: 'PostgreSQL',
      readmeCommand: `kubectl create secret generic taskflow-db-app -n ${namespace}`,
      provides: [{ ref: refs.secret(namespace, 'taskflow-db-app'), keys: ['uri'] }],
    },
    {
      title: 'kn and kn func',
      readmeCommand: 'kn version && kn func version',
      provides: [],
    },
    {
      title: 'Local registry',
      readmeCommand: 'docker run -d --restart=always -p 5000:5000 --name registry registry:2',
      provides: [],
    },
  ]
}

/**
 * Public images the manifests pull as they are (pinned tags), built by nobody in this plan. Any other
 * image a manifest names must be built by the plan, or the checker fails.
 */
export const publicImages: readonly string[] = [
  // kubectl for the credential CronJob (sources/kafka-sink-credentials.yaml).
  'docker.io/alpine/k8s:1.32.4',
]
