// The default tag of the images a deploy builds: the package version and the commit, so each commit gets
// its own tag and Knative (which resolves a tag to a digest once per revision) starts a new revision.
// Uncommitted changes add `-dirty-<UTC time>`: two dirty deploys never share a tag.
import { execFileSync } from 'node:child_process'

function git(rootDir: string, ...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: rootDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return undefined
  }
}

export function checkoutImageTag(rootDir: string, version: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', 't')
  const commit = git(rootDir, 'rev-parse', '--short=12', 'HEAD')
  if (commit === undefined) return `${version}-nogit-${stamp}`
  const dirty = (git(rootDir, 'status', '--porcelain') ?? '') !== ''
  return dirty ? `${version}-${commit}-dirty-${stamp}` : `${version}-${commit}`
}
