import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseCommand, runCommand, UsageError } from '../../../cli/src/command-line.ts'

const spec = {
  usage: 'Usage: tool [--watch [seconds]] [--json] [name]',
  options: { watch: { type: 'string' }, json: { type: 'boolean' } },
  maxPositionals: 1,
  optionalValues: { watch: '2' },
} as const

describe('the command line of every tool', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('reads options, an option whose value may be left out, and positionals', () => {
    expect(parseCommand(['--watch', '5', 'x'], spec)).toMatchObject({
      values: { watch: '5' },
      positionals: ['x'],
    })
    expect(parseCommand(['--watch'], spec).values.watch).toBe('2')
    expect(parseCommand(['--watch', '--json'], spec).values).toEqual({ watch: '2', json: true })
    expect(parseCommand(['--watch=7'], spec).values.watch).toBe('7')
  })

  it('refuses unknown flags, values of boolean flags and extra positionals', () => {
    expect(() => parseCommand(['--nope'], spec)).toThrow(UsageError)
    expect(() => parseCommand(['--json=yes'], spec)).toThrow(UsageError)
    expect(() => parseCommand(['a', 'b'], spec)).toThrow(/unexpected argument b/)
  })

  it('answers --help with the usage (0) and a usage error with the message and the usage (2)', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const body = vi.fn(async () => 0)
    expect(await runCommand(['-h'], spec, body)).toBe(0)
    expect(info).toHaveBeenCalledWith(spec.usage)
    expect(await runCommand(['--nope'], spec, body)).toBe(2)
    expect(error.mock.calls[0]![0]).toMatch(/--nope[\s\S]*Usage: tool/)
    expect(
      await runCommand([], spec, async () => {
        throw new UsageError('bad')
      }),
    ).toBe(2)
    expect(body).not.toHaveBeenCalled()
    expect(await runCommand(['--json'], spec, async ({ values }) => (values.json ? 3 : 4))).toBe(3)
  })
})
