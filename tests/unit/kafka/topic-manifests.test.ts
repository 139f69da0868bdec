import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { afterEach, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import {
  effectiveTopic,
  loadTopicManifests,
  TopicManifestError,
  type TopicSpec,
} from '../../../brokers/local/src/topics.ts'
import { schemasDir } from '../../support/schemas.ts'

const repo = join(import.meta.dirname, '..', '..', '..')
const topicsDir = join(repo, 'brokers', 'topics')
// The Strimzi CRDs live in the shared folder beside the repository, or SCHEMAS_DIR (never copied into it).
const kafkaTopicCrd = join(schemasDir(), 'strimzi', '043-Crd-kafkatopic.yaml')

describe('brokers/topics manifests', () => {
  it('declare the four topics with their partitions, replicas and retention', async () => {
    const specs = await loadTopicManifests(topicsDir)
    const days = (n: number) => String(n * 24 * 60 * 60 * 1000)
    const summary = Object.fromEntries(
      specs.map((spec) => [
        spec.name,
        [spec.partitions, spec.replicas, spec.config['retention.ms'], spec.config['min.insync.replicas']],
      ]),
    )
    expect(summary).toEqual({
      'task-events': [12, 3, days(7), '2'],
      'reminder-events': [6, 3, days(7), '2'],
      'notification-events': [6, 3, days(7), '2'],
      'dead-letters': [3, 3, days(30), '2'],
    })
  })

  it.runIf(existsSync(kafkaTopicCrd) || process.env.CI === 'true')(
    'validate against the Strimzi KafkaTopic v1 CRD schema',
    async () => {
      const crd = parse(await readFile(kafkaTopicCrd, 'utf8'))
      const v1 = crd.spec.versions.find((version: { name: string }) => version.name === 'v1')
      // Kubernetes extensions (x-kubernetes-*) are not JSON Schema keywords: strict mode off.
      const validate = new Ajv({ strict: false, allErrors: true }).compile(v1.schema.openAPIV3Schema)
      for (const spec of await loadTopicManifests(topicsDir)) {
        for (const document of parseAllDocuments(await readFile(spec.source, 'utf8'))) {
          const ok = validate(document.toJS())
          expect(validate.errors ?? [], spec.source).toEqual([])
          expect(ok).toBe(true)
        }
      }
    },
  )
})

describe('loadTopicManifests', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })
  const folderWith = async (files: Record<string, string>) => {
    dir = await mkdtemp(join(tmpdir(), 'topics-'))
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
    return dir
  }
  const topic = (name: string, extra = '') => `apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata:
  name: ${name}
  labels:
    strimzi.io/cluster: taskflow
spec:
  partitions: 2
${extra}`

  it('reads several documents of one file and stringifies config values', async () => {
    const specs = await loadTopicManifests(
      await folderWith({
        'all.yaml': `${topic('a', '  config:\n    retention.ms: 1000\n    compression.type: lz4\n')}---\n${topic('b', '  topicName: b.real\n')}`,
      }),
    )
    expect(specs.map(({ name, config }) => ({ name, config }))).toEqual([
      { name: 'a', config: { 'retention.ms': '1000', 'compression.type': 'lz4' } },
      { name: 'b.real', config: {} },
    ])
  })

  it.each([
    [
      'another cluster label',
      topic('a').replace('cluster: taskflow', 'cluster: other'),
      /strimzi.io\/cluster/,
    ],
    ['the removed v1beta2 API', topic('a').replace('/v1', '/v1beta2'), /apiVersion/],
    ['zero partitions', topic('a').replace('partitions: 2', 'partitions: 0'), /partitions/],
    ['broken YAML', 'spec: [', /.+/],
  ])('rejects %s with a TopicManifestError naming the file', async (_, text, message) => {
    const folder = await folderWith({ 'bad.yaml': text })
    const error = await loadTopicManifests(folder).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TopicManifestError)
    expect((error as TopicManifestError).file).toBe(join(folder, 'bad.yaml'))
    expect((error as Error).message).toMatch(message)
  })

  it('rejects the same topic declared twice', async () => {
    const folder = await folderWith({ 'one.yaml': topic('a'), 'two.yaml': topic('a') })
    await expect(loadTopicManifests(folder)).rejects.toThrow(/also declared in/)
  })
})

describe('effectiveTopic', () => {
  const spec: TopicSpec = {
    name: 't',
    partitions: 12,
    replicas: 3,
    config: { 'min.insync.replicas': '2', 'retention.ms': '5' },
    source: 'x',
  }
  it('caps replicas and min.insync.replicas to a one-node cluster', () => {
    expect(effectiveTopic(spec, 1)).toEqual({
      name: 't',
      partitions: 12,
      replicas: 1,
      config: { 'min.insync.replicas': '1', 'retention.ms': '5' },
    })
  })
  it('keeps the declared values on three nodes', () => {
    expect(effectiveTopic(spec, 3)).toMatchObject({ replicas: 3, config: { 'min.insync.replicas': '2' } })
  })
})
