import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  type Acceptance,
  acceptedFindings,
  evaluateAudit,
  exitCodeOf,
} from '../../../scripts/audit-dependencies.ts'
import { repoRoot } from '../../support/schemas.ts'

// scripts/audit-dependencies.ts reading npm audit's JSON (auditReportVersion 2, as `npm audit --json`
// prints it) and README.md's "Dependency audit" table. The advisory endpoint itself is not called here.

const advisory = (name: string, id: string, severity: string) => ({
  source: 1,
  name,
  dependency: name,
  title: `${severity} problem in ${name}`,
  url: `https://github.com/advisories/${id}`,
  severity,
  cwe: [],
  cvss: { score: 7.5, vectorString: null },
  range: '<2.0.0',
})

const report = JSON.stringify({
  auditReportVersion: 2,
  vulnerabilities: {
    'deep-lib': {
      name: 'deep-lib',
      severity: 'critical',
      isDirect: false,
      via: [
        advisory('deep-lib', 'GHSA-aaaa-bbbb-cccc', 'critical'),
        advisory('deep-lib', 'GHSA-low1-low1-low1', 'low'),
      ],
      effects: ['wrapper'],
      range: '<2.0.0',
      nodes: ['node_modules/deep-lib'],
      fixAvailable: true,
    },
    // Vulnerable only through deep-lib: the advisory is deep-lib's, reported once.
    wrapper: {
      name: 'wrapper',
      severity: 'critical',
      isDirect: true,
      via: ['deep-lib'],
      effects: [],
      range: '*',
      nodes: ['node_modules/wrapper'],
      fixAvailable: false,
    },
    parser: {
      name: 'parser',
      severity: 'high',
      isDirect: true,
      via: [advisory('parser', 'GHSA-dddd-eeee-ffff', 'high')],
      effects: [],
      range: '<1.2.3',
      nodes: ['node_modules/parser'],
      fixAvailable: true,
    },
    styles: {
      name: 'styles',
      severity: 'moderate',
      isDirect: true,
      via: [advisory('styles', 'GHSA-mmmm-mmmm-mmmm', 'moderate')],
      effects: [],
      range: '<3.0.0',
      nodes: ['node_modules/styles'],
      fixAvailable: true,
    },
  },
  metadata: { vulnerabilities: { info: 0, low: 1, moderate: 1, high: 1, critical: 1, total: 4 } },
})

describe('dependency audit', () => {
  it('fails on each high or critical advisory not accepted, once per advisory, ignoring lower ones', () => {
    const outcome = evaluateAudit(report, '', [])
    expect(outcome).toEqual({
      kind: 'audited',
      findings: [
        { advisory: expect.objectContaining({ name: 'deep-lib', severity: 'critical' }) },
        { advisory: expect.objectContaining({ name: 'parser', severity: 'high' }) },
      ],
    })
    expect(exitCodeOf(outcome, { requireAudit: false })).toBe(1)
  })

  it('passes when every high or critical advisory is accepted with a reason for that package', () => {
    const accepted: Acceptance[] = [
      { package: 'deep-lib', advisory: 'GHSA-aaaa-bbbb-cccc', reason: 'only reachable from the CLI' },
      { package: 'parser', advisory: 'GHSA-dddd-eeee-ffff', reason: 'input is never user supplied' },
    ]
    const outcome = evaluateAudit(report, '', accepted)
    expect(outcome).toMatchObject({
      findings: [
        { acceptedBecause: 'only reachable from the CLI' },
        { acceptedBecause: 'input is never user supplied' },
      ],
    })
    expect(exitCodeOf(outcome, { requireAudit: true })).toBe(0)
    // The advisory accepted for another package does not count.
    const elsewhere = evaluateAudit(report, '', [{ ...accepted[0]!, package: 'wrapper' }, accepted[1]!])
    expect(exitCodeOf(elsewhere, { requireAudit: false })).toBe(1)
  })

  it('a clean report passes', () => {
    const clean = JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: {} })
    expect(exitCodeOf(evaluateAudit(clean, '', []), { requireAudit: true })).toBe(0)
  })

  it('an endpoint that cannot be used is reported as no audit; a failure only under --require-audit', () => {
    // What npm printed on this machine: the registry proxy refuses the bulk advisory POST.
    const refused = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      statusCode: 405,
      body: '',
      error: { summary: '', detail: '' },
    })
    const outcome = evaluateAudit(refused, '', [])
    expect(outcome).toEqual({
      kind: 'unavailable',
      reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    })
    expect(exitCodeOf(outcome, { requireAudit: false })).toBe(0)
    expect(exitCodeOf(outcome, { requireAudit: true })).toBe(2)
    const offline = evaluateAudit(
      '',
      'npm error code ENOTFOUND\nnpm error getaddrinfo ENOTFOUND registry.npmjs.org',
      [],
    )
    expect(offline).toEqual({
      kind: 'unavailable',
      reason: 'npm error getaddrinfo ENOTFOUND registry.npmjs.org',
    })
  })

  it('README.md has the section; its table rows count only with a reason', () => {
    expect(() => acceptedFindings(readFileSync(`${repoRoot}/README.md`, 'utf8'))).not.toThrow()
    const readme = [
      '# x',
      '## Dependency audit',
      'text',
      '| package | advisory | why it is accepted |',
      '| ------- | -------- | ------------------ |',
      '| `parser` | GHSA-dddd-eeee-ffff | input is never user supplied |',
      '| deep-lib | GHSA-aaaa-bbbb-cccc |  |',
      '## Next',
      '| other | GHSA-zzzz-zzzz-zzzz | another table |',
    ].join('\n')
    expect(acceptedFindings(readme)).toEqual([
      { package: 'parser', advisory: 'GHSA-dddd-eeee-ffff', reason: 'input is never user supplied' },
    ])
    expect(() => acceptedFindings('# no section')).toThrow(/Dependency audit/)
  })
})
