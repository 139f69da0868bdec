// `npm run audit:deps`: runs `npm audit --omit=dev --json` (the packages that ship) and fails on any high
// or critical advisory that README.md's "Dependency audit" section does not accept with a reason.
// When the advisory endpoint cannot be reached, it says so and checks nothing: exit 0, or 2 with
// `--require-audit` (CI on a machine that must reach it).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

const advisorySchema = z.object({
  name: z.string(),
  title: z.string(),
  url: z.string(),
  severity: z.enum(['info', 'low', 'moderate', 'high', 'critical']),
  range: z.string().optional(),
})

/** npm audit's JSON report (auditReportVersion 2): a `via` is an advisory or the name of a package. */
const reportSchema = z.object({
  vulnerabilities: z.record(
    z.string(),
    z.object({ via: z.array(z.union([z.string(), advisorySchema])) }).passthrough(),
  ),
})

/** What npm prints instead of a report when the endpoint fails (an HTTP error or a network error). */
const failureSchema = z.object({
  message: z.string().optional(),
  statusCode: z.number().optional(),
  error: z.object({ code: z.string().optional(), summary: z.string().optional() }).optional(),
})

export type Advisory = z.infer<typeof advisorySchema>
export type Acceptance = { readonly package: string; readonly advisory: string; readonly reason: string }

export type AuditOutcome =
  | { readonly kind: 'unavailable'; readonly reason: string }
  | {
      readonly kind: 'audited'
      /** High and critical advisories, each once, with the README's reason when accepted. */
      readonly findings: readonly { readonly advisory: Advisory; readonly acceptedBecause?: string }[]
    }

/** The advisory id the README names an advisory by: GHSA-xxxx-xxxx-xxxx from its URL. */
export const advisoryIdOf = (advisory: Advisory): string => advisory.url.split('/').at(-1) ?? advisory.url

/** Reads npm audit's output (stdout, and stderr for a failure without JSON). */
export function evaluateAudit(stdout: string, stderr: string, accepted: readonly Acceptance[]): AuditOutcome {
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    return { kind: 'unavailable', reason: stderr.trim().split('\n').at(-1) || 'npm audit printed no report' }
  }
  const report = reportSchema.safeParse(json)
  if (!report.success) {
    const failure = failureSchema.safeParse(json)
    const reason = failure.success
      ? (failure.data.message ?? failure.data.error?.summary ?? failure.data.error?.code)
      : undefined
    return { kind: 'unavailable', reason: reason ?? 'npm audit printed no report' }
  }
  const seen = new Set<string>()
  const findings: { advisory: Advisory; acceptedBecause?: string }[] = []
  for (const entry of Object.values(report.data.vulnerabilities)) {
    for (const via of entry.via) {
      // A package name means "vulnerable through that package": its own entry lists the advisory.
      if (typeof via === 'string' || (via.severity !== 'high' && via.severity !== 'critical')) continue
      const id = advisoryIdOf(via)
      if (seen.has(`${via.name} ${id}`)) continue
      seen.add(`${via.name} ${id}`)
      const acceptance = accepted.find((row) => row.package === via.name && row.advisory === id)
      findings.push({ advisory: via, ...(acceptance ? { acceptedBecause: acceptance.reason } : {}) })
    }
  }
  return { kind: 'audited', findings }
}

/** The rows of README.md's "Dependency audit" table that give a reason. */
export function acceptedFindings(readme: string): Acceptance[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Dependency audit'))
  if (section === undefined) throw new Error('README.md has no "## Dependency audit" section')
  return section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, '')),
    )
    .filter(([name = '', advisory = '']) => name !== 'package' && !/^-+$/.test(name) && advisory !== '')
    .map(([name = '', advisory = '', reason = '']) => ({ package: name, advisory, reason }))
    .filter((row) => row.reason !== '')
}

/** Exit status: 1 for an unaccepted high/critical advisory; 2 for no audit when it is required. */
export function exitCodeOf(outcome: AuditOutcome, options: { requireAudit: boolean }): number {
  if (outcome.kind === 'unavailable') return options.requireAudit ? 2 : 0
  return outcome.findings.some((finding) => finding.acceptedBecause === undefined) ? 1 : 0
}

function report(outcome: AuditOutcome, requireAudit: boolean): void {
  if (outcome.kind === 'unavailable') {
    const consequence = requireAudit ? 'failing (--require-audit)' : 'not failing (--require-audit would)'
    console.warn(`npm audit: the advisory endpoint could not be used: ${outcome.reason}`)
    console.warn(`npm audit: NO ADVISORY WAS CHECKED; ${consequence}`)
    return
  }
  if (outcome.findings.length === 0) console.info('npm audit --omit=dev: no high or critical advisory')
  for (const { advisory, acceptedBecause } of outcome.findings) {
    const line = `${advisory.severity} ${advisory.name} ${advisoryIdOf(advisory)} (${advisory.title})`
    if (acceptedBecause === undefined) console.error(`npm audit: ${line}: not accepted in README.md`)
    else console.info(`npm audit: ${line}: accepted in README.md: ${acceptedBecause}`)
  }
}

if (import.meta.main) {
  const requireAudit = process.argv.includes('--require-audit')
  const accepted = acceptedFindings(readFileSync(`${repoRoot}README.md`, 'utf8'))
  const audit = spawnSync('npm', ['audit', '--omit=dev', '--json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  })
  const outcome = evaluateAudit(audit.stdout ?? '', audit.stderr ?? String(audit.error ?? ''), accepted)
  report(outcome, requireAudit)
  process.exit(exitCodeOf(outcome, { requireAudit }))
}
