import { z } from 'zod'
import { type NotificationKind, notificationKinds } from './notification-trigger.ts'
import { isStandardWebhookSecret, minimumStandardKeyBytes } from './webhook-signature.ts'

// A user's notification preferences: which channels each kind of event uses, where email and
// webhooks go, and quiet hours in the user's own time zone.
//
// Defaults: in-app on for everything; email and webhook on for everything too, but a channel
// without an address (no email address, no webhook URL) is skipped, so they are effectively off
// until the user configures one. During quiet hours webhook and email are SKIPPED, not deferred:
// the in-app notification is always stored and is where the user finds them in the morning.

export const channels = ['in_app', 'webhook', 'email'] as const
export type Channel = (typeof channels)[number]

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')

const timeZone = z
  .string()
  .min(1)
  .refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone })
        return true
      } catch {
        return false
      }
    },
    { message: 'must be an IANA time zone such as Europe/Paris' },
  )

const channelSwitches = z
  .object({ in_app: z.boolean(), webhook: z.boolean(), email: z.boolean() })
  .partial()
  .strict()

export const preferencesSchema = z
  .object({
    timeZone: timeZone.default('UTC'),
    quietHours: z
      .object({ start: clockTime, end: clockTime })
      .strict()
      .refine((hours) => hours.start !== hours.end, { message: 'start and end must differ', path: ['end'] })
      .nullable()
      .default(null),
    email: z.object({ address: z.email() }).strict().nullable().default(null),
    webhook: z
      .object({
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
        /**
         * The key of the webhook-signature HMAC (Standard Webhooks, see webhook-signature.ts): any text,
         * or the spec's whsec_<base64> form; never returned by reads.
         */
        secret: z
          .string()
          .min(16, 'must be at least 16 characters')
          .max(256)
          // Preferences are stored as jsonb, which holds neither NUL nor a lone UTF-16 surrogate.
          .refine((secret) => !secret.includes('\u0000'), 'must not contain NUL')
          .refine((secret) => secret.isWellFormed(), 'must be well-formed Unicode (no lone surrogate)')
          .refine((secret) => !secret.startsWith('whsec_') || isStandardWebhookSecret(secret), {
            message: `a whsec_ secret must be base64 of at least ${minimumStandardKeyBytes} bytes`,
          }),
      })
      .strict()
      .nullable()
      .default(null),
    channels: z.partialRecord(z.enum(notificationKinds), channelSwitches).default({}),
  })
  .strict()

export type Preferences = z.output<typeof preferencesSchema>

export const defaultPreferences: Preferences = preferencesSchema.parse({})

/** Preferences as a read shows them: everything but the webhook secret, switches filled in. */
export function visiblePreferences(preferences: Preferences) {
  return {
    timeZone: preferences.timeZone,
    quietHours: preferences.quietHours,
    email: preferences.email,
    webhook: preferences.webhook === null ? null : { url: preferences.webhook.url, secretSet: true },
    channels: Object.fromEntries(
      notificationKinds.map((kind) => [
        kind,
        Object.fromEntries(channels.map((channel) => [channel, isSwitchedOn(preferences, kind, channel)])),
      ]),
    ),
  }
}

function isSwitchedOn(preferences: Preferences, kind: NotificationKind, channel: Channel): boolean {
  return preferences.channels[kind]?.[channel] ?? true
}

/** What happens on one channel: sent, or skipped and why (recorded on the delivery). */
export type ChannelPlan =
  | { readonly channel: Channel; readonly send: true }
  | {
      readonly channel: Channel
      readonly send: false
      readonly reason: 'switched-off' | 'no-address' | 'quiet-hours'
    }

export function planChannels(preferences: Preferences, kind: NotificationKind, now: Date): ChannelPlan[] {
  const quiet = isQuietTime(preferences, now)
  return channels.map((channel): ChannelPlan => {
    if (!isSwitchedOn(preferences, kind, channel)) return { channel, send: false, reason: 'switched-off' }
    if (channel === 'in_app') return { channel, send: true }
    const configured = channel === 'email' ? preferences.email !== null : preferences.webhook !== null
    if (!configured) return { channel, send: false, reason: 'no-address' }
    if (quiet) return { channel, send: false, reason: 'quiet-hours' }
    return { channel, send: true }
  })
}

/** Whether `now` falls in the user's quiet hours, read on the user's wall clock. */
export function isQuietTime(preferences: Preferences, now: Date): boolean {
  const hours = preferences.quietHours
  if (hours === null) return false
  const minute = minuteOfDay(now, preferences.timeZone)
  const start = minutesOf(hours.start)
  const end = minutesOf(hours.end)
  // 22:00-07:00 spans midnight: quiet from start to midnight and from midnight to end.
  return start < end ? minute >= start && minute < end : minute >= start || minute < end
}

function minutesOf(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number)
  return (hours ?? 0) * 60 + (minutes ?? 0)
}

function minuteOfDay(now: Date, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now)
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? 0)
  const minute = Number(parts.find((part) => part.type === 'minute')?.value ?? 0)
  return hour * 60 + minute
}
