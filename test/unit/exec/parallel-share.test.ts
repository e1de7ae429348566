// The main thread's share of a parallel block (parallel.ts balancedShare): the share that makes the
// main thread (its own transactions, the workers' results it takes, and the loop's work for every
// transaction) finish when the workers do.
import t from 'tap'
import { balancedShare } from '../../../src/exec/parallel.ts'

const mainTime = (f: number, c: { main: number; replay: number; loop: number }): number => (c.main + c.loop) * f + (c.replay + c.loop) * (1 - f)

t.test('the share balances the main thread with the workers, the loop counted on the main thread', async (t) => {
  const costs = { main: 10, replay: 1.5, worker: 11, loop: 1.2 }
  const f = balancedShare(costs, 1)!
  t.ok(Math.abs(mainTime(f, costs) - costs.worker * (1 - f)) < 1e-9, `main ${mainTime(f, costs)} = worker ${costs.worker * (1 - f)}`)
  // Without the loop's cost the main thread is given more than it can finish with the workers:
  // the imbalance the loop's cost removes (the worker finished first).
  const without = balancedShare({ ...costs, loop: 0 }, 1)!
  t.ok(without > f, `share ${without.toFixed(3)} without the loop's cost > ${f.toFixed(3)} with it`)
  t.ok(mainTime(without, costs) > costs.worker * (1 - without), 'with the larger share the main thread finishes after the worker')
})

t.test('more workers take more of the block; the share stays within its clamp', async (t) => {
  const costs = { main: 10, replay: 1.5, worker: 11, loop: 1.2 }
  const one = balancedShare(costs, 1)!
  const three = balancedShare(costs, 3)!
  t.ok(three < one, `3 workers ${three.toFixed(3)} < 1 worker ${one.toFixed(3)}`)
  t.equal(balancedShare({ ...costs, worker: 1000 }, 1), 0.9, 'a very slow worker: the main thread keeps at most 0.9')
  t.equal(balancedShare({ ...costs, worker: 1 }, 8), 0.05, 'fast workers: the main thread keeps at least 0.05')
  t.equal(balancedShare({ main: 0, replay: 0, worker: 0, loop: 0 }, 1), undefined, 'nothing measured yet')
})
