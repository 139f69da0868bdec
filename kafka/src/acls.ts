import type { AclEntry, Admin } from 'kafkajs'
import kafkajs from 'kafkajs'

// kafkajs is CommonJS and its enums are not visible to Node's named-export detection.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs

/**
 * One ACL in the shape of a Strimzi KafkaUser's `spec.authorization.acls[]`, so the YAML the cluster's
 * User Operator applies can be applied to a local broker as it is.
 */
export type KafkaAcl = {
  resource: { type: string; name?: string; patternType?: string }
  operations: readonly string[]
  /** allow (Strimzi's default) or deny. */
  type?: string
  /** Strimzi's default: any host. */
  host?: string
}

const resourceTypes: Record<string, number> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  transactionalId: AclResourceTypes.TRANSACTIONAL_ID,
}
const operationTypes: Record<string, number> = {
  All: AclOperationTypes.ALL,
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Create: AclOperationTypes.CREATE,
  Delete: AclOperationTypes.DELETE,
  Alter: AclOperationTypes.ALTER,
  Describe: AclOperationTypes.DESCRIBE,
  ClusterAction: AclOperationTypes.CLUSTER_ACTION,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
  IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
}
const patternTypes: Record<string, number> = {
  literal: ResourcePatternTypes.LITERAL,
  prefix: ResourcePatternTypes.PREFIXED,
}

function lookUp(table: Record<string, number>, what: string, key: string): number {
  const value = table[key]
  if (value === undefined) throw new TypeError(`unknown ACL ${what} ${JSON.stringify(key)}`)
  return value
}

/** The broker-side entries of `acls` for `principal` (e.g. `User:task-api`), one per operation. */
export function aclEntries(principal: string, acls: readonly KafkaAcl[]): AclEntry[] {
  return acls.flatMap((acl) =>
    acl.operations.map((operation) => ({
      resourceType: lookUp(resourceTypes, 'resource type', acl.resource.type),
      // Kafka names the one cluster resource `kafka-cluster`; Strimzi leaves the name out.
      resourceName: acl.resource.type === 'cluster' ? 'kafka-cluster' : (acl.resource.name ?? ''),
      resourcePatternType: lookUp(patternTypes, 'pattern type', acl.resource.patternType ?? 'literal'),
      principal,
      host: acl.host ?? '*',
      operation: lookUp(operationTypes, 'operation', operation),
      permissionType: acl.type === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
    })),
  )
}

/** Grants (or denies) `acls` to `principal`, as Strimzi's User Operator does for a KafkaUser. */
export async function createAcls(admin: Admin, principal: string, acls: readonly KafkaAcl[]): Promise<void> {
  const entries = aclEntries(principal, acls)
  if (entries.length > 0) await admin.createAcls({ acl: entries })
}
