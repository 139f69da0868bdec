import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { flushDirtyPages } from '../../../bench/src/harness/writeback.ts'

// The bench writes earlier phases' dirty pages to disk before an open loop (writeback.ts says why).
describe('flushDirtyPages', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('reports the dirty page cache it wrote to disk', async () => {
    dir = await mkdtemp(join(tmpdir(), 'taskflow-writeback-'))
    // 32 MB written without fsync stays dirty for ~30 s (vm.dirty_expire_centisecs), far below the
    // kernel's background threshold on this machine.
    await writeFile(join(dir, 'dirty'), Buffer.alloc(32 * 1024 * 1024, 1))
    const first = await flushDirtyPages()
    expect(first.dirtyMb).toBeGreaterThanOrEqual(16)
    expect(first.tookMs).toBeGreaterThanOrEqual(0)
  })
})
