import type { Logger } from 'pino'
import { createSenderVerifier, type SenderIdentitySettings, type SenderVerifier } from './event-sender.ts'
import type { FunctionContext } from './invocation.ts'
import type { FunctionResponse } from './outcome.ts'
import { problem } from './problem.ts'

// The door every CloudEvent comes through: its sender is checked before the function sees it. Knative
// retries neither 401 nor 403, so a refused event goes straight to the dead-letter sink: each refusal
// is logged at error level, naming the sender and the reason, so a misconfiguration is loud.

/** Runs `deliver` for an event whose sender is allowed; answers 401/403/503 for any other. */
export type EventGate = (
  context: FunctionContext,
  deliver: () => Promise<FunctionResponse>,
) => Promise<FunctionResponse>

export function createEventGate(
  settings: SenderIdentitySettings,
  logger?: Logger,
  verifier: SenderVerifier = createSenderVerifier(settings),
): EventGate {
  if (verifier.mode === 'disabled') {
    logger?.warn('sender identity is off: CloudEvents are accepted from anyone who can reach this function')
    return (_context, deliver) => deliver()
  }
  return async (context, deliver) => {
    const verdict = await verifier.verify(context.headers.authorization)
    if (verdict.ok) return deliver()
    const log = context.log ?? logger
    log?.error(
      { status: verdict.status, reason: verdict.reason, ceId: context.headers['ce-id'] },
      'event refused: its sender is not allowed (see EVENTS_ALLOWED_SENDERS and the sources’ sink.audience)',
    )
    if (verdict.status === 503)
      return problem(503, 'Service unavailable', `senders cannot be checked now: ${verdict.reason}`)
    if (verdict.status === 403) return problem(403, 'Forbidden', verdict.reason)
    const response = problem(401, 'Unauthorized', verdict.reason)
    return { ...response, headers: { ...response.headers, 'www-authenticate': 'Bearer' } }
  }
}
