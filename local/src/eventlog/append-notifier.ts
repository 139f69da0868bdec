// Wakes this process's consumers as soon as a record is appended to a topic, so that in the local
// runtime (outbox relay, KafkaSink endpoints and dispatchers in one process) a record is delivered
// without waiting for the next poll. Appends by other processes are found by polling. Listeners are
// keyed by topic name only: two databases with the same topic name in one process (tests) just cause
// a spare fetch, never a missed one.

type Listener = () => void

const listenersByTopic = new Map<string, Set<Listener>>()

export function onAppend(topics: readonly string[], listener: Listener): () => void {
  for (const topic of topics) {
    let listeners = listenersByTopic.get(topic)
    if (!listeners) {
      listeners = new Set()
      listenersByTopic.set(topic, listeners)
    }
    listeners.add(listener)
  }
  return () => {
    for (const topic of topics) {
      const listeners = listenersByTopic.get(topic)
      listeners?.delete(listener)
      if (listeners?.size === 0) listenersByTopic.delete(topic)
    }
  }
}

export function notifyAppend(topic: string): void {
  const listeners = listenersByTopic.get(topic)
  if (!listeners) return
  for (const listener of listeners) listener()
}

// Group changes (a member joined, released partitions or left) wake the other members in this process
// at once, instead of at their next heartbeat.
const membersByGroup = new Map<string, Set<Listener>>()

export function onGroupChange(groupId: string, listener: Listener): () => void {
  let listeners = membersByGroup.get(groupId)
  if (!listeners) {
    listeners = new Set()
    membersByGroup.set(groupId, listeners)
  }
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0) membersByGroup.delete(groupId)
  }
}

export function notifyGroupChange(groupId: string, except: Listener): void {
  for (const listener of membersByGroup.get(groupId) ?? []) {
    if (listener !== except) listener()
  }
}
