// `npm run kafka` refuses a bad command line before it starts anything.
import { describe, expect, it } from 'vitest'
import { runCli } from '../../support/run-cli.ts'

const cli = 'brokers/local/src/cli.ts'

describe('npm run kafka', () => {
  it('answers --help with the usage', async () => {
    const help = await runCli(cli, ['--help'])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toContain('Usage: npm run kafka')
  })

  it.each([[['--bogus']], [['--nodes', '2']], [['--port', '70000']], [['instal']], [['install', 'more']]])(
    'refuses %j with the usage, exit code 2',
    async (args) => {
      const run = await runCli(cli, args)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain('Usage: npm run kafka')
      expect(run.stderr).not.toMatch(/\n\s+at /)
    },
  )
})
