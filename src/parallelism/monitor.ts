// Feeds ParallelismMetrics: every block the parallel executor records, and the analysis of every
// new canonical block with transactions (one at a time; while one runs, only the newest few waiting
// blocks are kept, so a burst of blocks never builds a backlog of re-executions).
import type { Block } from '@ethereumjs/block'
import type { ParallelismMetrics } from './metrics.ts'
import type { ExecutorRecords } from './records.ts'
import type { BlockParallelism } from './rpc.ts'

export interface MonitorOptions {
  onHeadChange(l: (added: readonly Block[]) => void): unknown
  analyse: BlockParallelism
  metrics: ParallelismMetrics
  records?: ExecutorRecords
  logger: { debug(obj: object, msg?: string): void }
  /** Blocks waiting at most (the oldest are dropped). */
  backlog?: number
}

export function startParallelismMonitor(o: MonitorOptions): () => void {
  const backlog = o.backlog ?? 4
  const waiting: Uint8Array[] = []
  let running = false
  let stopped = false
  const next = async (): Promise<void> => {
    if (running) return
    running = true
    try {
      for (let hash = waiting.shift(); hash !== undefined && !stopped; hash = waiting.shift()) {
        try {
          o.metrics.observeBlock(await o.analyse({ hash, requireCanonical: false }))
        } catch (err) {
          o.logger.debug({ err: (err as Error).message }, 'Parallelism analysis of a new block failed')
        }
      }
    } finally {
      running = false
    }
  }
  o.onHeadChange((added) => {
    for (const b of added) if (b.transactions.length > 0) waiting.push(b.hash())
    while (waiting.length > backlog) waiting.shift()
    void next()
  })
  const unrecord = o.records?.onRecord((_h, r) => o.metrics.observeRecord(r, r.txs?.length ?? r.own + r.replayed + r.reexecuted))
  return () => {
    stopped = true
    unrecord?.()
  }
}
