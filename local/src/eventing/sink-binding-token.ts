// The token half of a SinkBinding with sender identity on: Knative keeps a Secret holding the binding's
// OIDC token for its sink, mounted in the subject's pods at /oidc/token, and renews it well before it
// expires (pkg/reconciler/sinkbinding). Locally the file lives in a private temporary folder and the
// function reads it through EVENTS_SINK_TOKEN_FILE.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServiceAccountTokens } from '../auth/local-issuer.ts'

export interface SinkBindingToken {
  /** The file the subject reads its token from. */
  readonly file: string
  stop(): Promise<void>
}

// Well inside the issuer's renewal margin, so the file never holds a token about to expire.
const renewEveryMs = 5 * 60_000

export async function startSinkBindingToken(options: {
  readonly binding: string
  readonly subject: string
  readonly audience: string
  readonly tokens: ServiceAccountTokens
}): Promise<SinkBindingToken> {
  const dir = await mkdtemp(join(tmpdir(), `taskflow-oidc-${options.binding}-`))
  const file = join(dir, 'token')
  const write = async () =>
    writeFile(file, await options.tokens.token(options.subject, options.audience), { mode: 0o600 })
  await write()
  const timer = setInterval(() => void write().catch(() => {}), renewEveryMs)
  timer.unref()
  return {
    file,
    async stop() {
      clearInterval(timer)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
