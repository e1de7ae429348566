// The metrics monitor analyses each new canonical block with transactions, one at a time, keeping
// only the newest few waiting (a burst never builds a backlog), and feeds executor records.
import type { Block } from '@ethereumjs/block'
import { Registry } from 'prom-client'
import t from 'tap'
import { ParallelismMetrics } from '../../../src/parallelism/metrics.ts'
import { startParallelismMonitor } from '../../../src/parallelism/monitor.ts'
import { ExecutorRecords } from '../../../src/parallelism/records.ts'
import type { BlockParallelismRpc } from '../../../src/parallelism/types.ts'
import type { ParallelProfile } from '../../../src/exec/parallel.ts'

const fakeBlock = (n: number, txs: number): Block => ({ hash: () => new Uint8Array([n]), transactions: new Array(txs).fill({}) }) as unknown as Block
const report = (n: number): BlockParallelismRpc => ({ number: n, gasUsed: 100, criticalPath: { gas: 50, gasPct: 50, txs: 2 }, transactions: [] }) as unknown as BlockParallelismRpc

t.test('one analysis at a time, newest blocks first kept, records observed', async (t) => {
  let listener: ((added: readonly Block[]) => void) | undefined
  const asked: number[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const registry = new Registry()
  const metrics = new ParallelismMetrics(registry)
  const records = new ExecutorRecords(4)
  const stop = startParallelismMonitor({
    onHeadChange: (l) => (listener = l),
    analyse: async (b) => {
      const n = (b.hash as Uint8Array)[0]!
      asked.push(n)
      if (n === 1) await gate
      return report(n)
    },
    metrics,
    records,
    logger: { debug: () => undefined },
    backlog: 2,
  })
  t.teardown(stop)
  listener!([fakeBlock(1, 3)]) // starts at once
  listener!([fakeBlock(2, 0)]) // empty: not analysed
  listener!([fakeBlock(3, 1), fakeBlock(4, 1), fakeBlock(5, 1)]) // only the newest two wait
  release()
  await new Promise((r) => setTimeout(r, 20))
  t.same(asked, [1, 4, 5])
  t.match(await registry.metrics(), /parallax_parallelism_critical_path_ratio_count 3/)
  records.add(new Uint8Array([9]), { own: 1, replayed: 2, reexecuted: 1, totalMs: 5, mainShare: 0.4 } as ParallelProfile)
  t.match(await registry.metrics(), /parallax_parallelism_reexecution_rate_sum 0.25/, 'the record feeds the re-execution rate (1 of 4)')
})
