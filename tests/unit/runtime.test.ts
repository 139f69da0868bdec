import { describe, expect, it } from 'vitest'

describe('runtime', () => {
  it('runs on Node 22 or newer (the node devDependency puts Node 24 first on the PATH)', () => {
    const major = Number(process.versions.node.split('.')[0])
    expect(major).toBeGreaterThanOrEqual(22)
  })
})
