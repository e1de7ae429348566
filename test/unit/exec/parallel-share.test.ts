// The main thread's share of a parallel block (parallel.ts balancedShare): the share that makes the
// main thread (its own transactions, the workers' results it takes, and the loop's work for every
// transaction) finish when the workers do.
import t from 'tap'
import { balancedShare, hotPlan } from '../../../src/exec/parallel.ts'

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

t.test('hotPlan: chains of hot calls the workers take, and the split of the rest', async (t) => {
  const gas = (n: number): number[] => new Array<number>(n).fill(100)
  t.equal(hotPlan(gas(8), new Array<number>(8).fill(0), undefined, 1), undefined, 'no share measured yet: no plan')
  // One contract's calls fill the block: more than the worker's part, whatever the share.
  for (const share of [0.1, 0.4, 0.6]) t.equal(hotPlan(gas(8), new Array<number>(8).fill(0), share, 1), undefined, `one chain filling the block stays on the main thread (share ${share})`)
  // Four equal chains against a worker's part of 0.49: two are nearer than one.
  const four = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]
  const p4 = hotPlan(gas(16), four, 0.51, 1)!
  t.equal(p4.groups.length, 2, 'two of four chains')
  t.equal(p4.splitIndex, 16, 'nothing else for the worker')
  // Two workers: each chain fits one worker's part.
  t.equal(hotPlan(gas(16), four, 0.2, 2)!.groups.length, 3, 'three chains against 0.8 of the block on two workers')
  t.equal(hotPlan(gas(16), four, 0.05, 2)!.groups.length, 3, 'never all four: the main thread keeps a quarter of the block')
  // A chain of 2 of 10 transactions (every fifth), the worker's part 0.5: the chain and the last
  // three of the others (300 of the 500).
  const mixed = [-1, -1, -1, -1, 0, -1, -1, -1, -1, 0]
  const pm = hotPlan(gas(10), mixed, 0.5, 1)!
  t.same(pm.groups, [0])
  t.equal(pm.splitIndex, 6, 'the split leaves 6, 7, 8 (not hot) to the worker with the chain (4, 9)')
})
