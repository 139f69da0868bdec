import { describe, expect, it } from 'vitest'
import { DatabaseUnreachableError, isTransientDatabaseError } from '../../../db/src/index.ts'

function withCode(code: string, message = 'failure'): Error {
  return Object.assign(new Error(message), { code })
}

describe('transient database error classifier', () => {
  it.each([
    ['57P01 admin shutdown', withCode('57P01')],
    ['53300 too many connections', withCode('53300')],
    ['40001 serialization failure', withCode('40001')],
    ['40P01 deadlock', withCode('40P01')],
    ['08006 connection failure', withCode('08006')],
    ['57P03 cannot connect now', withCode('57P03')],
    ['connection refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection reset', withCode('ECONNRESET', 'read ECONNRESET')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['refused on every address', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
    ['unreachable database', new DatabaseUnreachableError('postgres://h/db', new Error('x'))],
    ['a wrapped transient cause', new Error('query failed', { cause: withCode('57P01') })],
  ])('%s is transient', (_, error) => {
    expect(isTransientDatabaseError(error)).toBe(true)
  })

  it.each([
    ['23505 unique violation', withCode('23505')],
    ['42P01 undefined table', withCode('42P01')],
    ['22P02 invalid text representation', withCode('22P02')],
    ['28P01 bad password', withCode('28P01')],
    ['a plain error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('%s is not transient', (_, error) => {
    expect(isTransientDatabaseError(error)).toBe(false)
  })
})
