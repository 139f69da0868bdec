// Typed errors of the event log, the same for both backends: callers branch on the class or `code`,
// never on message text.

export type EventLogErrorCode =
  | 'unknown-topic'
  | 'invalid-partitions'
  | 'partitions-decrease'
  | 'invalid-option'
  | 'already-running'
  | 'join-failed'
  | 'closed'

export class EventLogError extends Error {
  override readonly name = 'EventLogError'
  readonly code: EventLogErrorCode

  constructor(code: EventLogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

export const unknownTopic = (topic: string, cause?: unknown): EventLogError =>
  new EventLogError(
    'unknown-topic',
    `topic "${topic}" does not exist (create it from its KafkaTopic first)`,
    {
      cause,
    },
  )

export function assertPartitionCount(topic: string, partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new EventLogError(
      'invalid-partitions',
      `topic "${topic}": partitions must be a positive integer, got ${partitions}`,
    )
  }
}

export function assertPositiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new EventLogError('invalid-option', `${name} must be a positive integer, got ${value}`)
  }
}

export function assertConsumerOptions(options: {
  groupId: string
  topics: readonly string[]
  initialOffset: string
  commitIntervalMs?: number
  maxBatchRecords?: number
}): void {
  if (options.groupId.trim() === '') throw new EventLogError('invalid-option', 'groupId must not be empty')
  if (options.topics.length === 0) throw new EventLogError('invalid-option', 'topics must not be empty')
  if (options.initialOffset !== 'earliest' && options.initialOffset !== 'latest') {
    throw new EventLogError(
      'invalid-option',
      `initialOffset must be 'earliest' or 'latest', got ${String(options.initialOffset)}`,
    )
  }
  assertPositiveInteger('commitIntervalMs', options.commitIntervalMs)
  assertPositiveInteger('maxBatchRecords', options.maxBatchRecords)
}

export function assertConcurrency(value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new EventLogError(
      'invalid-option',
      `partitionsConsumedConcurrently must be a positive integer, got ${value}`,
    )
  }
}
