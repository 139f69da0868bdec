import { describe, expect, it } from 'vitest'
import { whileTopicPropagates } from '../../../kafka/src/admin.ts'

const unknownTopic = () =>
  Object.assign(new Error('This server does not host this topic-partition'), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
  })

describe('describing a topic a broker has not seen yet', () => {
  it('asks again while a broker answers UNKNOWN_TOPIC_OR_PARTITION, then answers', async () => {
    let calls = 0
    const answer = await whileTopicPropagates(
      async () => {
        calls++
        if (calls < 3) throw unknownTopic()
        return 'described'
      },
      { pauseMs: 1 },
    )
    expect(answer).toBe('described')
    expect(calls).toBe(3)
  })

  it('also when the error came wrapped by the client’s retrier', async () => {
    let calls = 0
    await whileTopicPropagates(
      async () => {
        if (++calls === 1) throw Object.assign(new Error('retries exhausted'), { cause: unknownTopic() })
      },
      { pauseMs: 1 },
    )
    expect(calls).toBe(2)
  })

  it('fails at once on any other error, and after the last attempt on this one', async () => {
    let calls = 0
    const other = whileTopicPropagates(async () => {
      calls++
      throw new Error('SASL authentication failed')
    })
    await expect(other).rejects.toThrow('SASL authentication failed')
    expect(calls).toBe(1)
    calls = 0
    const never = whileTopicPropagates(
      async () => {
        calls++
        throw unknownTopic()
      },
      { attempts: 4, pauseMs: 1 },
    )
    await expect(never).rejects.toThrow('does not host this topic-partition')
    expect(calls).toBe(4)
  })
})
