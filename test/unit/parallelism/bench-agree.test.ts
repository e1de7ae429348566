// parallax_blockParallelism's numbers agree with bench:deps on the bench workloads: the same block
// gives the same critical path (gas), longest chain, dependent transactions and P-thread bounds
// through the benchmark's path (test/bench/deps.ts gasDeps) and through the RPC's (the call
// worker's job over the block's store, then the report).
import { bytesToHex } from '@ethereumjs/util'
import t from 'tap'
import { runParallelismJob } from '../../../src/parallelism/job.ts'
import { gasDeps } from '../../bench/deps.ts'
import { AMSTERDAM_ROW, ROWS, rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'
import { DEFAULT_SEED } from '../../helpers/workloads/named.ts'

const GAS = 600_000n

for (const name of ROWS) {
  t.test(name, async (t) => {
    const bb = await setupBenchBlock(rowWorkload(name, DEFAULT_SEED), GAS, { amsterdam: name === AMSTERDAM_ROW })
    t.teardown(() => bb.close())
    const bench = await gasDeps(bb.request())
    const req = bb.request()
    const hash = bytesToHex(req.block.hash())
    const { report: r } = await runParallelismJob(
      { common: req.common, headerByHash: req.headerByHash, base: bb.kv, blockByHash: async (h) => (bytesToHex(h) === hash ? req.block : undefined) },
      { method: 'parallax_blockParallelism', blockHash: req.block.hash(), timeSequential: false, keys: false, timeoutMs: 0, deadline: Infinity },
    )
    t.equal(r.txCount, bb.txCount)
    t.ok(r.txCount > 1, `${r.txCount} transactions`)
    t.equal(r.gasUsed, bench.byGas.total, 'total gas')
    t.equal(r.criticalPath.gas, bench.byGas.criticalPath, 'critical path (gas)')
    t.equal(r.criticalPath.gasPct, bench.byGas.criticalPathPct)
    t.equal(r.criticalPath.txs, bench.chain, 'longest chain')
    t.equal(r.txsWithDeps, bench.txsWithDeps, 'transactions with a dependency')
    t.same(r.bounds, bench.byGas.bound, 'bounds at P = 2, 4, 8, 16')
    // and the numbers say what the workloads are built to be
    if (name === 'worst/erc20-chain') t.ok(r.criticalPath.gasPct > 90, `one chain: critical path ${r.criticalPath.gasPct.toFixed(1)}%`)
    if (name === 'raw-transfers/independent') t.equal(r.dependencies, 0, 'independent transfers: no edge')
  })
}
