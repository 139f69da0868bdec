// Fair, sticky partition quotas for the embedded log's consumer groups. Kafka's assignors give every
// member floor(P/N) or ceil(P/N) partitions; the StickyAssignor Knative configures also keeps partitions
// where they are when it can. Here every member computes its own quota from the same snapshot (taken
// under the group's lock), then claims free partitions up to it or gives back what exceeds it: the
// group converges without a leader, and a partition changes hands only through a release.

export interface MemberSnapshot {
  readonly memberId: string
  /** Partitions the member owns right now. */
  readonly owned: number
}

/**
 * How many partitions each member should own. The `P mod N` members that get one more are those that
 * already own the most (ties by member id), so a rebalance moves as few partitions as possible. With
 * more members than partitions the extra members get 0: never more owners than partitions.
 */
export function partitionQuotas(
  members: readonly MemberSnapshot[],
  partitionCount: number,
): Map<string, number> {
  const quotas = new Map<string, number>()
  if (members.length === 0) return quotas
  const base = Math.floor(partitionCount / members.length)
  const extra = partitionCount % members.length
  const ranked = [...members].sort((a, b) =>
    b.owned !== a.owned ? b.owned - a.owned : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  )
  ranked.forEach((member, index) => {
    quotas.set(member.memberId, base + (index < extra ? 1 : 0))
  })
  return quotas
}
