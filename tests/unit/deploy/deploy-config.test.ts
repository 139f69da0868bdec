import { describe, expect, it } from 'vitest'
import { DeployConfigError, pushFor, readDeployConfig } from '../../../deploy/src/config.ts'

const read = (argv: string[], env: Record<string, string> = {}, action: 'deploy' | 'undeploy' = 'deploy') =>
  readDeployConfig(action, argv, env, { namespace: 'taskflow', imageTag: '0.1.0-abc' })

const issuesOf = (run: () => unknown): string[] => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(DeployConfigError)
    return (error as DeployConfigError).issues
  }
  throw new Error('expected a DeployConfigError')
}

describe('deploy settings', () => {
  it('rejects an unknown overlay, naming the flag, the variable and the value', () => {
    expect(issuesOf(() => read(['--overlay', 'staging', '--dry-run']))).toEqual([
      '--overlay (TASKFLOW_OVERLAY): must be one of dev, prod, got "staging"',
    ])
  })

  it('rejects a missing overlay', () => {
    expect(issuesOf(() => read(['--dry-run']))[0]).toMatch(/^--overlay \(TASKFLOW_OVERLAY\): .*\(not set\)$/)
  })

  it('rejects unknown flags and stray arguments', () => {
    expect(issuesOf(() => read(['--overlay', 'dev', '--regsitry', 'x']))[0]).toMatch(/--regsitry/)
    expect(issuesOf(() => read(['--overlay', 'dev', 'extra']))).toEqual(['unexpected argument(s): extra'])
  })

  it('requires a registry for a real deploy, not for a dry run nor an undeploy', () => {
    expect(issuesOf(() => read(['--overlay', 'dev']))[0]).toMatch(
      /^--registry \(TASKFLOW_REGISTRY\): required/,
    )
    expect(read(['--overlay', 'dev', '--dry-run']).registry).toBeUndefined()
    expect(read(['--overlay', 'dev'], {}, 'undeploy').action).toBe('undeploy')
  })

  it('reads TASKFLOW_* variables, and flags win over them', () => {
    const env = {
      TASKFLOW_OVERLAY: 'prod',
      TASKFLOW_REGISTRY: 'registry.example.com/taskflow',
      TASKFLOW_KUBE_CONTEXT: 'docker-desktop',
      TASKFLOW_KAFKA_TIMEOUT: '20m',
    }
    const fromEnv = read([], env)
    expect(fromEnv).toMatchObject({
      overlay: 'prod',
      registry: 'registry.example.com/taskflow',
      kubeContext: 'docker-desktop',
      kafkaReadyTimeout: '20m',
      readyTimeout: '5m',
      namespace: 'taskflow',
      build: 'auto',
      push: true,
      dryRun: false,
    })
    const fromFlags = read(
      ['--overlay', 'dev', '--registry', 'localhost:5000/tf', '--namespace', 'other'],
      env,
    )
    expect(fromFlags).toMatchObject({ overlay: 'dev', registry: 'localhost:5000/tf', namespace: 'other' })
  })

  it('lists every bad value at once', () => {
    const issues = issuesOf(() =>
      read([
        '--overlay',
        'qa',
        '--ready-timeout',
        'soon',
        '--build',
        'maybe',
        '--namespace',
        'Bad_NS',
        '--dry-run',
      ]),
    )
    expect(issues).toHaveLength(4)
    expect(issues.join('\n')).toMatch(/--ready-timeout \(TASKFLOW_READY_TIMEOUT\): must be a duration/)
  })

  it('pushes unless the registry is a *.local one that Knative does not resolve', () => {
    expect(pushFor('localhost:5000/taskflow')).toBe(true)
    expect(pushFor('ghcr.io/acme')).toBe(true)
    expect(pushFor('dev.local/taskflow')).toBe(false)
    expect(pushFor('kind.local')).toBe(false)
    expect(read(['--overlay', 'dev', '--registry', 'dev.local/x']).push).toBe(false)
    expect(read(['--overlay', 'dev', '--registry', 'dev.local/x', '--push', 'true']).push).toBe(true)
  })

  it('tags the built images with the checkout default unless --tag says otherwise, and checks the tag', () => {
    expect(read(['--overlay', 'dev', '--dry-run']).imageTag).toBe('0.1.0-abc')
    expect(read(['--overlay', 'dev', '--dry-run'], { TASKFLOW_IMAGE_TAG: 'v2' }).imageTag).toBe('v2')
    expect(issuesOf(() => read(['--overlay', 'dev', '--dry-run', '--tag', 'a/b']))[0]).toMatch(
      /^--tag \(TASKFLOW_IMAGE_TAG\): must be an image tag/,
    )
  })

  it('takes --function and --container-cli for deploy only, and names the deploying shell variables', () => {
    const config = read(
      ['--overlay', 'dev', '--dry-run', '--function', 'reminders', '--container-cli', 'podman'],
      { HOME: '/h' },
    )
    expect(config).toMatchObject({ function: 'reminders', containerCli: 'podman' })
    expect(config.shellEnv).toContain('HOME')
    expect(read(['--overlay', 'dev', '--dry-run']).containerCli).toBe('docker')
    expect(issuesOf(() => read(['--overlay', 'dev', '--function', 'x'], {}, 'undeploy'))).toEqual([
      '--function (TASKFLOW_FUNCTION): only deploy takes it',
    ])
  })

  it('--monitoring is a switch, TASKFLOW_MONITORING says true or false', () => {
    expect(read(['--overlay', 'dev', '--dry-run']).monitoring).toBe(false)
    expect(read(['--overlay', 'dev', '--dry-run', '--monitoring']).monitoring).toBe(true)
    expect(read(['--overlay', 'dev', '--dry-run'], { TASKFLOW_MONITORING: 'true' }).monitoring).toBe(true)
    expect(
      issuesOf(() => read(['--overlay', 'dev', '--dry-run'], { TASKFLOW_MONITORING: 'yes' }))[0],
    ).toMatch(/^--monitoring \(TASKFLOW_MONITORING\): /)
  })
})
