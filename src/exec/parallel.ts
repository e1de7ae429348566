// The parallel executor: both cores execute transactions. Worker threads speculate the later part
// of the block over the parent state while the main thread runs the first part itself; then the
// main thread takes the workers' results for the rest, checking each against its own state.
//
// - Work sharing: the main thread is given the first `share` of the block's gas (adapted from
//   measured costs: its own execution vs. taking a result, and the workers' speed), the workers
//   contiguous runs of the rest, each speculated in block order over one cumulative state. When a
//   transaction's result has not arrived, the main thread runs it itself instead of waiting, and a
//   shared counter tells the workers to skip what it has reached: on a loaded machine this degrades
//   to sequential execution, not below it. Results are read synchronously (receiveMessageOnPort)
//   between transactions: the main thread's event loop does not turn while a block executes.
// - Chains of hot calls (effects mode; predict.ts hotGroups: many calls to one contract naming no
//   address, each reading what the one before wrote): whole chains go to a worker where they fit its
//   part of the block (hotPlan), run in block order among its other transactions and never skipped
//   (a call the main thread ran itself because its result was late is run there too: the chain's
//   later calls need its writes). The main thread waits briefly for a chain call its worker is
//   running now (chainCall) instead of running it as well. A chain that fills most of the block
//   stays on the main thread, after its share.
// - Effects mode (block-runner.ts, effects.ts), for blocks it can take (not sealing, Amsterdam only
//   with its access list, proof of stake, Spurious Dragon on): a worker runs each whole runTx and records
//   what it read from the state below (first values) and the final values of what it wrote. The
//   main thread runs runBlock's steps itself (system calls, transactions, withdrawals, requests,
//   state root, header checks: the library's own functions) and, per transaction, checks every
//   recorded read against its state; when all hold it writes the recorded values into its caches
//   (plus runTx's fee credit) instead of running runTx. The tries are written once per block from
//   the caches' final state (batched flush), so only final values matter. The fee recipient's
//   credit is redone on the main thread (it would make every pair of transactions conflict); a
//   plain transfer's recipient read that differs only in balance is rebased.
//   Amsterdam blocks that carry their access list are speculated per transaction against the
//   parent state plus the list's lower-index changes (bal-view.ts), so none waits for another; each
//   speculation also brings the calls it made on the list (bal-record.ts), replayed on the block's
//   list, which is then checked as runBlock does.
// - Trace mode (the rest: payload sealing, Amsterdam blocks without their list): the main
//   thread runs ethereumjs' runBlock and replaces each transaction's top-level EVM call by a replay
//   of the worker's recorded journal and state-manager calls (parallel-trace.ts), re-executing on
//   the first read that differs.
// - Either way nothing a worker computed is trusted: every value a transaction read is checked on
//   the main thread, in block order, against the state all lower transactions left.
// - Falls back to SequentialExecutor (reported through onFallback) for small blocks, stores without a
//   LevelDB path, binary-tree (EIP-7864) forks, workers that fail to start and (loadBackoff) the
//   blocks after one that found another process keeping the cores busy. A worker failing
//   mid-block only costs the main thread running those transactions itself.
//
// README.md "Benchmark" has the measured table against the fast sequential executor (the same read
// path on one thread), and docs/notes.md the design choices.
import { availableParallelism } from 'node:os'
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, createAccountFromRLP, equalsBytes, KECCAK256_NULL } from '@ethereumjs/util'
import { createVM } from '@ethereumjs/vm'
import { isSyncReader, viaGetSync, type SyncKVReader } from '../db/interface.ts'
import { key, Prefix } from '../db/keys.ts'
import { keccak256 } from '../util/keccak.ts'
import { InvalidBlockError } from '../util/errors.ts'
import { AncestorHashes } from './ancestors.ts'
import { journalEvmBalCheckpoints } from './bal-journal.ts'
import type { ExecutionOutcome } from './outcome.ts'
import { installReplay, TraceBoard, type ReplayCounters } from './parallel-replay.ts'
import type { TxTrace } from './parallel-trace.ts'
import type { TxEffects } from './effects.ts'
import { effectsEligible, runEffectsBlock, type EffectsSource, type TxRun } from './block-runner.ts'
import { withSerialScavenge } from './gc-mode.ts'
import { blockRlp as rlpOf } from './block-bytes.ts'
import type { TrieHelper } from './split-root.ts'
import { hotGroups, placeBoundaries, type Boundaries } from './predict.ts'
import { waitUntil } from '../util/wait.ts'
import { RunnableReader } from './load.ts'
import { tsWorkerSource } from '../util/ts-worker.ts'
export { installReplay, TraceBoard, type ReplayCounters } from './parallel-replay.ts'
import { assembleOutcome, errorMessage, isInternalError, runRequest, SequentialExecutor, type ExecuteRequest, type Executor } from './sequential.ts'
import { computeStateDiff, flatReaderAt, flatTablesAt, openBlockState } from './state.ts'
import type { CommonInit, SpecJob, SpecReply, WorkerMessage } from './worker-job.ts'

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
  /**
   * Work sharing (default on): the main thread runs the first part of the block itself while the
   * workers speculate the rest, and runs any transaction whose speculation has not arrived instead
   * of waiting for it. false: the workers speculate every transaction and the main thread waits for
   * each trace (replay only; the tests use it to exercise replay on every transaction).
   */
  share?: boolean
  /**
   * Effects mode (default on): where block-runner.ts can take the block, workers record each whole
   * transaction's reads and writes and the main thread applies them instead of running runTx.
   * false: always runBlock with replayed call traces.
   */
  effects?: boolean
  /** Fixed share of the block's gas (by gas limit) the main thread runs before the workers' part (0..1); default: adapted from measured costs. */
  mainShare?: number
  /**
   * Early check of a block of dependent transactions (block-runner.ts PROBES; default on): while the
   * main thread runs its share it checks arrived speculations against its state and stops the
   * workers when most are already stale. false: only the refusal rule (tests).
   */
  probe?: boolean
  /**
   * Work placed by the transactions' fields (predict.ts; default on): predicted chains of hot calls
   * each kept on one thread (hotPlan), and each worker run started where no dependency on the
   * transactions before it is predicted. false: cut by gas alone (tests).
   */
  predict?: boolean
  /**
   * Back off under load (default off; the node and the benchmark turn it on): while a parallel
   * block runs, other processes' runnable threads are sampled (`runnable`, default load.ts RunnableReader);
   * when the fewest seen plus this executor's executing threads exceeds the cores, another process
   * competes for the cores and this executor's threads would only take CPU from each other, so the
   * next blocks run sequentially (fallback "cores busy"). Each of those samples the load the same
   * way as it runs: the block after the first one that finds a core free for the workers is
   * parallel again, and while the competitor stays no parallel block is spent finding out. A
   * sequential block that takes too few samples (the library's runBlock path) counts down
   * BACKOFF_BLOCKS instead.
   */
  loadBackoff?: boolean
  /** Test hook: other processes' runnable threads now (undefined: unknown). */
  runnable?: () => number | undefined
  /** Test hook: the cores the back-off compares with (default os.availableParallelism()). */
  cores?: number
}

/**
 * Blocks run sequentially after a parallel block found the cores busy when those blocks cannot
 * sample the load themselves (then parallel is tried again).
 */
export const BACKOFF_BLOCKS = 8
/** Runnable-thread samples taken over one parallel block. */
const LOAD_SAMPLES = 8

/** Other processes' runnable threads over one block (ParallelExecutor.loadSampler). */
interface LoadSampler {
  /** Called as the main thread reaches transaction `i`: takes a sample now and then. */
  at(i: number): void
  /** Whether `threads` of ours running now would exceed the cores (other processes' threads seen runnable throughout). */
  busy(threads: number): boolean
  /**
   * After a block: whether `threads` of ours would have exceeded the cores with the other processes'
   * threads seen runnable throughout (undefined: too few samples to tell).
   */
  done(threads: number): boolean | undefined
}

/** Where one parallel block's time went (the benchmark reports it). */
export interface ParallelProfile {
  /** Wall time of execute(): before the first transaction, the transactions, and after them (withdrawals, requests, state root, diff). */
  totalMs: number
  beforeMs: number
  txsMs: number
  afterMs: number
  /** Main-thread time in the calls it ran itself, in replays, and waiting for traces. */
  execMs: number
  replayMs: number
  waitMs: number
  /** Transactions the main thread ran itself (no speculation there in time), replayed, re-executed. */
  own: number
  replayed: number
  reexecuted: number
  /** Of the re-executed, those whose result arrived and was refused (the rest had none: a worker gave up or was waited for too long). */
  refused?: number
  /** Summed busy time of the workers on this block, and the approximate bytes of the traces they sent. */
  workerMs: number
  traceBytes: number
  /** Share of the block's gas (by gas limit) the main thread was given to run itself: its share, and the hot calls and predicted chains it kept (chains given to workers are theirs). */
  mainShare: number
  /** Of afterMs: the state root (effects mode only; 0 otherwise) and the state diff. */
  rootMs: number
  diffMs: number
  /** The state root's trie updates ran on this thread alone: other processes kept every core busy (loadBackoff). */
  rootAlone?: boolean
  /** Effects mode (workers' recorded effects applied) or trace mode (runBlock with replayed calls). */
  mode?: 'effects' | 'traces'
  /** Per transaction (parallelism reports): how the main thread took it, its time there, and the worker its speculation was given to (-1: the main thread's share). */
  txs?: (TxRun & { worker: number })[]
  /** Effects mode: early checks of speculated results (block-runner.ts PROBES), how many were stale, and why speculation was given up mid-block. */
  probed?: number
  stale?: number
  gaveUp?: 'probes' | 'refusals' | 'predicted'
  /** Work-sharing boundaries moved to a transaction predicted to start independently, or dropped (predict.ts). */
  boundaries?: { moved: number; dropped: number }
  /** Transactions predicted to hit one hot key (predict.ts hotGroups). */
  hot?: number
  /** Of those, the ones whose contract's whole chain of calls was given to a worker (hotPlan). */
  hotOnWorkers?: number
  /** Calls of the workers' chains the main thread ran itself (their results were late), and those whose results it applied. */
  chainOwn?: number
  chainApplied?: number
}

export interface ParallelStats {
  blocks: number
  txs: number
  replayed: number
  reexecuted: number
  fallbacks: number
}

/** Sender recovery (prepare): transactions per claimed chunk, and the longest wait for chunks a worker claimed. */
const PREPARE_CHUNK = 8
const PREPARE_WAIT_MS = 4

/** How long a worker may take to start and open the store. */
const READY_WAIT_MS = 30_000

interface PoolWorker {
  worker: Worker
  /** Reply handlers by message id; a handler returns true when it expects no more replies. */
  handlers: Map<number, (r: SpecReply) => boolean>
  ready: Promise<void>
  failed?: string
}

/**
 * Measured costs in ms per million gas (by gas limit): the main thread running a transaction
 * itself (main), taking a worker's result (replay), a worker running one (worker), and the block
 * loop's own work per transaction whoever ran it (loop: receipts, bloom, reading the port, checks).
 */
export interface ShareCosts {
  main: number
  replay: number
  worker: number
  loop: number
}

/** The main thread's costs per gas for a transaction it runs (main) and one it takes from a worker (replay), the loop's share included. */
function mainCosts(c: ShareCosts): { main: number; replay: number; worker: number } {
  return { main: c.main + c.loop, replay: c.replay + c.loop, worker: c.worker }
}

/**
 * The main thread's share of a block's gas that balances it with `workers` workers: it runs the
 * share f itself and takes the results of the rest, while the workers run the rest,
 * m·f + r·(1−f) = (w/W)·(1−f) with the loop's cost in m and r. Clamped to [0.05, 0.9] (some work
 * stays on each side so the costs stay measured); undefined before costs were measured.
 */
export function balancedShare(costs: ShareCosts, workers: number): number | undefined {
  const { main: m, replay: r, worker: w } = mainCosts(costs)
  if (m <= 0 || w <= 0) return undefined
  const wPer = w / Math.max(1, workers)
  const f = (wPer - r) / (m + wPer - r)
  return Math.min(0.9, Math.max(0.05, f))
}

export class ParallelExecutor implements Executor {
  readonly kind = 'parallel' as const
  readonly stats: ParallelStats = { blocks: 0, txs: 0, replayed: 0, reexecuted: 0, fallbacks: 0 }
  private opts: ParallelExecutorOptions
  private readonly sequential = new SequentialExecutor()
  private pool: PoolWorker[] | undefined
  private nextId = 1
  private readonly inits = new WeakMap<Common, CommonInit>()
  /** The last parallel block's profile (undefined after a fallback). */
  lastProfile: ParallelProfile | undefined
  /** Measured costs, ms per million gas (by gas limit), smoothed over blocks: see adaptShare. */
  private costs: ShareCosts = { main: 0, replay: 0, worker: 0, loop: 0 }
  private share = 0.4

  constructor(opts: ParallelExecutorOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError('workers must be a positive integer')
    this.opts = opts
    if (opts.loadBackoff === true && opts.runnable === undefined) this.runnableReader = RunnableReader.open()
    if (opts.prestart === true && opts.kvPath !== undefined) {
      this.readyPool().catch((err: unknown) => {
        if (!this.closed) opts.logger?.warn({ err: errorMessage(err) }, 'Parallel executor workers did not start')
      })
    }
  }

  async execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
    this.lastProfile = undefined
    const reason = this.fallbackReason(req)
    if (reason !== undefined) return this.fallback(req, reason)
    if (this.backoffLeft > 0) return this.backedOff(req)
    // A node (prestart) never makes a payload wait for its workers to start: it runs the block
    // sequentially meanwhile (a cold start on a loaded machine takes seconds: getPayload has 1 s).
    if (this.opts.prestart === true && (!this.poolReady || this.pool?.some((w) => w.failed !== undefined) === true)) {
      // (Re)start in the background after a failure; a pool still starting is left to finish.
      if (this.pool === undefined || this.poolReady) this.readyPool().catch(() => undefined)
      return this.fallback(req, 'workers still starting')
    }
    return withSerialScavenge((release) => this.executeParallel(req, release))
  }

  /** Every worker of the current pool has started. */
  private poolReady = false

  /**
   * Backed off (loadBackoff): above 0, blocks run sequentially. Set to BACKOFF_BLOCKS by a block that
   * found the cores busy; a sequential block that finds a core free sets it to 0, one that took too
   * few samples counts it down.
   */
  private backoffLeft = 0
  /** The fewest runnable threads of other processes seen over the last block sampled (loadBackoff). */
  lastLoad: number | undefined

  /**
   * A block while backed off: run sequentially, sampling the load as it goes (every transaction
   * reports its index through the block loop's progress). Were a core free for the workers
   * throughout, the next block is parallel again.
   */
  private async backedOff(req: ExecuteRequest): Promise<ExecutionOutcome> {
    const load = this.loadSampler(req.block.transactions.length)
    const out = await this.fallback(req, `cores busy (${this.lastLoad} runnable threads of other processes, ${this.coresUsable()} cores)`, load)
    // The threads a parallel block would run: the main thread and its workers.
    const busy = load?.done(1 + this.opts.workers)
    if (busy === undefined) this.backoffLeft--
    else this.backoffLeft = busy ? BACKOFF_BLOCKS : 0
    return out
  }

  /** The back-off's reader of other processes' runnable threads (load.ts), open while this executor is. */
  private runnableReader: RunnableReader | undefined

  private coresUsable(): number {
    return this.opts.cores ?? availableParallelism()
  }

  /**
   * Sampler of other processes' runnable threads over one block, called as the main thread moves
   * through the transactions (at most LOAD_SAMPLES samples); `done` tells whether the cores were busy.
   */
  private loadSampler(txs: number): LoadSampler | undefined {
    if (this.opts.loadBackoff !== true) return undefined
    let read = this.opts.runnable
    if (read === undefined) {
      const reader = this.runnableReader
      if (reader === undefined) return undefined // no /proc (not Linux): no back-off
      reader.refresh()
      read = () => reader.read()
    }
    const every = Math.max(1, Math.floor(txs / LOAD_SAMPLES))
    const samples: number[] = []
    // Other processes' runnable threads and `threads` of ours need more than the cores.
    const crowded = (others: number, threads: number): boolean => others > 0 && others + threads > this.coresUsable()
    return {
      at: (i) => {
        if (i % every !== every >> 1 || samples.length >= LOAD_SAMPLES) return
        const n = read()
        if (n !== undefined) samples.push(n)
      },
      // Would `threads` of ours running now exceed the cores, with the other processes' threads seen
      // runnable at every sample of this block so far (one reading of its own before 3 samples)?
      busy: (threads) => {
        const others = samples.length >= 3 ? Math.min(...samples) : read()
        return others !== undefined && crowded(others, threads)
      },
      // `threads`: this executor's threads that were executing (the main thread and the workers that
      // had work); with other processes' runnable threads they need more than the cores.
      done: (threads) => {
        if (samples.length < 3) return undefined
        // The least seen: a competitor that counts was runnable at every sample (system processes
        // wake up briefly; the bench's --contention process, another client, a build never sleep).
        const others = Math.min(...samples)
        this.lastLoad = others
        return crowded(others, threads)
      },
    }
  }

  private async executeParallel(req: ExecuteRequest, releaseGc: () => void): Promise<ExecutionOutcome> {
    const t0 = performance.now()
    let spec: Speculation<TxTrace | TxEffects>
    try {
      spec = await this.speculate(req)
    } catch (err) {
      return this.fallback(req, `worker error: ${errorMessage(err)}`)
    }
    if (spec.profile.gaveUp === 'predicted') {
      // Nothing speculated (the block was predicted one chain): V8's parallel scavenge keeps its core,
      // and senders the caller has not recovered are recovered on every core first, as prepare()
      // does (the node calls it before validating a payload's body; the benchmark and other callers
      // may not): this thread would otherwise recover them all in its loop while the workers idle.
      releaseGc()
      if (req.block.transactions.some((tx) => Object.isFrozen(tx) && tx.cache.senderPubKey === undefined)) await this.prepare(req.block)
    }
    // Once every worker has finished its share, the rest of the block (taking their results, the
    // state root) runs on this thread alone: the scavenge's helpers have a core again.
    else void spec.done.then(releaseGc)
    try {
      const out = spec.mode === 'effects' ? await this.executeWithEffects(req, spec as Speculation<TxEffects>, releaseGc) : await this.executeWithTraces(req, spec as Speculation<TxTrace>)
      const t1 = performance.now()
      const c = spec.counters
      Object.assign(spec.profile, { totalMs: t1 - t0, beforeMs: (c?.firstTxAt ?? t0) - t0, txsMs: (c?.lastTxAt ?? t1) - (c?.firstTxAt ?? t0), afterMs: t1 - (c?.lastTxAt ?? t1) })
      // The outcome is ready: stop the workers now (they finish the transaction in hand) and wait
      // for their busy times only briefly, so the caller never waits on speculation it no longer needs.
      spec.board.finish()
      let timer: NodeJS.Timeout | undefined
      const complete = await Promise.race([spec.done.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 20)))])
      clearTimeout(timer)
      this.lastProfile = spec.profile
      // Without every worker's time, or with the speculation given up mid-block (the workers did
      // only part of their share), the costs would be skewed.
      if (complete && spec.profile.gaveUp === undefined) this.adaptShare(req, spec)
      return out
    } finally {
      spec.board.finish() // workers still on this block (it failed early) stop at their next transaction
    }
  }

  /**
   * The main thread's share for the next block, from this block's measured costs per gas
   * (balancedShare). Under load (a slow worker) the share grows, so the main thread never waits
   * long. The loop's own work was left out of the balance until 2026-12-07: the main thread was
   * given too much (the worker finished 20-40 ms before it on 30M-gas blocks).
   */
  private adaptShare(req: ExecuteRequest, spec: Speculation<TxTrace | TxEffects>): void {
    if (this.opts.mainShare !== undefined || this.opts.share === false) return
    const p = spec.profile
    const { ownGas, replayGas } = spec.counters!
    const workerGas = spec.workerGas
    const ewma = (prev: number, x: number): number => (prev === 0 ? x : 0.5 * prev + 0.5 * x)
    if (ownGas > 0.5) this.costs.main = ewma(this.costs.main, p.execMs / ownGas)
    if (replayGas > 0.5) this.costs.replay = ewma(this.costs.replay, p.replayMs / replayGas)
    if (workerGas > 0.5 && p.workerMs > 0) this.costs.worker = ewma(this.costs.worker, p.workerMs / workerGas)
    // The loop's own work per transaction, whoever executed it (receipt and its encoding, bloom,
    // taking results off the port, the early checks): paid on this thread for the whole block.
    const loopMs = p.txsMs - p.execMs - p.replayMs - p.waitMs
    if (ownGas + replayGas > 0.5 && loopMs > 0) this.costs.loop = ewma(this.costs.loop, loopMs / (ownGas + replayGas))
    this.share = balancedShare(this.costs, this.pool?.length ?? 1) ?? this.share
  }

  /**
   * The main thread's share when it also runs the block's hot calls (predict.ts hotCalls) after it
   * (no chain fits a worker: hotPlan):
   * the first index where its cost (its share and the hot calls after it at m per gas, taking the
   * workers' results at r) reaches the workers' (the rest at w, shared by W workers). Undefined
   * before costs were measured (the plain share is used then).
   */
  private balancedSplit(gas: readonly number[], hot: readonly boolean[]): number | undefined {
    const { main: m, replay: r, worker: w } = mainCosts(this.costs)
    if (m <= 0 || w <= 0) return undefined
    const wPer = w / Math.max(1, this.pool?.length ?? 1)
    let hotAfter = 0
    let restAfter = 0
    for (let i = 0; i < gas.length; i++) {
      if (hot[i] === true) hotAfter += gas[i]!
      else restAfter += gas[i]!
    }
    const total = hotAfter + restAfter
    let before = 0
    for (let i = 0; i < gas.length; i++) {
      // the split at i: [0, i) and the hot calls after it on this thread
      if (before >= 0.05 * total && m * (before + hotAfter) + r * restAfter >= wPer * restAfter) return i
      before += gas[i]!
      if (hot[i] === true) hotAfter -= gas[i]!
      else restAfter -= gas[i]!
    }
    return gas.length
  }

  /**
   * Recovers the block's senders before its body is validated (validation would recover them all on
   * this thread). The main thread and every worker claim chunks of transactions from one shared
   * counter, so a busy or slow worker takes less and the main thread never waits for a worker that
   * has not started: it waits only for chunks a worker claimed and is still recovering, at most
   * PREPARE_WAIT_MS, and then recovers what has not come itself. Only with workers already running.
   */
  async prepare(block: Block): Promise<void> {
    const txs = block.transactions
    const pool = this.pool
    if (pool === undefined || !this.poolReady || txs.length < (this.opts.minTxs ?? 8) || pool.some((w) => w.failed !== undefined)) return
    const init = this.commonInit(block.common)
    const blockRlp = rlpOf(block)
    const claim = new Int32Array(new SharedArrayBuffer(4))
    const theirs = new Set<number>() // chunks delivered by a worker
    let live = pool.length
    let wake: (() => void) | undefined
    for (const pw of pool) {
      const id = this.nextId++
      pw.handlers.set(id, (r) => {
        if (r.ok && r.kind === 'senders') {
          theirs.add(r.from)
          r.pubkeys.forEach((pk, k) => {
            const tx = txs[r.from + k]
            if (tx !== undefined && pk !== null && Object.isFrozen(tx) && tx.cache.senderPubKey === undefined) tx.cache.senderPubKey = pk
          })
          wake?.()
          return false
        }
        live-- // done, or failed
        wake?.()
        return true
      })
      pw.worker.postMessage({ type: 'senders', id, common: init, blockRlp, claim, chunk: PREPARE_CHUNK } satisfies WorkerMessage)
    }
    const mineAt = new Set<number>()
    const recover = (from: number): void => {
      for (let i = from; i < Math.min(txs.length, from + PREPARE_CHUNK); i++) {
        try {
          txs[i]!.getSenderPublicKey()
        } catch {
          // an invalid signature: validation reports it
        }
      }
    }
    for (let from = Atomics.add(claim, 0, 1) * PREPARE_CHUNK; from < txs.length; from = Atomics.add(claim, 0, 1) * PREPARE_CHUNK) {
      mineAt.add(from)
      recover(from)
    }
    // Every chunk is claimed now; those the workers claimed are being recovered there: wait briefly
    // for them, then recover here what has not come (a worker descheduled on a loaded machine).
    const chunks = Math.ceil(txs.length / PREPARE_CHUNK)
    const waitFrom = performance.now()
    const deadline = waitFrom + PREPARE_WAIT_MS
    await waitUntil(() => theirs.size >= chunks - mineAt.size || live === 0, deadline, (w) => (wake = w))
    const waitMs = performance.now() - waitFrom
    let redone = 0
    for (let from = 0; from < txs.length; from += PREPARE_CHUNK) {
      if (mineAt.has(from) || theirs.has(from)) continue
      redone++
      recover(from)
    }
    this.lastPrepare = { chunks, main: mineAt.size, workers: theirs.size, redone, waitMs }
  }

  /**
   * The last prepare(): chunks of PREPARE_CHUNK senders claimed and recovered here, delivered by the
   * workers, claimed by a worker but recovered here after the wait; and the wait.
   */
  lastPrepare: { chunks: number; main: number; workers: number; redone: number; waitMs: number } | undefined

  /**
   * A worker to take part of the state root's trie updates (split-root.ts): the first live one.
   * Its results come on the worker's own port, one message per task, read by the event loop while
   * the main thread awaits them.
   */
  private trieHelper(load: LoadSampler | undefined, profile: ParallelProfile): TrieHelper | undefined {
    const pw = this.pool?.find((w) => w.failed === undefined)
    if (pw === undefined) return undefined
    return {
      // With every core taken by other processes the helper thread would only compete with this one
      // (measured on the relay chain under --contention: state root 35-39 ms with it, 19-23 without).
      usable: () => {
        const busy = load?.busy(2) === true
        profile.rootAlone = busy
        return !busy
      },
      run: (tasks, claim, deliver) =>
        new Promise<void>((resolve, reject) => {
          const id = this.nextId++
          pw.handlers.set(id, (r) => {
            if (r.ok && r.kind === 'trie-task') {
              deliver(r.task, r.results)
              return false
            }
            if (r.ok && r.kind === 'trie') resolve()
            else reject(new Error(r.ok ? `unexpected reply ${r.kind}` : r.error))
            return true
          })
          pw.worker.postMessage({ type: 'trie', id, tasks, claim } satisfies WorkerMessage)
        }),
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

  /** close() was called (workers stopped on purpose: their start failing then is no news). */
  private closed = false

  async close(): Promise<void> {
    this.closed = true
    this.runnableReader?.close()
    this.runnableReader = undefined
    await this.stopPool()
  }

  /** Terminates the workers (a later block starts new ones). */
  private async stopPool(): Promise<void> {
    const pool = this.pool
    this.pool = undefined
    this.poolReady = false
    if (pool === undefined) return
    await Promise.all(pool.map((w) => w.worker.terminate()))
  }

  private async fallback(req: ExecuteRequest, reason: string, load?: LoadSampler): Promise<ExecutionOutcome> {
    this.stats.fallbacks++
    this.opts.onFallback?.(reason)
    this.opts.logger?.debug({ number: Number(req.block.header.number), reason }, 'Parallel executor fell back to sequential')
    return this.sequential.execute(req, load !== undefined ? { progress: (i) => load.at(i) } : undefined)
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
    const boot = tsWorkerSource(new URL('./worker-spec.ts', import.meta.url).href)
    const pool: PoolWorker[] = []
    for (let i = 0; i < this.opts.workers; i++) {
      // The young generation the main thread gets from bin/parallax.js (64 MB semi-space; V8's
      // young generation is three semi-spaces): execution allocates many short-lived objects.
      const worker = new Worker(boot, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 192 } })
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
      await this.stopPool()
    }
    this.pool ??= this.startPool(this.opts.kvPath!)
    const pool = this.pool
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('workers did not start in time')), READY_WAIT_MS)
    })
    try {
      await Promise.race([Promise.all(pool.map((w) => w.ready)), timeout])
      if (this.pool === pool) this.poolReady = true
    } catch (err) {
      await this.stopPool() // a pool that failed to start is not reused
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

  /**
   * Starts the speculation of the block's transactions in the workers and returns at once (the main
   * thread starts executing before any trace is in). With work sharing the main thread takes the
   * first `share` of the block's gas itself; the rest is cut into contiguous runs of about equal
   * gas, one per worker, each speculated in block order over one cumulative state (so same-sender
   * chains inside a run need no grouping). Without sharing the workers take the whole block.
   */
  private async speculate(req: ExecuteRequest): Promise<Speculation<TxTrace | TxEffects>> {
    const pool = await this.readyPool()
    const { block } = req
    const txs = block.transactions
    const init = this.commonInit(req.common)
    const blockRlp = rlpOf(block)
    // A block that carries its EIP-7928 access list: every transaction runs against the parent state
    // plus the list's changes at lower indices, so none depends on another.
    const bal = req.blockAccessList !== undefined && block.common.isActivatedEIP(7928) ? req.blockAccessList : undefined
    const share = this.opts.share === false ? 0 : (this.opts.mainShare ?? this.share)
    const gas = txs.map((tx) => Number(tx.gasLimit))
    const total = gas.reduce((a, b) => a + b, 0)
    const useFlat = await flatTablesAt(req.base, req.parent.hash())
    // Placing the work by the transactions' fields (predict.ts): calls predicted to hit one hot key
    // stay on the main thread, and each run starts where no dependency on the transactions before
    // it is predicted.
    const predicting = this.opts.share !== false && this.opts.predict !== false && bal === undefined
    const base = req.base
    const mode = this.opts.effects !== false && effectsEligible(blockCommon(req), block, req.generate === true, bal) ? 'effects' : 'traces'
    const group = predicting && useFlat && isSyncReader(base) ? hotGroups(txs, (a) => hasCode(base, a)) : undefined
    const hot = group?.map((g) => g >= 0)
    const hotCount = hot?.filter((x) => x).length ?? 0
    // Whole chains of hot calls a worker can take (one contract's calls, in block order), with the
    // split that balances the rest; undefined when none fits (they stay on this thread, after its share).
    // (Effects mode only: its checks compare values, so a chain's call this thread ran itself leaves the
    // worker's later calls valid.)
    const plan = hotCount > 0 && mode === 'effects' ? hotPlan(gas, group!, this.opts.mainShare ?? balancedShare(this.costs, pool.length) ?? this.share, pool.length) : undefined
    let splitIndex = plan?.splitIndex ?? (hotCount > 0 && this.opts.mainShare === undefined ? this.balancedSplit(gas, hot!) : undefined)
    if (splitIndex === undefined) {
      splitIndex = 0
      for (let acc = 0; splitIndex < txs.length && acc + gas[splitIndex]! / 2 < share * total; splitIndex++) acc += gas[splitIndex]!
    }
    let runs = contiguousRuns(gas, splitIndex, pool.length)
    let placed: Boundaries | undefined
    if (predicting && splitIndex < txs.length) {
      placed = placeBoundaries(txs, splitIndex, runs)
      ;({ splitIndex, runs } = placed)
    }
    if (hot !== undefined && hotCount > 0) runs = runs.map((r) => r.filter((i) => !hot[i]))
    // A worker runs its chains' calls in block order among its other transactions, and runs each even
    // after this thread has reached it (a call this thread ran itself because its result was not
    // there yet): the chain's later calls read what the earlier ones wrote.
    let keep: number[][] | undefined
    if (plan !== undefined) {
      keep = runs.map(() => [])
      const load = runs.map((r) => r.reduce((a, i) => a + gas[i]!, 0))
      for (const g of plan.groups) {
        const w = load.indexOf(Math.min(...load))
        for (let i = 0; i < txs.length; i++) if (group![i] === g) keep[w]!.push(i)
        load[w]! += plan.gasOf[g]!
      }
      runs = runs.map((r, w) => (keep![w]!.length === 0 ? r : [...r, ...keep![w]!].sort((a, b) => a - b)))
    }
    let workerGas = 0
    for (const r of runs) for (const i of r) workerGas += gas[i]! / 1e6
    const board = new TraceBoard<TxTrace | TxEffects>(txs.length)
    const profile: ParallelProfile = { totalMs: 0, beforeMs: 0, txsMs: 0, afterMs: 0, execMs: 0, replayMs: 0, waitMs: 0, own: 0, replayed: 0, reexecuted: 0, workerMs: 0, traceBytes: 0, mainShare: total === 0 ? 1 : 1 - (workerGas * 1e6) / total, rootMs: 0, diffMs: 0, mode }
    if (placed !== undefined) profile.boundaries = { moved: placed.moved, dropped: placed.dropped }
    if (hotCount > 0) profile.hot = hotCount
    if (keep !== undefined) profile.hotOnWorkers = keep.reduce((a, k) => a + k.length, 0)
    // Where each worker is in its run (the furthest result it has sent), for chainCall.
    let chain: ChainCalls | undefined
    if (keep !== undefined) {
      chain = { worker: new Array<number>(txs.length).fill(-1), pos: new Array<number>(txs.length).fill(-1), reached: runs.map(() => -1) }
      for (let w = 0; w < runs.length; w++) {
        runs[w]!.forEach((i, p) => (chain!.pos[i] = p))
        for (const i of keep[w]!) chain.worker[i] = w
      }
    }
    if (runs.every((r) => r.length === 0)) profile.gaveUp = 'predicted'
    // Small batches: with sharing, a trace that arrives late is a transaction the main thread runs itself.
    const batch = Math.max(1, Math.min(this.opts.share === false ? 32 : 4, Math.ceil(txs.length / (pool.length * 8))))
    const finished: Promise<void>[] = []
    pool.forEach((pw, w) => {
      const indices = runs[w]!
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
        ...(keep !== undefined && keep[w]!.length > 0 ? { keep: keep[w] } : {}),
        pubkeys: txs.map((tx) => (Object.isFrozen(tx) ? (tx.cache.senderPubKey ?? null) : null)),
        batch,
        ...(this.opts.workerDelayMs !== undefined ? { delayMs: this.opts.workerDelayMs } : {}),
        ...(bal !== undefined ? { bal } : {}),
        cancel: board.cancel,
        mode,
      }
      let done!: () => void
      finished.push(new Promise<void>((resolve) => (done = resolve)))
      const onReply = (r: SpecReply): boolean => {
        if (r.ok && r.kind === 'done') {
          profile.workerMs += r.busyMs
          profile.traceBytes += r.traceBytes
        }
        const last = !r.ok || r.kind === 'done'
        if (last) done()
        if (board.finished) return last // the block is over: nothing to report
        if (!r.ok) {
          this.opts.onFallback?.(`worker error: ${r.error}`)
          this.opts.logger?.warn({ err: r.error }, 'Speculation worker failed; its transactions run on the main thread')
          board.abandon(pending)
          return true
        }
        if (r.kind === 'traces' || r.kind === 'effects') {
          const items: (TxTrace | TxEffects | null)[] = r.kind === 'traces' ? r.traces : r.effects
          r.indices.forEach((i, k) => {
            if (chain !== undefined && chain.pos[i]! > chain.reached[w]!) chain.reached[w] = chain.pos[i]!
            pending.delete(i)
            board.pubkeys[i] = r.pubkeys[k] ?? null
            board.set(i, items[k] ?? null)
          })
          return false
        }
        board.abandon(pending) // 'done': anything not reported has no trace
        return true
      }
      if (pw.failed !== undefined) return onReply({ id, ok: false, error: pw.failed })
      // Replies come on a port of their own, read synchronously between transactions (board.poll)
      // and by the event loop while the main thread waits; a worker that dies reports through
      // its handler.
      const { port1, port2 } = new MessageChannel()
      let closed = false
      const handle = (r: SpecReply): void => {
        if (closed) return
        if (onReply(r)) {
          closed = true
          pw.handlers.delete(id)
          port1.close()
        }
      }
      port1.on('message', handle)
      port1.unref()
      board.addSource(() => {
        for (let m = receiveMessageOnPort(port1); m !== undefined && !closed; m = receiveMessageOnPort(port1)) handle(m.message as SpecReply)
      })
      pw.handlers.set(id, (r) => (handle(r), true))
      pw.worker.postMessage({ type: 'job', ...job, port: port2 } satisfies WorkerMessage, [port2])
    })
    const workerOf = new Array<number>(txs.length).fill(-1)
    runs.forEach((indices, w) => indices.forEach((i) => (workerOf[i] = w)))
    return { board, mode, ...(bal !== undefined ? { bal } : {}), ...(chain !== undefined ? { chain } : {}), splitIndex, workerGas, workerOf, runs, profile, done: Promise.all(finished).then(() => undefined) }
  }

  /** The sequential executor's body, with each transaction's top-level call replayed from its trace. */
  /**
   * The block through runEffectsBlock (block-runner.ts): runBlock's steps, with every transaction
   * whose recorded effects still hold applied instead of run.
   */
  private async executeWithEffects(req: ExecuteRequest, spec: Speculation<TxEffects>, releaseGc: () => void): Promise<ExecutionOutcome> {
    const { block, parent } = req
    const board = spec.board
    const base = isSyncReader(req.base) ? viaGetSync(req.base) : req.base
    const flat = await flatReaderAt(req.base, parent.hash())
    const { overlay, stateManager } = openBlockState(base, parent.stateRoot, flat)
    const load = this.loadSampler(block.transactions.length)
    stateManager.trieHelper = this.trieHelper(load, spec.profile)
    const common = blockCommon(req)
    const vm = await createVM({ common, stateManager, blockchain: new AncestorHashes(parent, req.headerByHash) })
    const share = this.opts.share !== false
    // The probe walks each worker's run in order (round robin over runs), skipping what the main
    // thread has reached and what has not arrived yet.
    const cursors = spec.runs.map(() => 0)
    let nextRun = 0
    const probe = (): { run: number; fx: TxEffects } | undefined => {
      const at = Atomics.load(board.cancel, 1)
      for (let k = 0; k < spec.runs.length; k++) {
        const r = (nextRun + k) % spec.runs.length
        const run = spec.runs[r]!
        while (cursors[r]! < run.length) {
          const i = run[cursors[r]!]!
          if (i <= at) {
            cursors[r]!++
            continue
          }
          const fx = board.peek(i)
          if (fx === undefined) break
          cursors[r]!++
          if (fx === null) continue
          nextRun = r + 1
          return { run: r, fx }
        }
      }
      return undefined
    }
    const source: EffectsSource = {
      progress: (i) => {
        board.progress(i)
        load?.at(i)
      },
      effects: (i, wait) => {
        if (wait) return board.get(i)
        const fx = board.peek(i)
        return fx === undefined && spec.chain !== undefined ? chainCall(spec.chain, board, i) : fx
      },
      pubkey: (i) => board.pubkeys[i],
      release: (i) => board.release(i),
      abandon: () => {
        board.finish()
        releaseGc() // the rest runs on this thread alone: the scavenge's helpers have a core again
      },
      probe,
    }
    // A block with its access list: every speculation read the state its index will see (the
    // parent plus the list's lower-index changes), not the parent state, so the early check
    // (which compares with the state the main thread has reached) does not apply.
    const bal = spec.bal
    if (bal !== undefined) journalEvmBalCheckpoints(vm.evm) // EIP-7928: no deep copy of the access list per call frame
    let run
    try {
      run = await runEffectsBlock(vm, block, source, { share, probe: this.opts.probe !== false && bal === undefined, ...(bal !== undefined ? { blockAccessList: bal } : {}) })
    } catch (err) {
      if (isInternalError(err)) throw err
      throw new InvalidBlockError('execution', errorMessage(err))
    }
    const { result, counters: c } = run
    // Only a block the workers took part in says whether they compete with another process.
    if (spec.profile.gaveUp === undefined && c.gaveUp === undefined && load?.done(1 + spec.runs.filter((r) => r.length > 0).length) === true) {
      this.backoffLeft = BACKOFF_BLOCKS
      this.opts.logger?.debug({ othersRunnable: this.lastLoad, cores: this.coresUsable() }, 'Cores busy: the next blocks run sequentially')
    }
    spec.counters = { ownGas: c.ownGas, replayGas: c.appliedGas, firstTxAt: c.firstTxAt, lastTxAt: c.lastTxAt }
    this.stats.blocks++
    this.stats.txs += block.transactions.length
    this.stats.reexecuted += c.reexecutions
    this.stats.replayed += c.applied
    const tDiff = performance.now()
    const stateDiff = await computeStateDiff(base, parent.stateRoot, stateManager, flat)
    const diffMs = performance.now() - tDiff
    Object.assign(spec.profile, { execMs: c.execMs, replayMs: c.applyMs, waitMs: c.waitMs, own: c.own, replayed: c.applied, reexecuted: c.reexecutions, refused: c.refused, rootMs: c.rootMs, diffMs, txs: perTx(c.perTx, spec.workerOf), probed: c.probed, stale: c.stale, ...(c.gaveUp !== undefined ? { gaveUp: c.gaveUp } : {}) })
    const chain = spec.chain
    if (chain !== undefined) {
      spec.profile.chainOwn = 0
      spec.profile.chainApplied = 0
      c.perTx.forEach((r, i) => {
        if (chain.worker[i]! < 0) return
        if (r.how === 'own') spec.profile.chainOwn!++
        else if (r.how === 'replayed') spec.profile.chainApplied!++
      })
    }
    return assembleOutcome(block, common, result, { stateDiff, writes: overlay.ops(), executor: 'parallel', reexecutions: c.reexecutions })
  }

  private async executeWithTraces(req: ExecuteRequest, spec: Speculation<TxTrace>): Promise<ExecutionOutcome> {
    const traces = spec.board
    const { block, parent } = req
    // Trie nodes and code through LevelDB's synchronous get: no thread-pool round trip per node.
    const base = isSyncReader(req.base) ? viaGetSync(req.base) : req.base
    // Cache misses read the flat tables when they describe the parent (no trie walk per read).
    const flat = await flatReaderAt(req.base, parent.hash())
    const { overlay, stateManager } = openBlockState(base, parent.stateRoot, flat)
    stateManager.trieHelper = this.trieHelper(this.loadSampler(block.transactions.length), spec.profile)
    const common = blockCommon(req)
    const vm = await createVM({ common, stateManager, blockchain: new AncestorHashes(parent, req.headerByHash) })
    journalEvmBalCheckpoints(vm.evm) // EIP-7928: no deep copy of the access list per call frame
    const replay = installReplay(vm, traces, { share: this.opts.share !== false })
    spec.counters = replay

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
    this.stats.replayed += block.transactions.length - reexecutions - replay.own
    const stateDiff = await computeStateDiff(base, parent.stateRoot, stateManager, flat)
    const p = spec.profile
    Object.assign(p, { execMs: replay.execMs, replayMs: replay.replayMs, waitMs: replay.waitMs, own: replay.own, reexecuted: reexecutions })
    p.replayed = block.transactions.length - reexecutions - replay.own
    p.txs = perTx(replay.perTx, spec.workerOf)
    return assembleOutcome(block, common, result, { stateDiff, writes: overlay.ops(), executor: 'parallel', reexecutions })
  }
}

/**
 * The chains of hot calls given to workers (SpecJob.keep): which worker runs each call (-1: none),
 * each transaction's position in its worker's run, and the furthest position each worker has sent.
 */
interface ChainCalls {
  worker: number[]
  pos: number[]
  reached: number[]
}

/** How long the main thread waits for a chain's call its worker is running (then it runs the call itself). */
const CHAIN_WAIT_MS = 10

/**
 * A chain's call whose result has not arrived: when its worker has sent everything before it in its
 * run (it is running this one now), the main thread waits for it rather than run it too (the
 * worker runs it either way: the chain's later calls need its writes); otherwise undefined (run it here).
 */
function chainCall(chain: ChainCalls, board: TraceBoard<TxEffects>, i: number): TxEffects | null | Promise<TxEffects | null> | undefined {
  const w = chain.worker[i]!
  if (w < 0 || chain.reached[w]! < Math.max(0, chain.pos[i]! - 1)) return undefined
  return board.get(i, CHAIN_WAIT_MS)
}

/** One block's speculation: where its traces (or effects) arrive, how it was split, what it cost. */
interface Speculation<T> {
  /** Chains of hot calls given to workers (effects mode). */
  chain?: ChainCalls
  board: TraceBoard<T>
  mode: 'traces' | 'effects'
  /** The block's EIP-7928 access list (RLP), when it came with one: the workers see the state through it. */
  bal?: Uint8Array
  /** The first transaction given to a worker (the main thread runs those before it itself). */
  splitIndex: number
  /** Gas limits (millions) of the transactions given to workers. */
  workerGas: number
  /** The worker each transaction's speculation was given to (-1: the main thread's share). */
  workerOf: number[]
  /** Each worker's transactions, in the order it speculates them. */
  runs: number[][]
  profile: ParallelProfile
  counters?: Pick<ReplayCounters, 'ownGas' | 'replayGas' | 'firstTxAt' | 'lastTxAt'>
  /** Every worker has reported the end of its job. */
  done: Promise<void>
}

/** Whether the flat tables (describing the parent) hold code for `address`. */
function hasCode(flat: SyncKVReader, address: Uint8Array): boolean {
  const rlp = flat.getSync(key(Prefix.FlatAccount, keccak256(address)))
  return rlp !== undefined && !equalsBytes(createAccountFromRLP(rlp).codeHash, KECCAK256_NULL)
}

/** The part of the block's gas the main thread keeps for itself when chains go to the workers (it waits for their results otherwise). */
const CHAIN_MAIN_KEEPS = 0.25

/**
 * Which chains of hot calls (predict.ts hotGroups: one contract's calls) the workers take, and the
 * split of the rest. `share` is the main thread's balanced share of the block's gas (balancedShare,
 * or the executor's current share before costs were measured; undefined: no plan). Whole chains go,
 * largest first, to the part with the most room left (the main thread's or a worker's); the rest of
 * the workers' part, (1 − share) of the gas, is filled with the transactions after the split. The
 * main thread runs the transactions before the split and the chains left to it. Undefined when no
 * chain goes to a worker (one hot contract takes most of the block: it stays on the main thread).
 */
export function hotPlan(gas: readonly number[], group: readonly number[], share: number | undefined, workers: number): { groups: number[]; gasOf: number[]; splitIndex: number } | undefined {
  if (share === undefined || workers < 1) return undefined
  const gasOf: number[] = []
  let total = 0
  for (let i = 0; i < gas.length; i++) {
    total += gas[i]!
    const g = group[i]!
    if (g >= 0) gasOf[g] = (gasOf[g] ?? 0) + gas[i]!
  }
  const target = (1 - share) * total
  // Chains largest first, each to the part with the most room left: the main thread's (share of the
  // gas) or one worker's (an equal part of the rest; a worker on a tie). Chains are coarse: four of a
  // quarter each against a worker's part of 0.49 are two on each side. The main thread keeps
  // CHAIN_MAIN_KEEPS of the block (one contract's calls filling it stay here: a worker would run
  // the block while this thread waited for it).
  const room = [share * total, ...new Array<number>(workers).fill(target / workers)]
  const groups: number[] = []
  let taken = 0
  for (const g of gasOf.map((_, g) => g).sort((a, b) => gasOf[b]! - gasOf[a]!)) {
    const x = gasOf[g]!
    let best = 1
    for (let b = 2; b < room.length; b++) if (room[b]! > room[best]!) best = b
    if (room[0]! > room[best]! || taken + x > (1 - CHAIN_MAIN_KEEPS) * total) best = 0
    room[best]! -= x
    if (best === 0) continue
    groups.push(g)
    taken += x
  }
  if (groups.length === 0) return undefined
  // The rest of the workers' part: the transactions that are not hot calls, from the end of the block
  // (the split is the first of them; the hot calls after it are each on their chain's side).
  let splitIndex = gas.length
  let acc = 0
  for (let i = gas.length - 1; i >= 0; i--) {
    if (group[i]! >= 0) continue
    if (acc + gas[i]! / 2 > target - taken) break
    acc += gas[i]!
    splitIndex = i
  }
  return { groups, gasOf, splitIndex }
}

/**
 * Indices [from, gas.length) cut into `parts` contiguous runs of about equal gas (some may be
 * empty). Each run is speculated in order by one worker.
 */
export function contiguousRuns(gas: readonly number[], from: number, parts: number): number[][] {
  const runs: number[][] = Array.from({ length: parts }, () => [])
  let total = 0
  for (let i = from; i < gas.length; i++) total += gas[i]!
  let acc = 0
  for (let i = from; i < gas.length; i++) {
    const k = total === 0 ? 0 : Math.min(parts - 1, Math.floor(((acc + gas[i]! / 2) / total) * parts))
    runs[k]!.push(i)
    acc += gas[i]!
  }
  return runs
}

function perTx(runs: readonly TxRun[], workerOf: readonly number[]): (TxRun & { worker: number })[] {
  return runs.map((r, i) => ({ ...r, worker: workerOf[i] ?? -1 }))
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
  // PARALLAX_PREDICT=0: work cut by gas alone, no prediction (for measuring predict.ts).
  // PARALLAX_BACKOFF=0: no back-off under load (for measuring it).
  return new ParallelExecutor({
    workers,
    kvPath: ctx.location,
    minTxs: 1,
    loadBackoff: process.env['PARALLAX_BACKOFF'] !== '0',
    ...(process.env['PARALLAX_PREDICT'] === '0' ? { predict: false } : {}),
  })
}
