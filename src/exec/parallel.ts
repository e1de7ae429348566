// The parallel executor: speculate every transaction's EVM call in worker threads, then run the real
// block on the main thread, replaying validated speculations instead of interpreting them.
//
// Why this shape:
// - Bit-identity is the hard requirement, and it includes the set of trie nodes written (the nodes
//   the account trie reads inside the block checkpoint are written back with it) and every cache
//   and journal side effect runTx depends on. So the main thread runs ethereumjs' own
//   `runBlock`/`runTx` unchanged (system calls, nonce/fee handling, the coinbase credit, EIP-158
//   cleanup, receipts, withdrawals, requests) and only the top-level `evm.runCall` of each
//   transaction is replaced (installReplay below).
// - A worker (worker-spec.ts) runs the real runTx over the parent state (flat tables, getSync) and
//   records every call the EVM made on the journal and state manager (parallel-trace.ts). The main
//   thread replays those calls in order inside a journal checkpoint: the same calls in the same
//   order leave caches, journal and trie as the EVM would have; each read is compared with what the
//   worker saw, and the first difference reverts the checkpoint and runs the real call (counted in
//   `reexecutions`). Validation and commit are one pass; nothing else is trusted from a worker.
// - The fee recipient needs no special case: runTx credits it outside runCall, on the main thread,
//   so a speculation only depends on it when the EVM itself reads it (then it is validated). Plain
//   value transfers commute: a recipient that is only credited is rebased, not re-executed.
// - Storage roots: a root seen by a worker can differ from the main thread's only by a storage wipe;
//   reads compare nonce/balance/code/emptiness and roots are mapped (parallel-trace.ts).
// - The tries are written once per block, at the state root, by the batched flush (state.ts,
//   db/trie-batch.ts) that the sequential executor uses too.
// - Same-sender transactions go to one worker, in block order, over one cumulative state. With more
//   than one worker the senders are recovered in the workers first (to group); with one, the worker
//   takes the whole block in order and hands the sender keys over with the traces.
// - Amsterdam: traces also carry the EVM's EIP-7928 access-list entries and EIP-8037 per-transaction
//   fields. A block that carries its access list is speculated transaction by transaction against
//   the parent state plus the list's lower-index changes (bal-view.ts): no transaction waits for
//   another, and runBlock's own comparison makes a wrong list INVALID. The main thread's list gets
//   undo-log checkpoints (bal-journal.ts) instead of a deep copy per call frame.
// - The main thread reads the flat tables on cache misses (state.ts FlatReadStateManager) instead
//   of walking the trie; workers cache jump-destination analysis per code hash.
// - Traces stream back in small batches; the main thread starts at once and waits per transaction.
//   A block that fails early cancels its speculation (a shared flag the workers poll).
// - Falls back to SequentialExecutor (reported through onFallback) for small blocks, stores without a
//   LevelDB path, binary-tree (EIP-7864) forks and workers that fail to start. A worker failing
//   mid-block only costs re-executions (also reported through onFallback).
//
// The main thread still runs runTx's bookkeeping, the replay and the state root, which bounds the
// speedup of this design; README.md "Benchmark" has the measured table.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { createVM } from '@ethereumjs/vm'
import { isSyncReader, viaGetSync } from '../db/interface.ts'
import { InvalidBlockError } from '../util/errors.ts'
import { AncestorHashes } from './ancestors.ts'
import { journalEvmBalCheckpoints } from './bal-journal.ts'
import type { ExecutionOutcome } from './outcome.ts'
import { installReplay, TraceBoard } from './parallel-replay.ts'
export { installReplay, TraceBoard, type ReplayCounters } from './parallel-replay.ts'
import { assembleOutcome, errorMessage, isInternalError, runRequest, SequentialExecutor, type ExecuteRequest, type Executor } from './sequential.ts'
import { computeStateDiff, flatReaderAt, flatTablesAt, openBlockState } from './state.ts'
import type { CommonInit, SpecJob, SpecReply, WorkerMessage } from './worker-spec.ts'

export interface ParallelLogger {
  debug(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface ParallelExecutorOptions {
  workers: number
  /** LevelDB path the workers open (the store must be opened with `multithreading: true`). */
  kvPath?: string
  /** Blocks with fewer transactions run sequentially. Default 8. */
  minTxs?: number
  logger?: ParallelLogger
  onFallback?: (reason: string) => void
  /** Test hook: each worker sleeps a random 0..delayMs before every transaction. */
  workerDelayMs?: number
  /** Start the workers now, not on the first large block (a node's first payload must not wait for them). */
  prestart?: boolean
}

export interface ParallelStats {
  blocks: number
  txs: number
  replayed: number
  reexecuted: number
  fallbacks: number
}

/** How long a worker may take to start and open the store. */
const READY_WAIT_MS = 30_000

interface PoolWorker {
  worker: Worker
  /** Reply handlers by message id; a handler returns true when it expects no more replies. */
  handlers: Map<number, (r: SpecReply) => boolean>
  ready: Promise<void>
  failed?: string
}

export class ParallelExecutor implements Executor {
  readonly kind = 'parallel' as const
  readonly stats: ParallelStats = { blocks: 0, txs: 0, replayed: 0, reexecuted: 0, fallbacks: 0 }
  private opts: ParallelExecutorOptions
  private readonly sequential = new SequentialExecutor()
  private pool: PoolWorker[] | undefined
  private nextId = 1
  private readonly inits = new WeakMap<Common, CommonInit>()

  constructor(opts: ParallelExecutorOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError('workers must be a positive integer')
    this.opts = opts
    if (opts.prestart === true && opts.kvPath !== undefined) {
      this.readyPool().catch((err: unknown) => opts.logger?.warn({ err: errorMessage(err) }, 'Parallel executor workers did not start'))
    }
  }

  async execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
    const reason = this.fallbackReason(req)
    if (reason !== undefined) return this.fallback(req, reason)
    let board: TraceBoard
    try {
      board = await this.speculate(req)
    } catch (err) {
      return this.fallback(req, `worker error: ${errorMessage(err)}`)
    }
    try {
      return await this.executeWithTraces(req, board)
    } finally {
      board.finish() // workers still on this block (it failed early) stop at their next transaction
    }
  }

  /** Points the executor (and its running workers) at another LevelDB: tests use one store per case. */
  async retarget(kvPath: string): Promise<void> {
    this.opts = { ...this.opts, kvPath }
    const pool = this.pool
    if (pool === undefined) return
    for (const pw of pool) {
      if (pw.failed !== undefined) continue
      pw.ready = new Promise<void>((resolve, reject) => {
        pw.handlers.set(-1, (r) => {
          if (r.ok) resolve()
          else reject(new Error(r.error))
          return true
        })
      })
      pw.ready.catch(() => undefined)
      pw.worker.postMessage({ type: 'init', kvPath } satisfies WorkerMessage)
    }
    await Promise.all(pool.map((w) => w.ready)).catch(() => undefined)
  }

  async close(): Promise<void> {
    const pool = this.pool
    this.pool = undefined
    if (pool === undefined) return
    await Promise.all(pool.map((w) => w.worker.terminate()))
  }

  private async fallback(req: ExecuteRequest, reason: string): Promise<ExecutionOutcome> {
    this.stats.fallbacks++
    this.opts.onFallback?.(reason)
    this.opts.logger?.debug({ number: Number(req.block.header.number), reason }, 'Parallel executor fell back to sequential')
    return this.sequential.execute(req)
  }

  private fallbackReason(req: ExecuteRequest): string | undefined {
    const n = req.block.transactions.length
    if (n < (this.opts.minTxs ?? 8)) return `small block (${n} txs)`
    if (this.opts.kvPath === undefined) return 'no LevelDB path for workers'
    const common = blockCommon(req)
    if (common.isActivatedEIP(7864)) return 'binary trees are not supported'
    return undefined
  }

  private startPool(kvPath: string): PoolWorker[] {
    // The worker is TypeScript: register tsx's ESM hooks inside the worker, then import it.
    const url = new URL('./worker-spec.ts', import.meta.url).href
    const tsxApi = import.meta.resolve('tsx/esm/api')
    const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url)}) })`
    const pool: PoolWorker[] = []
    for (let i = 0; i < this.opts.workers; i++) {
      const worker = new Worker(boot, { eval: true })
      worker.unref()
      const pw: PoolWorker = { worker, handlers: new Map(), ready: Promise.resolve() }
      pw.ready = new Promise<void>((resolve, reject) => {
        pw.handlers.set(-1, (r) => {
          if (r.ok) resolve()
          else reject(new Error(r.error))
          return true
        })
      })
      pw.ready.catch(() => undefined)
      const fail = (why: string): void => {
        pw.failed ??= why
        for (const [id, h] of pw.handlers) h({ id, ok: false, error: why })
        pw.handlers.clear()
      }
      worker.on('message', (r: SpecReply) => {
        const h = pw.handlers.get(r.id)
        if (h !== undefined && h(r)) pw.handlers.delete(r.id)
      })
      worker.on('error', (err) => fail(errorMessage(err)))
      worker.on('exit', (code) => fail(`worker exited (${code})`))
      worker.postMessage({ type: 'init', kvPath } satisfies WorkerMessage)
      pool.push(pw)
    }
    return pool
  }

  private async readyPool(): Promise<PoolWorker[]> {
    if (this.pool?.some((w) => w.failed !== undefined)) {
      this.opts.logger?.warn({ reason: this.pool.find((w) => w.failed !== undefined)!.failed }, 'Restarting parallel executor workers')
      await this.close()
    }
    this.pool ??= this.startPool(this.opts.kvPath!)
    const pool = this.pool
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('workers did not start in time')), READY_WAIT_MS)
    })
    try {
      await Promise.race([Promise.all(pool.map((w) => w.ready)), timeout])
    } catch (err) {
      await this.close() // a pool that failed to start is not reused
      throw err
    } finally {
      clearTimeout(timer)
    }
    return pool
  }

  private commonInit(common: Common): CommonInit {
    let init = this.inits.get(common)
    if (init === undefined) {
      const c = common as unknown as { _chainParams: CommonInit['chain']; _params: CommonInit['params'] }
      const body = { chain: c._chainParams, params: c._params, eips: common.eips() }
      init = { key: `${this.nextId++}:${common.chainId()}`, ...body }
      this.inits.set(common, init)
    }
    return init
  }

  /** Sender public keys recovered in the workers (null where a worker could not: the main thread then does). */
  private async recoverSenders(pool: PoolWorker[], init: CommonInit, blockRlp: Uint8Array, n: number): Promise<(Uint8Array | null)[]> {
    const per = Math.ceil(n / pool.length)
    const parts = await Promise.all(
      pool.map(async (pw, w) => {
        const from = Math.min(n, w * per)
        const to = Math.min(n, from + per)
        if (from >= to) return []
        const id = this.nextId++
        const r = await new Promise<SpecReply>((resolve) => {
          if (pw.failed !== undefined) return resolve({ id, ok: false, error: pw.failed })
          pw.handlers.set(id, (reply) => (resolve(reply), true))
          pw.worker.postMessage({ type: 'senders', id, common: init, blockRlp, from, to } satisfies WorkerMessage)
        })
        return r.ok && r.kind === 'senders' ? r.pubkeys : new Array<Uint8Array | null>(to - from).fill(null)
      }),
    )
    return parts.flat()
  }

  /**
   * Starts every transaction's speculation in the workers and returns the board their traces arrive
   * on (the main thread starts replaying before they are all in).
   */
  private async speculate(req: ExecuteRequest): Promise<TraceBoard> {
    const pool = await this.readyPool()
    const { block } = req
    const txs = block.transactions
    const init = this.commonInit(req.common)
    const blockRlp = block.serialize()
    // A block that carries its EIP-7928 access list: every transaction runs against the parent state
    // plus the list's changes at lower indices, so none depends on another and they are dealt out
    // round-robin (each worker recovers its own senders).
    const bal = req.blockAccessList !== undefined && block.common.isActivatedEIP(7928) ? req.blockAccessList : undefined
    // One worker runs every transaction in block order: no grouping, so no sender recovery up front
    // (the worker recovers the senders and hands the keys over with the traces).
    const single = pool.length === 1
    const pubkeys = single || bal !== undefined ? txs.map(() => null) : await this.recoverSenders(pool, init, blockRlp, txs.length)
    // Same-sender chains: one group per sender, in block order.
    const groups = new Map<string, number[]>()
    if (single) groups.set('all', txs.map((_, i) => i))
    else if (bal !== undefined) txs.forEach((_, i) => groups.set(`tx:${i}`, [i]))
    for (let i = 0; i < txs.length && !single && bal === undefined; i++) {
      const tx = txs[i]!
      const pk = pubkeys[i]
      if (pk !== null && pk !== undefined && Object.isFrozen(tx) && tx.cache.senderPubKey === undefined) tx.cache.senderPubKey = pk
      let s: string
      try {
        s = bytesToHex(tx.getSenderAddress().bytes)
      } catch {
        s = `invalid:${i}` // the main thread's runTx will reject the block
      }
      let g = groups.get(s)
      if (g === undefined) groups.set(s, (g = []))
      g.push(i)
    }
    // Greedy by gas limit: the largest groups first, each to the least loaded worker.
    const loads = pool.map(() => 0n)
    const assigned: number[][] = pool.map(() => [])
    const sorted = [...groups.values()].sort((a, b) => b.length - a.length || a[0]! - b[0]!)
    for (const g of sorted) {
      let w = 0
      for (let k = 1; k < loads.length; k++) if (loads[k]! < loads[w]!) w = k
      for (const i of g) loads[w]! += txs[i]!.gasLimit
      assigned[w]!.push(...g)
    }
    const useFlat = await flatTablesAt(req.base, req.parent.hash())
    const board = new TraceBoard(txs.length)
    const batch = Math.max(1, Math.min(32, Math.ceil(txs.length / (pool.length * 8))))
    pool.forEach((pw, w) => {
      const indices = assigned[w]!.sort((a, b) => a - b)
      if (indices.length === 0) return
      const id = this.nextId++
      const pending = new Set(indices)
      const job: SpecJob = {
        id,
        common: init,
        blockRlp,
        parentStateRoot: req.parent.stateRoot,
        useFlat,
        indices,
        pubkeys,
        batch,
        ...(this.opts.workerDelayMs !== undefined ? { delayMs: this.opts.workerDelayMs } : {}),
        ...(bal !== undefined ? { bal } : {}),
        cancel: board.cancel,
      }
      const onReply = (r: SpecReply): boolean => {
        if (board.finished) return !r.ok || r.kind === 'done' // the block is over: nothing to report
        if (!r.ok) {
          this.opts.onFallback?.(`worker error: ${r.error}`)
          this.opts.logger?.warn({ err: r.error }, 'Speculation worker failed; its transactions run on the main thread')
          board.abandon(pending)
          return true
        }
        if (r.kind === 'traces') {
          r.indices.forEach((i, k) => {
            pending.delete(i)
            board.pubkeys[i] = r.pubkeys[k] ?? null
            board.set(i, r.traces[k] ?? null)
          })
          return false
        }
        board.abandon(pending) // 'done': anything not reported has no trace
        return true
      }
      if (pw.failed !== undefined) return onReply({ id, ok: false, error: pw.failed })
      pw.handlers.set(id, onReply)
      pw.worker.postMessage({ type: 'job', ...job } satisfies WorkerMessage)
    })
    return board
  }

  /** The sequential executor's body, with each transaction's top-level call replayed from its trace. */
  private async executeWithTraces(req: ExecuteRequest, traces: TraceBoard): Promise<ExecutionOutcome> {
    const { block, parent } = req
    // Trie nodes and code through LevelDB's synchronous get: no thread-pool round trip per node.
    const base = isSyncReader(req.base) ? viaGetSync(req.base) : req.base
    // Cache misses read the flat tables when they describe the parent (no trie walk per read).
    const flat = await flatReaderAt(req.base, parent.hash())
    const { overlay, stateManager } = openBlockState(base, parent.stateRoot, flat)
    const common = blockCommon(req)
    const vm = await createVM({ common, stateManager, blockchain: new AncestorHashes(parent, req.headerByHash) })
    journalEvmBalCheckpoints(vm.evm) // EIP-7928: no deep copy of the access list per call frame
    const replay = installReplay(vm, traces)

    let result
    try {
      result = await runRequest(vm, req) // with `generate`, the outcome carries the sealed block
    } catch (err) {
      if (isInternalError(err)) throw err
      throw new InvalidBlockError('execution', errorMessage(err))
    }
    this.stats.blocks++
    this.stats.txs += block.transactions.length
    const reexecutions = replay.reexecutions
    this.stats.reexecuted += reexecutions
    this.stats.replayed += block.transactions.length - reexecutions
    const stateDiff = await computeStateDiff(base, parent.stateRoot, stateManager, flat)
    return assembleOutcome(block, common, result, { stateDiff, writes: overlay.ops(), executor: 'parallel', reexecutions })
  }
}

function blockCommon(req: ExecuteRequest): Common {
  const common = req.common.copy()
  common.setHardforkBy({ blockNumber: req.block.header.number, timestamp: req.block.header.timestamp })
  return common
}

/** What the benchmark hands over (test/bench/parallel.ts): the workload's LevelDB directory. */
export interface BenchContextLike {
  location: string
}

/** The benchmark's factory: one worker per core but one (PARALLAX_WORKERS overrides), every block in parallel. */
export function createBenchExecutor(ctx: BenchContextLike): ParallelExecutor {
  const env = Number(process.env['PARALLAX_WORKERS'])
  // The main thread replays while the workers speculate: leave it a core.
  const workers = Number.isInteger(env) && env > 0 ? env : Math.max(1, availableParallelism() - 1)
  return new ParallelExecutor({ workers, kvPath: ctx.location, minTxs: 1 })
}
