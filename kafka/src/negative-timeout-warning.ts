// kafkajs 2.2.4 (unmaintained since 2023) arms its request queue's check timer with
// `throttledUntil - Date.now()`, and throttledUntil is -1 until a broker throttles a request: a delay of
// minus the epoch. Node has always run such a timer after 1 ms; since Node 24 it also writes a
// TimeoutNegativeWarning to stderr, once per process (kafkajs issue #1751, fixed only in forks). The
// behaviour is what kafkajs meant, so that one timer's warning is dropped, and every other is kept.
// (Node warns once per process either way: a negative delay of ours after kafkajs's goes unreported,
// with or without this filter.)
const kafkajsTimer = /\bRequestQueue\.scheduleCheckPendingRequests\b/

let installed = false

/** Drops the TimeoutNegativeWarning of kafkajs's request queue timer; idempotent. */
export function dropKafkajsNegativeTimeoutWarning(): void {
  if (installed) return
  installed = true
  const emitWarning = process.emitWarning
  const filtered = function (this: NodeJS.Process, ...args: Parameters<typeof process.emitWarning>) {
    if (isKafkajsNegativeTimeout(args[1])) return
    Reflect.apply(emitWarning, this, args)
  }
  process.emitWarning = filtered as typeof process.emitWarning
}

function isKafkajsNegativeTimeout(typeOrOptions: unknown): boolean {
  const type =
    typeof typeOrOptions === 'string'
      ? typeOrOptions
      : (typeOrOptions as { type?: unknown } | undefined)?.type
  // The stack is only taken for this rare warning type. Named by function, not by file path, so the
  // check also holds in the API's esbuild bundle.
  return type === 'TimeoutNegativeWarning' && kafkajsTimer.test(new Error().stack ?? '')
}
