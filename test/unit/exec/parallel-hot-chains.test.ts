// Chains of hot calls given to workers (parallel.ts hotPlan, SpecJob.keep, chainCall) with one to
// three workers: the outcome is the sequential executor's, block after block (the share adapts
// between blocks, so the chains and the split move), and nothing a chain's worker sent is refused.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'

for (const row of ['mixed/hybrid-hot30', 'uniswap/pools-4']) {
  t.test(`${row}: chains on 1, 2 and 3 workers, same outcome as sequential`, async (t) => {
    const block = await setupBenchBlock(rowWorkload(row, 11), 6_000_000n, { builder: 'runBlock' })
    t.teardown(() => block.close())
    const seq = await new SequentialExecutor().execute(block.request())
    for (const workers of [1, 2, 3]) {
      const par = new ParallelExecutor({ workers, kvPath: block.location, minTxs: 1 })
      t.teardown(() => par.close())
      let onWorkers = 0
      for (let k = 0; k < 4; k++) {
        const out = await par.execute(block.request())
        const what = `${workers} workers, block ${k}`
        t.equal(bytesToHex(out.stateRoot), bytesToHex(seq.stateRoot), `${what}: state root`)
        t.equal(bytesToHex(out.receiptsRoot), bytesToHex(seq.receiptsRoot), `${what}: receipts root`)
        t.equal(bytesToHex(out.logsBloom), bytesToHex(seq.logsBloom), `${what}: logs bloom`)
        t.equal(out.gasUsed, seq.gasUsed, `${what}: gas used`)
        const p = par.lastProfile!
        t.equal(p.refused ?? 0, 0, `${what}: nothing refused`)
        onWorkers = Math.max(onWorkers, p.hotOnWorkers ?? 0)
      }
      // (Mixed's one counter chain is a sixth of the block: with three workers the main thread's
      // part has the most room for it, and it stays there.)
      if (workers === 1 || row === 'uniswap/pools-4') t.ok(onWorkers > 0, `${workers} workers: chains were given to workers (${onWorkers} calls)`)
    }
  })
}
