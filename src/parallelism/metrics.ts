// Parallelism metrics: per-block histograms of the critical-path ratio (critical path gas / block
// gas, from the DAG) and the re-execution rate (re-executed / transactions, from the executor's
// record), and the most contended contracts over the last `window` analysed blocks (a gauge with
// one series per contract in the current top list; the list is re-set on every block, so series stay
// bounded). The DAG of each new canonical block is computed by parallax_blockParallelism's analysis,
// whose re-execution runs in the RPC call workers; blocks arriving faster than that are skipped.
import { Gauge, Histogram, type Registry } from 'prom-client'
import { contendedContracts } from './dag.ts'
import type { ExecutorRecord } from './records.ts'
import type { BlockParallelismRpc } from './types.ts'

export const PARALLELISM_METRIC_NAMES = {
  criticalPathRatio: 'parallax_parallelism_critical_path_ratio',
  reexecutionRate: 'parallax_parallelism_reexecution_rate',
  contended: 'parallax_parallelism_contended_contract_dependents',
  analysed: 'parallax_parallelism_blocks_analysed_total',
} as const

export const RATIO_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
export const DEFAULT_WINDOW = 64
export const DEFAULT_TOP = 10

export interface ParallelismMetricsOptions {
  window?: number
  top?: number
}

export class ParallelismMetrics {
  private readonly cpRatio: Histogram
  private readonly reexecRate: Histogram
  private readonly contended: Gauge<'contract'>
  private readonly analysed: Gauge
  private readonly windowBlocks: Map<string, number>[] = []
  private readonly window: number
  private readonly top: number

  constructor(registry: Registry, opts: ParallelismMetricsOptions = {}) {
    const registers = [registry]
    this.window = opts.window ?? DEFAULT_WINDOW
    this.top = opts.top ?? DEFAULT_TOP
    this.cpRatio = new Histogram({ name: PARALLELISM_METRIC_NAMES.criticalPathRatio, help: "Per block: the dependency DAG's critical path (gas) over the block's gas (1 = fully serial)", buckets: RATIO_BUCKETS, registers })
    this.reexecRate = new Histogram({ name: PARALLELISM_METRIC_NAMES.reexecutionRate, help: 'Per block run in parallel: re-executed transactions over transactions', buckets: RATIO_BUCKETS, registers })
    this.contended = new Gauge({ name: PARALLELISM_METRIC_NAMES.contended, help: `Transactions that waited on a contract (read-after-write), summed over the last ${this.window} analysed blocks; the top ${this.top} contracts`, labelNames: ['contract'] as const, registers })
    this.analysed = new Gauge({ name: PARALLELISM_METRIC_NAMES.analysed, help: 'Blocks whose dependency DAG was analysed for these metrics', registers })
  }

  /** A block the parallel executor ran (its record). */
  observeRecord(r: ExecutorRecord, txCount: number): void {
    if (txCount > 0) this.reexecRate.observe(r.reexecuted / txCount)
  }

  /** A block's analysis. */
  observeBlock(b: BlockParallelismRpc): void {
    this.analysed.inc()
    if (b.gasUsed > 0) this.cpRatio.observe(b.criticalPath.gas / b.gasUsed)
    const deps = b.transactions.flatMap((tx) => tx.dependsOn.map((d) => ({ from: d.tx, to: tx.index, keys: d.keys })))
    this.windowBlocks.push(contendedContracts(deps))
    while (this.windowBlocks.length > this.window) this.windowBlocks.shift()
    this.contended.reset()
    for (const [contract, n] of this.topContracts()) this.contended.set({ contract }, n)
  }

  /** The most contended contracts over the window, most first. */
  topContracts(): [string, number][] {
    const sum = new Map<string, number>()
    for (const m of this.windowBlocks) for (const [a, n] of m) sum.set(a, (sum.get(a) ?? 0) + n)
    return [...sum].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, this.top)
  }
}

