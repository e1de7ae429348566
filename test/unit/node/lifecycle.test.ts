// Resources: closes newest first, keeps closing past a failing close, closes once, and `starting`
// closes what was opened when a start fails, then rethrows that start's error.
import t from 'tap'
import pino from 'pino'
import { Resources } from '../../../src/node/lifecycle.ts'

const silent = pino({ level: 'silent' })

t.test('closes newest first, past failures, once', async (t) => {
  const r = new Resources(silent)
  const order: string[] = []
  r.add('a', () => void order.push('a'))
  r.add('b', () => {
    order.push('b')
    throw new Error('b will not close')
  })
  r.add('c', async () => void order.push('c'))
  await Promise.all([r.closeAll(), r.closeAll()])
  await r.closeAll()
  t.same(order, ['c', 'b', 'a'])
})

t.test('a failed start closes what it opened and rethrows', async (t) => {
  const r = new Resources(silent)
  const closed: string[] = []
  const failure = new Error('port taken')
  await t.rejects(
    r.starting(async () => {
      r.add('engine server', () => void closed.push('engine server'))
      r.add('p2p', () => void closed.push('p2p'))
      throw failure
    }),
    failure,
  )
  t.same(closed, ['p2p', 'engine server'])
})
