import { createRequire } from 'node:module'
import type { Logger } from 'pino'

// faas-js-runtime 4 checks every CloudEvent with its bundled cloudevents SDK before the function
// sees it, and hands the SDK's ValidationError (no source, no type, an extension name the spec
// refuses, a dataschema that is not a URI ...) to fastify, which answers an error without a status
// code with 500. Knative's dispatcher retries a 500 for the whole retry budget, holding an ordered
// partition behind an event that can never succeed. Giving the SDK's ValidationError a 400 status
// makes fastify answer 400 with the SDK's message instead: dead-lettered at once, as the function's
// own refusals are. Nothing else changes: the SDK still validates, the function still never sees
// an event the runtime refused.

let guarded: boolean | undefined

/**
 * Makes the runtime answer a CloudEvent its SDK finds invalid with 400, not 500. Resolves the SDK
 * the way the runtime does (faas-js-runtime's own dependency, found from this module as the runtime
 * is found from the function's folder). Called from each function's init; idempotent. False (and a
 * warning on `logger`) when the SDK could not be found: then such events still get the runtime's 500.
 */
export function answerInvalidCloudEventsWith400(logger?: Pick<Logger, 'warn'>): boolean {
  guarded ??= (() => {
    try {
      const runtimeEntry = createRequire(import.meta.url).resolve('faas-js-runtime')
      const sdk = createRequire(runtimeEntry)('cloudevents') as {
        ValidationError?: { prototype: { statusCode?: number } }
      }
      if (sdk.ValidationError === undefined) return false
      sdk.ValidationError.prototype.statusCode = 400
      return true
    } catch {
      return false
    }
  })()
  if (!guarded)
    logger?.warn("faas-js-runtime's cloudevents SDK not found: invalid CloudEvents will be answered 500")
  return guarded
}
