// One clock for every process of a benchmark: epoch milliseconds with sub-millisecond resolution.
// `performance.timeOrigin` is the wall clock at process start, so readings of the bench process, the API
// process and the sink process are comparable (Date.now() would be too, at 1 ms resolution only).
export function epochMs(): number {
  return performance.timeOrigin + performance.now()
}
