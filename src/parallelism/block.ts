// One block's parallelism report from its recorded accesses (recorder.ts) and, where this node ran
// it in parallel, the executor's own record of it (records.ts).
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import type { ExecuteRequest } from '../exec/sequential.ts'
import { SequentialExecutor } from '../exec/sequential.ts'
import { countKeys, criticalPath, dependencies, hotKeys } from './dag.ts'
import { recordAccesses, type RecordedTx } from './recorder.ts'
import type { ExecutorRecord } from './records.ts'
import type { BlockParallelismRpc, Hex, TxParallelismRpc } from './types.ts'

/** How many hot keys a report lists. */
export const HOT_KEYS = 10

/** What the re-execution produces: the accesses and, when asked for, the sequential executor's wall time on the block. */
export interface Recording {
  txs: RecordedTx[]
  sequentialMs?: number
}

/** Records the block's accesses; with `timeSequential`, also times one run of the fast sequential executor (for the achieved speedup). */
export async function recordBlock(req: ExecuteRequest, timeSequential: boolean): Promise<Recording> {
  const txs = await recordAccesses(req)
  if (!timeSequential) return { txs }
  const t = performance.now()
  await new SequentialExecutor().execute(req)
  return { txs, sequentialMs: performance.now() - t }
}

/** The report of `block` from its recording and this node's executor record (if any). */
export function blockReport(block: Block, rec: Recording, executor: ExecutorRecord | undefined, opts: { keys: boolean }): BlockParallelismRpc {
  return withExecutor(analyseRecording(block, rec, opts), executor, rec.sequentialMs)
}

/** The report from the recording alone (no executor facts): the DAG, paths, bounds, hot keys. Runs in the call worker. */
export function analyseRecording(block: Block, rec: Recording, opts: { keys: boolean }): BlockParallelismRpc {
  const txs = rec.txs
  if (txs.length !== block.transactions.length) throw new Error(`recorded ${txs.length} transactions of ${block.transactions.length}`)
  const gas = txs.map((t) => t.gas)
  const { stats, chain, txsWithDeps } = criticalPath(txs, gas)
  const deps = dependencies(txs)
  const byTo = new Map<number, { tx: number; keys: string[] }[]>()
  for (const d of deps) {
    const l = byTo.get(d.to)
    if (l === undefined) byTo.set(d.to, [{ tx: d.from, keys: d.keys }])
    else l.push({ tx: d.from, keys: d.keys })
  }
  const set = (keys: readonly string[]) => ({ ...countKeys(keys), ...(opts.keys ? { keys: [...keys].sort() } : {}) })
  const transactions: TxParallelismRpc[] = txs.map((t, i) => {
    const tx = block.transactions[i]!
    return {
      index: i,
      hash: bytesToHex(tx.hash()) as Hex,
      from: tx.getSenderAddress().toString() as Hex,
      to: tx.to === undefined ? null : (tx.to.toString() as Hex),
      gasUsed: t.gas,
      reads: set(t.reads),
      writes: set(t.writes),
      dependsOn: byTo.get(i) ?? [],
      execution: null,
      worker: null,
      timeMs: t.ms,
      timeSource: 'reexecution',
    }
  })
  return {
    number: Number(block.header.number),
    hash: bytesToHex(block.hash()) as Hex,
    txCount: txs.length,
    gasUsed: stats.total,
    source: 'reexecution',
    criticalPath: { gas: stats.criticalPath, gasPct: stats.criticalPathPct, txs: chain },
    bounds: { p2: stats.bound['p2']!, p4: stats.bound['p4']!, p8: stats.bound['p8']!, p16: stats.bound['p16']! },
    dependencies: deps.length,
    txsWithDeps,
    reexecutionRate: 0,
    achieved: null,
    hotKeys: hotKeys(deps, HOT_KEYS),
    transactions,
  }
}

/**
 * The report with what this node's executor recorded about the block merged in (linear in the
 * transactions: this part runs on the main thread). `sequentialMs`: the sequential re-execution's
 * time, for the achieved speedup.
 */
export function withExecutor(r: BlockParallelismRpc, executor: ExecutorRecord | undefined, sequentialMs: number | undefined): BlockParallelismRpc {
  if (executor === undefined) return r
  const n = r.txCount
  const runs = executor.txs !== undefined && executor.txs.length === n ? executor.txs : undefined
  const transactions = runs === undefined ? r.transactions : r.transactions.map((tx, i): TxParallelismRpc => {
    const run = runs[i]!
    return { ...tx, execution: run.how === 'own' ? 'main' : run.how, worker: run.worker, timeMs: run.ms, timeSource: 'executor' }
  })
  const achieved =
    sequentialMs !== undefined
      ? {
          mode: executor.mode,
          parallelMs: executor.totalMs,
          sequentialMs,
          speedup: executor.totalMs > 0 ? sequentialMs / executor.totalMs : 0,
          mainThreadShare: n > 0 ? (executor.own + executor.reexecuted) / n : 0,
          mainShareGas: executor.mainShare,
          own: executor.own,
          replayed: executor.replayed,
          reexecuted: executor.reexecuted,
        }
      : null
  return { ...r, source: 'executor', reexecutionRate: n > 0 ? executor.reexecuted / n : 0, achieved, transactions }
}
