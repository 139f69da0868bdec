// README's cluster section and the deploy plan say the same thing: the phases in the plan's order with
// its words, every cluster step the plan relies on (with its command), and every setting of the tool.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clusterPrerequisites } from '../../../deploy/src/cluster-prerequisites.ts'
import { usage } from '../../../deploy/src/config.ts'
import { phaseOrder, phaseSummaries } from '../../../deploy/src/plan.ts'
import { repositoryRoot } from './fixtures.ts'

const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8')
const between = (start: string, end: string) => {
  const from = readme.indexOf(start)
  const to = readme.indexOf(end, from)
  expect(from, `README marker ${start}`).toBeGreaterThanOrEqual(0)
  expect(to, `README marker ${end}`).toBeGreaterThan(from)
  return readme.slice(readme.indexOf('\n', from) + 1, to).trimEnd()
}

describe('README cluster section', () => {
  it('lists the deploy phases in plan order, in the words of the plan', () => {
    const listed = between('<!-- deploy-phases', '<!-- /deploy-phases -->')
    expect(listed).toBe(
      phaseOrder.map((phase, index) => `${index + 1}. **${phase}**: ${phaseSummaries[phase]}`).join('\n'),
    )
  })

  it('has one numbered step per cluster prerequisite, in order, each showing its command', () => {
    const steps = between('<!-- cluster-steps', '<!-- /cluster-steps -->')
    const titles = [...steps.matchAll(/^\d+\. \*\*(.+?)\*\*/gm)].map((m) => m[1])
    const prerequisites = clusterPrerequisites('taskflow')
    expect(titles).toEqual(prerequisites.map((p) => p.title))
    const blocks = steps.split(/^(?=\d+\. \*\*)/m)
    for (const prerequisite of prerequisites) {
      const block = blocks.find((b) => b.includes(`**${prerequisite.title}**`)) ?? ''
      expect(block.replace(/\\\n\s*/g, ''), prerequisite.title).toContain(prerequisite.readmeCommand)
      if (prerequisite.optional !== undefined) expect(block, prerequisite.title).toMatch(/Optional|optional/)
    }
  })

  it('names every setting of the deploy tool with its variable', () => {
    const section = readme.slice(readme.indexOf('## Deploy on Docker Desktop Kubernetes'))
    const settings = [...usage.matchAll(/^ {2}(--[\w-]+) +(TASKFLOW_\w+)?/gm)]
    expect(settings.length).toBeGreaterThan(10)
    for (const [, flag, variable] of settings) {
      expect(section, flag).toContain(`\`${flag}\``)
      if (variable !== undefined) expect(section, variable).toContain(`\`${variable}\``)
    }
  })
})
