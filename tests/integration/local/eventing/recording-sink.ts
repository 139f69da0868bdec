import {
  type RecordingSink as SharedRecordingSink,
  startRecordingSink as startSharedRecordingSink,
} from '../../../support/recording-sink.ts'

// The recording sink lives in tests/support/recording-sink.ts. This path and its first signature
// (a path argument, `url` as a URL) stay for tests/integration/scaling/dispatcher-group-behaviour.ts,
// which imports it; delete this file once that suite imports tests/support directly.

export type { SinkReply, SinkRequest } from '../../../support/recording-sink.ts'

export type RecordingSink = Omit<SharedRecordingSink, 'url'> & { readonly url: URL }

export async function startRecordingSink(path = '/'): Promise<RecordingSink> {
  const sink = await startSharedRecordingSink({ path })
  const url = new URL(sink.url)
  // A view, not a copy: `reply` set by a test and the in-flight maxima must stay the sink's own.
  return new Proxy(sink, {
    get: (target, key, receiver) => (key === 'url' ? url : Reflect.get(target, key, receiver)),
  }) as unknown as RecordingSink
}
