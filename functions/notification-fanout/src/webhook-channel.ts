import { Agent, request } from 'undici'
import type { ChannelResult, OutgoingNotification } from './channel-result.ts'
import { signatureHeader, signWebhook, timestampHeader } from './webhook-signature.ts'
import {
  type AddressPolicy,
  checkWebhookTarget,
  guardedLookup,
  RefusedTargetError,
} from './webhook-target-guard.ts'

// POSTs a notification to the user's webhook, signed, with a timeout. Statuses are read the way
// Knative's dispatcher reads ours: 408, 429 and 5xx are worth another attempt, other 4xx are not.

export type WebhookSender = {
  send(target: { url: string; secret: string }, notification: OutgoingNotification): Promise<ChannelResult>
  close(): Promise<void>
}

const retriableStatuses = new Set([408, 429])

export function createWebhookSender(options: {
  policy: AddressPolicy
  timeoutMs: number
  now?: () => Date
}): WebhookSender {
  const now = options.now ?? (() => new Date())
  const agent = new Agent({
    connect: { lookup: guardedLookup(options.policy), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  })
  return {
    async send(target, notification) {
      let url: URL
      try {
        url = new URL(target.url)
      } catch {
        return { status: 'failed', detail: `${target.url} is not a URL` }
      }
      try {
        const checked = await checkWebhookTarget(url, options.policy)
        if (!checked.ok) return { status: 'failed', detail: `refused: ${checked.reason}` }
      } catch (error) {
        return { status: 'retry', detail: `cannot resolve ${url.hostname}: ${messageOf(error)}` }
      }
      const body = JSON.stringify({ type: 'dev.taskflow.notification', ...notification })
      const timestamp = Math.floor(now().getTime() / 1000)
      try {
        const response = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'taskflow-notification-fanout',
            [timestampHeader]: String(timestamp),
            [signatureHeader]: signWebhook(target.secret, timestamp, body),
          },
          body,
        })
        await response.body.dump()
        if (response.statusCode >= 200 && response.statusCode < 300) return { status: 'delivered' }
        const detail = `${url.origin} answered ${response.statusCode}`
        if (response.statusCode >= 500 || retriableStatuses.has(response.statusCode)) {
          return { status: 'retry', detail }
        }
        return { status: 'failed', detail }
      } catch (error) {
        if (
          error instanceof RefusedTargetError ||
          (error as { cause?: unknown }).cause instanceof RefusedTargetError
        ) {
          return { status: 'failed', detail: `refused: ${messageOf(error)}` }
        }
        return { status: 'retry', detail: `${url.origin} unreachable: ${messageOf(error)}` }
      }
    },
    close: () => agent.close(),
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
