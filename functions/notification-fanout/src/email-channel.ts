import nodemailer from 'nodemailer'
import type { ChannelResult, OutgoingNotification } from './channel-result.ts'

// Email through nodemailer: SMTP when SMTP_URL is set; otherwise (development, tests, a lone folder)
// nodemailer's JSON transport builds the whole message without sending it, and the sender keeps
// and logs it, so the email path runs end to end with no mail server.

export type RecordedEmail = { readonly to: string; readonly subject: string; readonly text: string }

export type EmailSender = {
  send(address: string, notification: OutgoingNotification): Promise<ChannelResult>
  /** Messages built by the recording transport (empty with SMTP). */
  readonly recorded: readonly RecordedEmail[]
  close(): void
}

type Log = { info(object: object, message?: string): void }

export function createEmailSender(options: {
  smtpUrl?: string | undefined
  from: string
  log?: Log
}): EmailSender {
  const recording = options.smtpUrl === undefined
  const transport = recording
    ? nodemailer.createTransport({ jsonTransport: true })
    : nodemailer.createTransport(options.smtpUrl)
  const recorded: RecordedEmail[] = []
  return {
    recorded,
    async send(address, notification) {
      const message = {
        from: options.from,
        to: address,
        subject: `[taskflow] ${notification.title}: ${notification.message}`,
        text: `${notification.message}\n\nTask: ${notification.title} (${notification.taskId})\n`,
        headers: { 'X-Taskflow-Notification': notification.notificationId },
      }
      try {
        await transport.sendMail(message)
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error)
        // SMTP 5xx replies are permanent (bad mailbox); connection problems and 4xx are worth a retry.
        const responseCode = (error as { responseCode?: number }).responseCode
        return responseCode !== undefined && responseCode >= 500
          ? { status: 'failed', detail }
          : { status: 'retry', detail }
      }
      if (recording) {
        recorded.push({ to: address, subject: message.subject, text: message.text })
        options.log?.info(
          { email: { to: address, subject: message.subject } },
          'email recorded (no SMTP_URL)',
        )
      }
      return { status: 'delivered' }
    },
    close: () => transport.close(),
  }
}
