import { describe, expect, it } from 'vitest'
import { coalescingSend } from '../../../../local/src/eventlog/coalescing-send.ts'
import type { AppendedPosition, AppendRecord } from '../../../../local/src/eventlog/types.ts'

const record = (value: string): AppendRecord => ({ key: 'k', value: Buffer.from(value), headers: {} })

/** A producer that answers one send at a time, when the test releases it. */
function gatedProducer() {
  const sends: { topic: string; values: string[]; release(): void; fail(error: Error): void }[] = []
  let nextOffset = 0
  const send = (topic: string, records: readonly AppendRecord[]) =>
    new Promise<AppendedPosition[]>((resolve, reject) => {
      sends.push({
        topic,
        values: records.map((r) => r.value.toString()),
        release: () => resolve(records.map(() => ({ topic, partition: 0, offset: String(nextOffset++) }))),
        fail: reject,
      })
    })
  return { sends, send }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('coalescingSend (group commit for a one-request-in-flight producer)', () => {
  it('sends what arrived during an in-flight send as one batch, in arrival order', async () => {
    const producer = gatedProducer()
    const send = coalescingSend(producer.send)
    const first = send('t', [record('a')])
    await tick()
    const second = send('t', [record('b'), record('c')])
    const third = send('t', [record('d')])
    await tick()
    expect(producer.sends.map((s) => s.values)).toEqual([['a']])
    producer.sends[0]!.release()
    expect(await first).toEqual([{ topic: 't', partition: 0, offset: '0' }])
    await tick()
    expect(producer.sends.map((s) => s.values)).toEqual([['a'], ['b', 'c', 'd']])
    producer.sends[1]!.release()
    expect((await second).map((p) => p.offset)).toEqual(['1', '2'])
    expect((await third).map((p) => p.offset)).toEqual(['3'])
  })

  it('fails every caller of a failed batch, and later callers go out in the next send', async () => {
    const producer = gatedProducer()
    const send = coalescingSend(producer.send)
    const first = send('t', [record('a')])
    await tick()
    const second = send('t', [record('b')])
    producer.sends[0]!.fail(new Error('broker down'))
    await expect(first).rejects.toThrow('broker down')
    await tick()
    expect(producer.sends[1]!.values).toEqual(['b'])
    producer.sends[1]!.release()
    expect((await second).length).toBe(1)
  })

  it('keeps topics apart', async () => {
    const producer = gatedProducer()
    const send = coalescingSend(producer.send)
    const one = send('x', [record('a')])
    const two = send('y', [record('b')])
    await tick()
    expect(producer.sends.map((s) => [s.topic, s.values])).toEqual([
      ['x', ['a']],
      ['y', ['b']],
    ])
    for (const s of producer.sends) s.release()
    expect((await one)[0]!.topic).toBe('x')
    expect((await two)[0]!.topic).toBe('y')
  })

  it('never joins callers past 256 KiB of values: two large dead letters go in sends of their own', async () => {
    const producer = gatedProducer()
    const send = coalescingSend(producer.send)
    const large = (letter: string) => record(letter.repeat(200 * 1024))
    const first = send('t', [record('a')])
    await tick()
    const bigOne = send('t', [large('x')])
    const bigTwo = send('t', [large('y')])
    const small = send('t', [record('b')])
    await tick()
    producer.sends[0]!.release()
    await first
    await tick()
    expect(producer.sends.map((s) => s.values.map((value) => value.slice(0, 1)))).toEqual([['a'], ['x']])
    producer.sends[1]!.release()
    await bigOne
    await tick()
    // The second large caller leaves alone too; the small one behind it joins it (well under the cap).
    expect(producer.sends.map((s) => s.values.map((value) => value.slice(0, 1)))).toEqual([
      ['a'],
      ['x'],
      ['y', 'b'],
    ])
    producer.sends[2]!.release()
    expect((await bigTwo).length + (await small).length).toBe(2)
  })
})
