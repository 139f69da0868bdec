import { createRequire } from 'node:module'
import type { Logger } from 'pino'

// faas-js-runtime 4 reads every CloudEvent with its bundled cloudevents SDK before the function sees
// it, and hands what goes wrong to fastify, which answers an error without a status code with 500:
// - the SDK's ValidationError (no source, no type, an extension name the spec refuses, a dataschema
//   that is not a URI ...);
// - a batch (`application/cloudevents-batch+json`): the SDK reads it as an array of events, and the
//   runtime's `validate()` call on that array throws a TypeError.
// Knative's dispatcher retries a 500 for the whole retry budget, holding an ordered partition behind
// an event that can never succeed. Giving the SDK's ValidationError a 400 status, and turning a batch
// into one, makes fastify answer 400 with the SDK's message instead: dead-lettered at once, as the
// function's own refusals are. Nothing else changes: the SDK still validates, and the function still
// never sees what the runtime refused. (Knative never delivers batches to a subscriber.)

type CloudEventsSdk = {
  ValidationError?: (new (message: string) => Error) & { prototype: { statusCode?: number } }
  HTTP?: { toEvent?: (message: unknown) => unknown }
}

let guarded: boolean | undefined

/**
 * Makes the runtime answer a CloudEvent its SDK refuses, or a batch, with 400, not 500. Resolves the
 * SDK the way the runtime does (faas-js-runtime's own dependency, found from this module as the
 * runtime is found from the function's folder). Called from each function's init; idempotent. False
 * (and a warning on `logger`) when the SDK could not be found: then such requests still get a 500.
 */
export function answerInvalidCloudEventsWith400(logger?: Pick<Logger, 'warn'>): boolean {
  guarded ??= (() => {
    try {
      const runtimeEntry = createRequire(import.meta.url).resolve('faas-js-runtime')
      const sdk = createRequire(runtimeEntry)('cloudevents') as CloudEventsSdk
      const { ValidationError, HTTP } = sdk
      const toEvent = HTTP?.toEvent
      if (ValidationError === undefined || HTTP === undefined || toEvent === undefined) return false
      ValidationError.prototype.statusCode = 400
      HTTP.toEvent = (message: unknown) => {
        const event = toEvent(message)
        if (Array.isArray(event)) throw new ValidationError('a batch of CloudEvents is not accepted here')
        return event
      }
      return true
    } catch {
      return false
    }
  })()
  if (!guarded)
    logger?.warn("faas-js-runtime's cloudevents SDK not found: invalid CloudEvents will be answered 500")
  return guarded
}
