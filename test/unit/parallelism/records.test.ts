// Where a block ran in parallel, the report carries the executor's own record: per transaction how
// the main thread took it (replayed / main / re-executed), the worker its speculation went to and
// its time, and per block the achieved speedup against a sequential re-execution. And the
// parallelism metrics: critical-path ratio and re-execution rate histograms, contended contracts.
import t from 'tap'
import { Registry } from 'prom-client'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { NodeExecutor } from '../../../src/node/executor.ts'
import { blockReport, recordBlock } from '../../../src/parallelism/block.ts'
import { ParallelismMetrics, PARALLELISM_METRIC_NAMES } from '../../../src/parallelism/metrics.ts'
import { setupBenchBlock } from '../../bench/setup.ts'
import { generateWorkload } from '../../helpers/workloads/named.ts'

t.test('a block run in parallel: the executor record in the report, and the metrics', async (t) => {
  const bb = await setupBenchBlock((p) => generateWorkload('erc20/hot-recipient', p), 1_000_000n)
  t.teardown(() => bb.close())
  const node = new NodeExecutor(new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1 }))
  t.teardown(() => node.close())
  const req = bb.request()
  await node.execute(req)
  const record = node.records.get(req.block.hash())
  t.ok(record !== undefined, 'the executor recorded the block under its hash')
  t.equal(record!.txs?.length, bb.txCount, 'one run record per transaction')
  const r = blockReport(req.block, await recordBlock(bb.request(), true), record, { keys: false })
  t.equal(r.source, 'executor')
  const count = (how: string): number => r.transactions.filter((x) => x.execution === how).length
  t.equal(count('main'), record!.own, 'main-thread transactions as the executor counted them')
  t.equal(count('replayed'), record!.replayed, 'replayed as counted')
  t.equal(count('reexecuted'), record!.reexecuted, 're-executed as counted')
  t.ok(r.transactions.every((x) => x.worker !== null && x.worker >= -1 && x.worker < 2 && x.timeSource === 'executor' && x.timeMs >= 0), 'worker and time per transaction')
  t.ok(r.achieved !== null && r.achieved.speedup > 0 && r.achieved.sequentialMs > 0 && r.achieved.parallelMs === record!.totalMs, `achieved speedup ${r.achieved?.speedup.toFixed(2)}x`)
  t.equal(r.achieved!.mainThreadShare, (record!.own + record!.reexecuted) / bb.txCount)
  t.equal(r.reexecutionRate, record!.reexecuted / bb.txCount)

  const registry = new Registry()
  const m = new ParallelismMetrics(registry, { window: 2, top: 3 })
  m.observeRecord(record!, bb.txCount)
  m.observeBlock(r)
  const text = await registry.metrics()
  t.match(text, new RegExp(`${PARALLELISM_METRIC_NAMES.criticalPathRatio}_count 1`), 'one block in the critical-path histogram')
  t.match(text, new RegExp(`${PARALLELISM_METRIC_NAMES.criticalPathRatio}_sum ${(r.criticalPath.gas / r.gasUsed).toString().slice(0, 6)}`), 'its ratio')
  t.match(text, new RegExp(`${PARALLELISM_METRIC_NAMES.reexecutionRate}_count 1`), 'one block in the re-execution histogram')
  const top = m.topContracts()
  t.ok(top.length > 0 && top.length <= 3, 'the top contended contracts (at most top)')
  t.match(text, new RegExp(`${PARALLELISM_METRIC_NAMES.contended}\\{contract="${top[0]![0]}"\\} ${top[0]![1]}`), 'exported with their counts')
  // the window: two more blocks without dependencies push the first one out
  const quiet = { ...r, transactions: r.transactions.map((x) => ({ ...x, dependsOn: [] })) }
  m.observeBlock(quiet)
  t.same(m.topContracts(), top, 'still in the window')
  m.observeBlock(quiet)
  t.same(m.topContracts(), [], 'out of the window')
})
