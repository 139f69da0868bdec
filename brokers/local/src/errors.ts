export type LocalKafkaErrorCode =
  | 'java-missing'
  | 'mvn-missing'
  | 'jar-fetch-failed'
  | 'port-taken'
  | 'data-dir-in-use'
  | 'format-failed'
  | 'start-failed'
  | 'bad-option'

// Every failure of the local broker ends with the way around it: any Kafka 4 broker will do.
export const useExistingBrokerHint =
  'To use an existing broker instead, set KAFKA_BROKERS=host:port (for example one started with ' +
  '`docker run -p 9092:9092 apache/kafka:4.3.1`).'

export class LocalKafkaError extends Error {
  override readonly name = 'LocalKafkaError'
  readonly code: LocalKafkaErrorCode
  constructor(code: LocalKafkaErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${message}\n${useExistingBrokerHint}`, options)
    this.code = code
  }
}
