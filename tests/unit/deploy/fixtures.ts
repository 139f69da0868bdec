import type { DeployInventory, DeploySettings } from '../../../deploy/src/plan.ts'

// A repository with three function folders, independent of which folders exist today.
export const threeFunctions: DeployInventory = {
  namespace: 'taskflow',
  kafkaCluster: 'taskflow',
  topics: ['task-events', 'dead-letters'],
  kafkaSources: [
    { name: 'audit-log', sinkService: 'audit-log' },
    { name: 'reminders', sinkService: 'reminders' },
  ],
  kafkaSinks: ['dead-letters'],
  pingSources: ['reminders-tick'],
  sinkBindings: ['reminders'],
  services: [
    { name: 'task-api', isFunction: false },
    { name: 'audit-log', isFunction: true },
    { name: 'reminders', isFunction: true },
    { name: 'notification-fanout', isFunction: true },
  ],
  functions: [
    { name: 'audit-log', path: 'functions/audit-log' },
    { name: 'notification-fanout', path: 'functions/notification-fanout' },
    { name: 'reminders', path: 'functions/reminders' },
  ],
  credentialJobs: ['kafka-sink-credentials'],
}

export function settingsFor(overrides: Partial<DeploySettings> = {}): DeploySettings {
  return {
    overlay: 'dev',
    namespace: 'taskflow',
    registry: 'localhost:5000/taskflow',
    kubeContext: undefined,
    build: 'auto',
    push: true,
    kafkaReadyTimeout: '15m',
    readyTimeout: '5m',
    ...overrides,
  }
}
