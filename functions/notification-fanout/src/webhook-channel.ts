import { Agent, request } from 'undici'
import type { ChannelResult, OutgoingNotification } from './channel-result.ts'
import { signWebhook } from './webhook-signature.ts'
import {
  type AddressPolicy,
  checkWebhookTarget,
  guardedLookup,
  RefusedTargetError,
  type Resolver,
  systemResolver,
} from './webhook-target-guard.ts'

// POSTs a notification to the user's webhook, signed, with a timeout. Statuses are read the way
// Knative's dispatcher reads ours: 408, 429 and 5xx are worth another attempt, other 4xx are not.
// Redirects are never followed (undici's request does not, and no redirect interceptor is added): a
// redirect could lead to an address the guard refuses, and a receiver that redirects once will do it
// again, so a 3xx is a final failure that says so.

export type WebhookSender = {
  /** `deliveryId` is the webhook-id header: the same on every attempt of one delivery. */
  send(
    target: { url: string; secret: string },
    notification: OutgoingNotification,
    deliveryId: string,
  ): Promise<ChannelResult>
  close(): Promise<void>
}

const retriableStatuses = new Set([408, 429])

export function createWebhookSender(options: {
  policy: AddressPolicy
  timeoutMs: number
  now?: () => Date
  /** Host name resolution, at check and at connect time; tests inject answers (rebinding). */
  resolve?: Resolver
}): WebhookSender {
  const now = options.now ?? (() => new Date())
  const resolve = options.resolve ?? systemResolver
  const agent = new Agent({
    connect: { lookup: guardedLookup(options.policy, resolve), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  })
  return {
    async send(target, notification, deliveryId) {
      let url: URL
      try {
        url = new URL(target.url)
      } catch {
        return { status: 'failed', detail: 'the webhook URL is not a URL' }
      }
      try {
        const checked = await checkWebhookTarget(url, options.policy, resolve)
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
            ...signWebhook({ secret: target.secret, id: deliveryId, timestamp, body }),
          },
          body,
        })
        await response.body.dump()
        const status = response.statusCode
        if (status >= 200 && status < 300) return { status: 'delivered' }
        if (status >= 300 && status < 400) {
          return { status: 'failed', detail: `${url.origin} answered ${status}: redirects are not followed` }
        }
        const detail = `${url.origin} answered ${status}`
        if (status >= 500 || retriableStatuses.has(status)) return { status: 'retry', detail }
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
