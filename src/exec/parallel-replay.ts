// The main thread's side of speculation: the board traces arrive on, and the runCall replacement
// that replays a transaction's trace (or runs the real call when there is none or it does not match).
import type { EVM, EVMResult, EVMRunCallOpts } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { VM } from '@ethereumjs/vm'
import type { TxRun } from './block-runner.ts'
import { callArgs, decodeResult, hasTxEvmFields, replayTrace, sameArgs, sameEncoded, setTxEvmFields, TraceMismatch, txEvmFields, type TxTrace } from './parallel-trace.ts'

/** How long the main thread waits for one transaction's trace before running it itself. */
export const TRACE_WAIT_MS = 60_000
/**
 * Per-transaction speculation results (traces, or effects: T) as they arrive from the workers; the
 * main thread takes the one it needs, or waits for it.
 */
export class TraceBoard<T = TxTrace> {
  private readonly slots: (T | null | undefined)[]
  /** Sender public keys the workers recovered (set before the trace of the same transaction). */
  readonly pubkeys: (Uint8Array | null | undefined)[]
  private readonly waiters = new Map<number, (t: T | null) => void>()
  /**
   * Shared with the workers: [0] is set to 1 when the block is over; [1] is the index of the
   * transaction the main thread is at (workers skip transactions it has already reached).
   */
  readonly cancel = new Int32Array(new SharedArrayBuffer(8))
  finished = false

  constructor(n: number) {
    this.slots = new Array<T | null | undefined>(n).fill(undefined)
    this.pubkeys = new Array<Uint8Array | null | undefined>(n).fill(undefined)
    Atomics.store(this.cancel, 1, -1)
  }
  static of<T>(traces: readonly (T | null)[]): TraceBoard<T> {
    const b = new TraceBoard<T>(traces.length)
    traces.forEach((t, i) => b.set(i, t))
    return b
  }
  set(i: number, t: T | null): void {
    if (this.slots[i] !== undefined) return
    this.slots[i] = t
    const w = this.waiters.get(i)
    if (w !== undefined) {
      this.waiters.delete(i)
      w(t)
    }
  }
  /** The block is over (executed or rejected): workers stop speculating for it. */
  finish(): void {
    this.finished = true
    Atomics.store(this.cancel, 0, 1)
  }
  /** Every transaction still without a trace gets none (it will be re-executed). */
  abandon(indices: Iterable<number>): void {
    for (const i of indices) this.set(i, null)
  }
  /** Synchronous readers of the workers' reply ports (see poll). */
  private readonly sources: (() => void)[] = []
  /** Registers a synchronous reader of a worker's replies, called by poll. */
  addSource(read: () => void): void {
    this.sources.push(read)
  }
  /**
   * Takes in every reply the workers have sent so far, synchronously: the main thread's event
   * loop does not turn while it executes a block (its reads are synchronous), so port messages
   * would otherwise wait until the block is done.
   */
  poll(): void {
    for (const read of this.sources) read()
  }
  /** The trace of transaction `i` if it has arrived (null: none will come), else undefined. */
  peek(i: number): T | null | undefined {
    if (this.slots[i] === undefined) this.poll()
    return this.slots[i]
  }
  /**
   * The main thread is done with transaction `i`: its result is dropped (a late one is ignored),
   * so the block's consumed results are not kept alive, and copied by every young-generation
   * collection on this thread, until the block ends.
   */
  release(i: number): void {
    this.slots[i] = null
    this.pubkeys[i] = null
  }
  /** The main thread is at transaction `i`: workers need not start it or anything before it. */
  progress(i: number): void {
    Atomics.store(this.cancel, 1, i)
  }
  /** The trace of transaction `i`, waiting at most `timeoutMs` for it (then none: re-executed). */
  get(i: number, timeoutMs = TRACE_WAIT_MS): T | null | Promise<T | null> {
    const t = this.slots[i]
    if (t !== undefined) return t
    if (i < 0 || i >= this.slots.length) return null
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.set(i, null), timeoutMs)
      this.waiters.set(i, (x) => {
        clearTimeout(timer)
        resolve(x)
      })
    })
  }
}

export interface ReplayCounters {
  reexecutions: number
  /** Why each re-executed transaction could not be replayed (index → reason). */
  reasons: Map<number, string>
  /** Transactions the main thread ran itself because no speculation had arrived (work sharing). */
  own: number
  /** Gas limits (millions) of the transactions the main thread ran itself and of those it replayed. */
  ownGas: number
  replayGas: number
  /** Milliseconds the main thread spent in replays, in its own calls (own + re-executions), and waiting for traces. */
  replayMs: number
  execMs: number
  waitMs: number
  /** performance.now() when the first transaction started and when the last one ended. */
  firstTxAt: number
  lastTxAt: number
  /** Per transaction: how the main thread took it and its time there (parallelism reports). */
  perTx: TxRun[]
}

export interface ReplayOptions {
  /**
   * Work sharing: when a transaction's speculation has not arrived, the main thread runs the call
   * itself instead of waiting (the workers skip what it has reached). false: always wait for the
   * worker's trace (the replay-only pipeline; tests use it to exercise replay).
   */
  share?: boolean
}

/**
 * Replaces `vm.evm.runCall` for the top-level call of each transaction: replays the transaction's
 * trace (validating every read) or, when there is none or it does not match, runs the real call.
 */
export function installReplay(vm: VM, traces: TraceBoard, opts: ReplayOptions = {}): ReplayCounters {
  const share = opts.share !== false
  const counters: ReplayCounters = { reexecutions: 0, reasons: new Map(), own: 0, ownGas: 0, replayGas: 0, replayMs: 0, execMs: 0, waitMs: 0, firstTxAt: 0, lastTxAt: 0, perTx: [] }
  let gas = 0
  const evm = vm.evm as EVM
  const realRunCall = evm.runCall.bind(evm)
  let txIndex = -1
  let inTx = false
  let called = false
  let txStart = 0
  let how: TxRun['how'] = 'replayed'
  vm.events.on('beforeTx', (tx: TypedTransaction, resolve?: (result?: unknown) => void) => {
    txIndex++
    txStart = performance.now()
    how = 'replayed'
    if (txIndex === 0) counters.firstTxAt = txStart
    inTx = true
    called = false
    gas = Number(tx.gasLimit) / 1e6
    const i = txIndex
    traces.progress(i)
    const usePubkey = (): void => {
      const pk = traces.pubkeys[i]
      if (pk !== null && pk !== undefined && Object.isFrozen(tx) && tx.cache.senderPubKey === undefined) tx.cache.senderPubKey = pk
      resolve?.()
    }
    // Sharing: a speculation that is not there yet will not be waited for (runTx recovers the
    // sender itself). Otherwise wait here: the speculation brings the sender's public key.
    if (share || traces.peek(i) !== undefined) return usePubkey()
    const t = performance.now()
    void Promise.resolve(traces.get(i)).then(() => {
      counters.waitMs += performance.now() - t
      usePubkey()
    })
  })
  vm.events.on('afterTx', () => {
    counters.lastTxAt = performance.now()
    counters.perTx.push({ how, ms: counters.lastTxAt - txStart })
    inTx = false
  })
  const timedCall = async (opts: EVMRunCallOpts): Promise<EVMResult> => {
    const t = performance.now()
    try {
      return await realRunCall(opts)
    } finally {
      counters.execMs += performance.now() - t
    }
  }
  const reexecute = (opts: EVMRunCallOpts, why: string): Promise<EVMResult> => {
    counters.reexecutions++
    counters.reasons.set(txIndex, why)
    how = 'reexecuted'
    return timedCall(opts)
  }
  evm.runCall = async (opts: EVMRunCallOpts): Promise<EVMResult> => {
    if (opts.message !== undefined || !inTx || called) return realRunCall(opts)
    called = true
    const index = txIndex
    let trace = traces.peek(index)
    if (trace === undefined && share) {
      how = 'own'
      counters.own++
      counters.ownGas += gas
      return timedCall(opts)
    }
    if (trace === undefined) {
      const t = performance.now()
      trace = await traces.get(index)
      counters.waitMs += performance.now() - t
    }
    if (trace === null) {
      counters.ownGas += gas
      return reexecute(opts, 'no speculation')
    }
    const t0 = performance.now()
    const e0 = counters.execMs
    try {
      const r0 = counters.reexecutions
      const res = await replayOrRun(opts, trace)
      if (counters.reexecutions === r0) counters.replayGas += gas
      else counters.ownGas += gas
      return res
    } finally {
      counters.replayMs += performance.now() - t0 - (counters.execMs - e0)
    }
  }
  const replayOrRun = async (opts: EVMRunCallOpts, trace: TxTrace): Promise<EVMResult> => {
    if (!sameArgs(trace.args, callArgs(opts))) return reexecute(opts, 'call arguments differ')
    const fields = hasTxEvmFields(evm)
    if (fields && (trace.evmBefore === undefined || !sameEncoded(trace.evmBefore, txEvmFields(evm)))) return reexecute(opts, 'per-transaction EVM fields differ')
    // No block-access-list checkpoint around the replay (each one deep-copies the list): entries
    // the replay added before a mismatch come from the validated prefix of the call, which the real
    // call then repeats, and adding the same entry again changes nothing.
    await evm.journal.checkpoint()
    try {
      await replayTrace(evm, trace.ops, trace.args)
    } catch (err) {
      await evm.journal.revert()
      if (!(err instanceof TraceMismatch)) throw err
      evm.stateManager.originalStorageCache.clear()
      return reexecute(opts, err.message)
    }
    await evm.journal.commit()
    if (fields && trace.evmAfter !== undefined) setTxEvmFields(evm, trace.evmAfter)
    return decodeResult(trace.result)
  }
  return counters
}
