import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type SystemState, writeSystemState } from '../../local/src/system-state.ts'

export type SystemStub = {
  /** The stub's base URL, as the running system's gateway. */
  readonly url: string
  /** The state file pointing the CLIs at the stub (`--state-file`). */
  readonly stateFile: string
  /** A temporary folder of the stub's own (removed by close). */
  readonly dir: string
  close(): Promise<void>
}

/**
 * A stand-in for a running `npm start` for the CLIs that find it through its state file: an HTTP
 * server answering with `handler`, and the state file naming it (`state` adds to or overrides it).
 */
export async function startSystemStub(
  handler: RequestListener,
  state: (url: string) => Partial<SystemState> = () => ({}),
): Promise<SystemStub> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const dir = await mkdtemp(join(tmpdir(), 'taskflow-system-stub-'))
  const stateFile = join(dir, 'system.json')
  await writeSystemState(
    {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      gateway: url,
      functions: {},
      status: `${url}_local/status`,
      ...state(url),
    },
    stateFile,
  )
  return {
    url,
    stateFile,
    dir,
    async close() {
      await new Promise((resolve) => server.close(resolve))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
