// Offline schema validation of the project's Kubernetes manifests and func.yaml files.
//
// Each manifest is validated by apiVersion + kind against the upstream CRD's openAPIV3Schema for that
// version (read from SCHEMAS_DIR, default <repo>/../shared/schemas: never copied into the repo), with
// ajv in draft-07 mode; every folder there is read (strimzi, knative, keda, gateway-api,
// prometheus-operator, ...: ../shared/schemas/SOURCES.md). Only kinds that have no CRD at all (built-in
// Kubernetes kinds, and SinkBinding, whose CRD is not stored) get a small zod schema of our own below. A
// kind with neither is an error, so nothing slips through unvalidated.
//
// Like `kubectl apply` (strict field validation, the default since Kubernetes 1.27), an unknown field
// is an error: every object schema that lists properties and does not say
// `x-kubernetes-preserve-unknown-fields` is closed with `additionalProperties: false`.
// Not evaluated: CEL rules (`x-kubernetes-validations`) and operator-side rules; the invariant tests in
// tests/unit/manifests check the ones this project relies on.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
// ajv-formats is CommonJS: under Node's ESM interop the default import is module.exports, whose
// `default` is the plugin (types and runtime agree on `.default`).
import ajvFormats from 'ajv-formats'
import { parseAllDocuments } from 'yaml'
import { z } from 'zod'

export type ManifestDocument = Record<string, unknown> & { apiVersion?: unknown; kind?: unknown }

export type SchemaIssue = { path: string; message: string }

export type SchemaVerdict =
  | { ok: true; schema: 'crd' | 'zod' | 'func' }
  | { ok: false; issues: SchemaIssue[] }

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Where the upstream CRDs live: SCHEMAS_DIR, else ../shared/schemas beside the repository. */
export function schemasDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.SCHEMAS_DIR ?? resolve(repoRoot, '..', 'shared', 'schemas')
}

export { repoRoot }

type JsonSchema = Record<string, unknown>

/** Closes object schemas the way the API server's strict field validation does. */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects)
  if (schema === null || typeof schema !== 'object') return schema
  const out: JsonSchema = {}
  for (const [key, value] of Object.entries(schema)) {
    // Descriptions are the bulk of a CRD and never take part in validation.
    if (key === 'description') continue
    out[key] =
      key === 'properties' && value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, closeObjects(sub)]))
        : closeObjects(value)
  }
  const preserves = out['x-kubernetes-preserve-unknown-fields'] === true
  if (out.properties !== undefined && out.additionalProperties === undefined && !preserves) {
    out.additionalProperties = false
  }
  return out
}

/** Nested `$schema` keys (func.yaml's draft-04 schema repeats them in subschemas) confuse ajv. */
function dropSchemaKeywords(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(dropSchemaKeywords)
  if (schema === null || typeof schema !== 'object') return schema
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== '$schema')
      .map(([key, value]) => [key, dropSchemaKeywords(value)]),
  )
}

const quantityPattern = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/

/**
 * CRD patterns are Go (RE2) regular expressions; the Prometheus Operator's use `(?i)` (after `^`), which
 * JavaScript writes as the `i` flag. Everything else they use is common to both.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string) =>
    pattern.includes('(?i)')
      ? new RegExp(pattern.replaceAll('(?i)', ''), `${flags}i`)
      : new RegExp(pattern, flags),
  { code: 'new RegExp' },
)

function createAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, code: { regExp: goRegExp } })
  ajvFormats.default(ajv)
  // Kubernetes formats: int32/int64 as ranges, quantity as the resource.Quantity grammar,
  // int-or-string as "anything the type keywords already allow".
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -2_147_483_648 && n <= 2_147_483_647,
  })
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) })
  ajv.addFormat('quantity', { type: 'string', validate: (s: string) => quantityPattern.test(s) })
  ajv.addFormat('int-or-string', () => true)
  return ajv
}

function formatIssues(errors: ErrorObject[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).map((error) => {
    const extra =
      error.keyword === 'additionalProperties'
        ? ` (unknown field "${String((error.params as { additionalProperty: string }).additionalProperty)}")`
        : ''
    return { path: error.instancePath || '/', message: `${error.message ?? error.keyword}${extra}` }
  })
}

// ---- Kinds without an upstream schema in shared/schemas: small zod schemas of our own ----

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS-1123 name')
const stringMap = z.record(z.string(), z.string())
const objectMeta = z
  .object({
    name,
    namespace: name.optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .strict()
const namespacedMeta = objectMeta.extend({ namespace: name }).strict()
const keyRef = z.object({ name, key: z.string().min(1), optional: z.boolean().optional() }).strict()
const destination = z
  .object({
    ref: z
      .object({ apiVersion: z.string(), kind: z.string(), name, namespace: name.optional() })
      .strict()
      .optional(),
    uri: z.string().optional(),
  })
  .strict()
  .refine((d) => d.ref !== undefined || d.uri !== undefined, 'sink needs ref or uri')

const envVar = z
  .object({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z
      .object({ secretKeyRef: keyRef.optional(), configMapKeyRef: keyRef.optional() })
      .strict()
      .optional(),
  })
  .strict()
const container = z
  .object({
    name,
    image: z.string().min(1),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    env: z.array(envVar).optional(),
    securityContext: z.record(z.string(), z.unknown()).optional(),
    volumeMounts: z
      .array(z.object({ name, mountPath: z.string(), readOnly: z.boolean().optional() }).strict())
      .optional(),
  })
  .strict()
const policyRule = z
  .object({
    apiGroups: z.array(z.string()),
    resources: z.array(z.string()).min(1),
    verbs: z.array(z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'])).min(1),
    resourceNames: z.array(name).optional(),
  })
  .strict()
const labelSelector = z
  .object({
    matchLabels: stringMap.optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().min(1),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
const networkPolicyPeer = z
  .object({ namespaceSelector: labelSelector.optional(), podSelector: labelSelector.optional() })
  .strict()
  .refine((peer) => peer.namespaceSelector !== undefined || peer.podSelector !== undefined, 'an empty peer')

const builtinSchemas: Record<string, z.ZodObject> = {
  'networking.k8s.io/v1/NetworkPolicy': z.object({
    metadata: namespacedMeta,
    spec: z
      .object({
        podSelector: labelSelector,
        policyTypes: z.array(z.enum(['Ingress', 'Egress'])).min(1),
        ingress: z
          .array(
            z
              .object({
                from: z.array(networkPolicyPeer).min(1),
                ports: z
                  .array(
                    z
                      .object({
                        port: z.union([z.number().int().min(1).max(65535), name]),
                        protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
                      })
                      .strict(),
                  )
                  .min(1)
                  .optional(),
              })
              .strict(),
          )
          .optional(),
      })
      .strict(),
  }),
  'v1/Namespace': z.object({ metadata: objectMeta.omit({ namespace: true }).strict() }),
  'v1/ConfigMap': z.object({ metadata: namespacedMeta, data: stringMap }),
  // Secrets may carry only non-secret keys in this repository (checked again by the invariants).
  'v1/Secret': z.object({
    metadata: namespacedMeta,
    type: z.string().optional(),
    stringData: stringMap.optional(),
    data: stringMap.optional(),
  }),
  'v1/ServiceAccount': z.object({ metadata: namespacedMeta }),
  'rbac.authorization.k8s.io/v1/Role': z.object({ metadata: namespacedMeta, rules: z.array(policyRule) }),
  'rbac.authorization.k8s.io/v1/RoleBinding': z.object({
    metadata: namespacedMeta,
    roleRef: z
      .object({
        apiGroup: z.literal('rbac.authorization.k8s.io'),
        kind: z.enum(['Role', 'ClusterRole']),
        name,
      })
      .strict(),
    subjects: z.array(
      z
        .object({ kind: z.enum(['ServiceAccount', 'User', 'Group']), name, namespace: name.optional() })
        .strict(),
    ),
  }),
  'batch/v1/CronJob': z.object({
    metadata: namespacedMeta,
    spec: z
      .object({
        schedule: z.string().min(1),
        concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
        successfulJobsHistoryLimit: z.number().int().min(0).optional(),
        failedJobsHistoryLimit: z.number().int().min(0).optional(),
        jobTemplate: z
          .object({
            spec: z
              .object({
                backoffLimit: z.number().int().min(0).optional(),
                template: z
                  .object({
                    spec: z
                      .object({
                        serviceAccountName: name.optional(),
                        restartPolicy: z.enum(['OnFailure', 'Never']),
                        containers: z.array(container).min(1),
                        volumes: z
                          .array(
                            z
                              .object({
                                name,
                                emptyDir: z.object({ medium: z.string().optional() }).strict(),
                              })
                              .strict(),
                          )
                          .optional(),
                      })
                      .strict(),
                  })
                  .strict(),
              })
              .strict(),
          })
          .strict(),
      })
      .strict(),
  }),
  // SinkBinding: the CRD is not among the stored upstream schemas.
  'sources.knative.dev/v1/SinkBinding': z.object({
    metadata: namespacedMeta,
    spec: z
      .object({
        subject: z
          .object({
            apiVersion: z.string(),
            kind: z.string(),
            name: name.optional(),
            namespace: name.optional(),
            selector: z.record(z.string(), z.unknown()).optional(),
          })
          .strict()
          .refine(
            (s) => (s.name === undefined) !== (s.selector === undefined),
            'subject needs name or selector',
          ),
        sink: destination,
        ceOverrides: z.object({ extensions: stringMap }).strict().optional(),
      })
      .strict(),
  }),
}

export type SchemaRegistry = {
  /** Validates one manifest by its apiVersion + kind. */
  validate(document: unknown): SchemaVerdict
  /** Validates a functions/<name>/func.yaml document. */
  validateFuncYaml(document: unknown): SchemaVerdict
  /** `group/version/Kind` keys the registry can validate. */
  kinds(): string[]
}

function readCrds(dir: string): Map<string, JsonSchema> {
  const byKind = new Map<string, JsonSchema>()
  // Every folder of the schemas directory (one an upstream project: strimzi, knative, gateway-api, ...).
  const folders = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory())
  for (const sub of folders.map((entry) => entry.name)) {
    for (const file of readdirSync(join(dir, sub)).filter((f) => /\.ya?ml$/.test(f))) {
      for (const document of parseAllDocuments(readFileSync(join(dir, sub, file), 'utf8'))) {
        const crd = document.toJS() as {
          kind?: string
          spec?: {
            group: string
            names: { kind: string }
            versions: { name: string; served: boolean; schema?: { openAPIV3Schema: JsonSchema } }[]
          }
        }
        if (crd?.kind !== 'CustomResourceDefinition' || crd.spec === undefined) continue
        for (const version of crd.spec.versions) {
          if (!version.served || version.schema === undefined) continue
          byKind.set(
            `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`,
            version.schema.openAPIV3Schema,
          )
        }
      }
    }
  }
  return byKind
}

function keyOf(document: unknown): string | undefined {
  if (document === null || typeof document !== 'object') return undefined
  const { apiVersion, kind } = document as ManifestDocument
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined
  return `${apiVersion}/${kind}`
}

export function createSchemaRegistry(dir: string = schemasDir()): SchemaRegistry {
  const ajv = createAjv()
  const crds = readCrds(dir)
  const compiled = new Map<string, ValidateFunction>()
  const funcSchema = dropSchemaKeywords(
    JSON.parse(readFileSync(join(dir, 'knative', 'func_yaml-schema.json'), 'utf8')),
  ) as JsonSchema
  const validateFunc = ajv.compile(funcSchema)

  function crdValidator(key: string): ValidateFunction | undefined {
    const cached = compiled.get(key)
    if (cached !== undefined) return cached
    const schema = crds.get(key)
    if (schema === undefined) return undefined
    // The API server accepts apiVersion, kind and metadata on every object, listed in the CRD or not.
    const root = {
      ...schema,
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        ...(schema.properties as JsonSchema | undefined),
      },
    }
    const validator = ajv.compile(closeObjects(root) as JsonSchema)
    compiled.set(key, validator)
    return validator
  }

  return {
    validate(document) {
      const key = keyOf(document)
      if (key === undefined)
        return { ok: false, issues: [{ path: '/', message: 'apiVersion and kind are required strings' }] }
      const metadataIssues = (() => {
        const result = objectMeta.safeParse((document as ManifestDocument).metadata)
        return result.success
          ? []
          : result.error.issues.map((i) => ({ path: `/metadata/${i.path.join('/')}`, message: i.message }))
      })()
      const validator = crdValidator(key)
      if (validator !== undefined) {
        const valid = validator(document)
        const issues = [...metadataIssues, ...(valid ? [] : formatIssues(validator.errors))]
        return issues.length === 0 ? { ok: true, schema: 'crd' } : { ok: false, issues }
      }
      const zodSchema = builtinSchemas[key]
      if (zodSchema === undefined) {
        return {
          ok: false,
          issues: [{ path: '/', message: `unknown kind ${key}: no CRD in ${dir} and no local schema` }],
        }
      }
      const { apiVersion: _apiVersion, kind: _kind, ...rest } = document as ManifestDocument
      // strict(): the local schemas list every allowed field, anything else is unknown.
      const result = zodSchema.strict().safeParse(rest)
      if (result.success) return { ok: true, schema: 'zod' }
      return {
        ok: false,
        issues: result.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message })),
      }
    },
    validateFuncYaml(document) {
      return validateFunc(document)
        ? { ok: true, schema: 'func' }
        : { ok: false, issues: formatIssues(validateFunc.errors) }
    },
    kinds() {
      return [...crds.keys(), ...Object.keys(builtinSchemas)].sort()
    },
  }
}

/** Every YAML document of a file, parsed; a YAML syntax error throws with the file name. */
export function readYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'))
  return documents
    .map((document) => {
      if (document.errors.length > 0)
        throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`)
      return document.toJS() as unknown
    })
    .filter((value) => value !== null && value !== undefined)
}
