// What the relay needs from a log: Kafka in production, an embedded log in the local runtime.

/** One encoded record as the outbox holds it (CloudEvents Kafka binding, binary mode). */
export type OutboxRecord = {
  key: string | null
  value: Buffer
  headers: Record<string, string>
}

export type Publisher = {
  /**
   * Resolves only once the log acknowledged every record (for Kafka: acks=-1 from all in-sync
   * replicas); records with the same key must land in the order given.
   */
  publish(topic: string, records: readonly OutboxRecord[]): Promise<void>
}
