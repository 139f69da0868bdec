/**
 * Event types are reverse-DNS names `dev.taskflow.<domain>.<action>` (the CloudEvents spec recommends a
 * reverse-DNS prefix so types never collide with other producers on the same topic).
 */
export const EventTypes = {
  TaskCreated: 'dev.taskflow.task.created',
  TaskUpdated: 'dev.taskflow.task.updated',
  TaskCompleted: 'dev.taskflow.task.completed',
  TaskDeleted: 'dev.taskflow.task.deleted',
  ReminderDue: 'dev.taskflow.reminder.due',
  NotificationSent: 'dev.taskflow.notification.sent',
} as const

export type EventType = (typeof EventTypes)[keyof typeof EventTypes]

export const eventTypeList: readonly EventType[] = Object.values(EventTypes)

const eventTypeSet: ReadonlySet<string> = new Set(eventTypeList)

export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && eventTypeSet.has(type)
}

/**
 * The major version of each type's data schema. Only a breaking change (see compatibility.ts) bumps it;
 * backward-compatible changes (a new optional field, a wider enum) keep the same `dataschema` URI.
 */
export const dataSchemaMajorVersions: { readonly [T in EventType]: number } = {
  'dev.taskflow.task.created': 1,
  'dev.taskflow.task.updated': 1,
  'dev.taskflow.task.completed': 1,
  'dev.taskflow.task.deleted': 1,
  'dev.taskflow.reminder.due': 1,
  'dev.taskflow.notification.sent': 1,
}

export const dataSchemaBaseUri = 'https://schemas.taskflow.dev/events'

/** The `dataschema` attribute of an event of this type: `https://schemas.taskflow.dev/events/<type>/v<major>.json`. */
export function dataSchemaUri(type: EventType): string {
  return `${dataSchemaBaseUri}/${type}/v${dataSchemaMajorVersions[type]}.json`
}
