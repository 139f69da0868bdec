import type { NotificationKind } from './notification-trigger.ts'

// What one attempt on one channel came to. `retry` leaves the delivery open (the event is answered
// 503 and comes again); `failed` is final (a receiver that refuses the request will refuse it again).
export type ChannelResult =
  | { readonly status: 'delivered' }
  | { readonly status: 'failed'; readonly detail: string }
  | { readonly status: 'retry'; readonly detail: string }

/** The notification as it is sent on the webhook and email channels. */
export type OutgoingNotification = {
  readonly notificationId: string
  readonly recipient: string
  readonly kind: NotificationKind
  readonly taskId: string
  readonly title: string
  readonly message: string
  readonly causeEventId: string
  readonly occurredAt: string
}
