// The V8 flags the Task API process starts with: api/Dockerfile's CMD, `npm run api:start` and the API
// benchmark's process use these (tests/unit/api/api-image.test.ts checks that they agree).
//
// --max-semi-space-size=8 (MB): a young generation of at most 2 x 8 MB. Under load V8 grows it to its
// default maximum, and then each scavenge copies all that survived at once: at 1,000 POST/s, 10-11 ms
// every ~0.9 s (11-20 ms before request-context.ts stopped giving each request a hidden class of its
// own), charged to every request waiting meanwhile. With 8 MB they come every ~0.12 s and last ~1 ms.
// Same-run A/B on the 2-core bench machine, 4 rounds of 15 s at 1,000 POST/s (before that fix):
// request p99 26.0 -> 19.2 ms (median; lower in every round), at +70 % GC time (~2 % of a core) and
// 1-3 % fewer requests/s in the closed loop.
export const apiNodeFlags: readonly string[] = ['--max-semi-space-size=8']
