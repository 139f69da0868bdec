import { createHmac, timingSafeEqual } from 'node:crypto'

// Webhook signatures, in the scheme Stripe and GitHub made familiar: the receiver recomputes
// HMAC-SHA256 over "<timestamp>.<body>" with the secret it shares with the user, compares in
// constant time, and refuses old timestamps so a captured request cannot be replayed later.

export const signatureHeader = 'x-taskflow-signature'
export const timestampHeader = 'x-taskflow-timestamp'

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"); timestamp in Unix seconds. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/** The receiver's side: true when `signature` matches and the timestamp is within `toleranceSeconds`. */
export function verifyWebhookSignature(input: {
  secret: string
  timestamp: string
  body: string
  signature: string
  now?: Date
  toleranceSeconds?: number
}): boolean {
  const timestamp = Number(input.timestamp)
  if (!Number.isInteger(timestamp)) return false
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000)
  if (Math.abs(nowSeconds - timestamp) > (input.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(signWebhook(input.secret, timestamp, input.body))
  const given = Buffer.from(input.signature)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
