// Plain value transfers commute (src/exec/parallel-trace.ts creditOnly): transfers from many
// senders to one hot recipient, speculated by several workers that each miss the others' credits,
// replay without re-execution and give the sequential outcome, before and after Amsterdam.
import t from 'tap'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { diffOutcomes, storedIn } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { setupBenchBlock } from '../../bench/setup.ts'
import { generateWorkload } from '../../helpers/workloads/named.ts'

for (const amsterdam of [false, true]) {
  t.test(`raw-transfers/hot-recipient, 3 workers${amsterdam ? ', Amsterdam' : ''}: credits rebased, not re-executed`, async (t) => {
    const bb = await setupBenchBlock((p) => generateWorkload('raw-transfers/hot-recipient', p), 2_000_000n, { amsterdam })
    t.teardown(() => bb.close())
    const ref = await new SequentialExecutor({ stock: true }).execute(bb.request())
    const par = new ParallelExecutor({ workers: 3, kvPath: bb.location, minTxs: 1 })
    t.teardown(() => par.close())
    // Each worker's first credit to the recipient may find it differently funded; none needs the EVM again
    // except where a worker read it before it existed. Without rebasing nearly all re-execute (94 of 95).
    // Up to three runs: on a loaded machine (CI runs two test files at once, and these are three
    // workers on two cores) a run may show one more, for reasons of timing, not of the rebase.
    const counts: number[] = []
    for (let run = 0; run < 3 && (counts.length === 0 || Math.min(...counts) > 3); run++) {
      const req = bb.request()
      delete req.blockAccessList // speculate over cumulative worker state: the recipient's balance is stale in every worker
      const out = await par.execute(req)
      t.same(diffOutcomes(ref, out, { writes: 'subset', stored: storedIn(bb.kv) }), [], 'identical to sequential')
      counts.push(out.reexecutions)
    }
    t.ok(Math.min(...counts) <= 3, `${counts.join(', ')} of ${bb.txCount} re-executed`)
  })
}
