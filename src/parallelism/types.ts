// The answer of parallax_blockParallelism, as JSON: plain numbers (gas, counts, milliseconds) and
// 0x-hex strings for hashes, addresses and slots. The README's "Parallelism" section documents it.
import type { HotKey } from './dag.ts'

export type Hex = `0x${string}`

/** The keys of a read or write set: counts, and the keys themselves when asked for. */
export interface AccessSetRpc {
  accounts: number
  slots: number
  keys?: string[]
}

/** How the executor took a transaction: ran it on the main thread, applied a worker's speculation, or re-executed it after a failed check. */
export type TxExecution = 'main' | 'replayed' | 'reexecuted'

export interface TxParallelismRpc {
  index: number
  hash: Hex
  from: Hex
  to: Hex | null
  gasUsed: number
  reads: AccessSetRpc
  writes: AccessSetRpc
  /** Earlier transactions this one read a key from (read-after-write), with those keys. */
  dependsOn: { tx: number; keys: string[] }[]
  /** null where the block did not run in parallel on this node (or the node has forgotten it). */
  execution: TxExecution | null
  /** The worker its speculation was given to; -1: the main thread's own share; null: no parallel run. */
  worker: number | null
  /** Main-thread time of the transaction in the executor ('executor'), or of its instrumented re-execution ('reexecution'). */
  timeMs: number
  timeSource: 'executor' | 'reexecution'
}

/** What this node's executor achieved on the block (null where it did not run it in parallel). */
export interface AchievedRpc {
  mode: 'effects' | 'traces'
  /** Wall time of the parallel execution, of a sequential re-execution of the block in an RPC worker, and their ratio. */
  parallelMs: number
  sequentialMs: number
  speedup: number
  /** Share of the transactions the main thread executed itself (own + re-executed), and the gas share it was given. */
  mainThreadShare: number
  mainShareGas: number
  own: number
  replayed: number
  reexecuted: number
}

export interface BlockParallelismRpc {
  number: number
  hash: Hex
  txCount: number
  gasUsed: number
  /** Where the per-transaction execution facts came from: this node's parallel run, or only the re-execution. */
  source: 'executor' | 'reexecution'
  criticalPath: { gas: number; gasPct: number; txs: number }
  /** A perfect scheduler's speedup on P threads, by gas: total / max(critical path, total / P). */
  bounds: { p2: number; p4: number; p8: number; p16: number }
  /** Edges of the DAG, and transactions with at least one. */
  dependencies: number
  txsWithDeps: number
  /** Executed-transaction share that re-executed (0 where the block did not run in parallel). */
  reexecutionRate: number
  achieved: AchievedRpc | null
  hotKeys: HotKey[]
  transactions: TxParallelismRpc[]
}
