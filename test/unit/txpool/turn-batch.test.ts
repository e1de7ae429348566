// TurnBatch: submissions of one event-loop turn reach `run` together and in order; each caller gets
// its own value or error; a failing run rejects every caller of that batch; the next turn is a new batch.
import t from 'tap'
import { TurnBatch, type Settled } from '../../../src/txpool/turn-batch.ts'

t.test('one batch per turn, results per item', async (t) => {
  const batches: number[][] = []
  const b = new TurnBatch<number, number>(async (items) => {
    batches.push(items)
    return items.map((n): Settled<number> => (n < 0 ? { error: new RangeError(`negative ${n}`) } : { value: n * 10 }))
  })
  const first = [b.submit(1), b.submit(-2), b.submit(3)]
  const settled = await Promise.allSettled(first)
  t.same(batches, [[1, -2, 3]], 'one run with the three items in order')
  t.same(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)), [10, 'negative -2', 30])
  t.equal(await b.submit(4), 40)
  t.same(batches, [[1, -2, 3], [4]], 'a later turn is a new batch')
})

t.test('a failing run rejects the whole batch', async (t) => {
  const b = new TurnBatch<number, number>(async () => {
    throw new Error('storage down')
  })
  const results = await Promise.allSettled([b.submit(1), b.submit(2)])
  t.same(results.map((r) => r.status), ['rejected', 'rejected'])
})
