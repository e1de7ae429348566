// The main thread's side of speculation: the board traces arrive on, and the runCall replacement
// that replays a transaction's trace (or runs the real call when there is none or it does not match).
import type { EVM, EVMResult, EVMRunCallOpts } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { VM } from '@ethereumjs/vm'
import { callArgs, decodeResult, hasTxEvmFields, replayTrace, sameArgs, sameEncoded, setTxEvmFields, TraceMismatch, txEvmFields, type TxTrace } from './parallel-trace.ts'

/** How long the main thread waits for one transaction's trace before running it itself. */
export const TRACE_WAIT_MS = 60_000
/** Per-transaction traces as they arrive from the workers; the replay waits on the one it needs. */
export class TraceBoard {
  private readonly slots: (TxTrace | null | undefined)[]
  /** Sender public keys the workers recovered (set before the trace of the same transaction). */
  readonly pubkeys: (Uint8Array | null | undefined)[]
  private readonly waiters = new Map<number, (t: TxTrace | null) => void>()
  /** Set to 1 when the block is over; workers read it between transactions (shared memory). */
  readonly cancel = new Int32Array(new SharedArrayBuffer(4))
  finished = false

  constructor(n: number) {
    this.slots = new Array<TxTrace | null | undefined>(n).fill(undefined)
    this.pubkeys = new Array<Uint8Array | null | undefined>(n).fill(undefined)
  }
  static of(traces: readonly (TxTrace | null)[]): TraceBoard {
    const b = new TraceBoard(traces.length)
    traces.forEach((t, i) => b.set(i, t))
    return b
  }
  set(i: number, t: TxTrace | null): void {
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
  /** The trace of transaction `i`, waiting at most `timeoutMs` for it (then none: re-executed). */
  get(i: number, timeoutMs = TRACE_WAIT_MS): TxTrace | null | Promise<TxTrace | null> {
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
}

/**
 * Replaces `vm.evm.runCall` for the top-level call of each transaction: replays the transaction's
 * trace (validating every read) or, when there is none or it does not match, runs the real call.
 */
export function installReplay(vm: VM, traces: TraceBoard): ReplayCounters {
  const counters: ReplayCounters = { reexecutions: 0, reasons: new Map() }
  const evm = vm.evm as EVM
  const realRunCall = evm.runCall.bind(evm)
  let txIndex = -1
  let inTx = false
  let called = false
  vm.events.on('beforeTx', (tx: TypedTransaction, resolve?: (result?: unknown) => void) => {
    txIndex++
    inTx = true
    called = false
    // Wait for the speculation here: it brings the sender's public key, which runTx needs next.
    const i = txIndex
    void Promise.resolve(traces.get(i)).then(() => {
      const pk = traces.pubkeys[i]
      if (pk !== null && pk !== undefined && Object.isFrozen(tx) && tx.cache.senderPubKey === undefined) tx.cache.senderPubKey = pk
      resolve?.()
    })
  })
  vm.events.on('afterTx', () => {
    inTx = false
  })
  const reexecute = (opts: EVMRunCallOpts, why: string): Promise<EVMResult> => {
    counters.reexecutions++
    counters.reasons.set(txIndex, why)
    return realRunCall(opts)
  }
  evm.runCall = async (opts: EVMRunCallOpts): Promise<EVMResult> => {
    if (opts.message !== undefined || !inTx || called) return realRunCall(opts)
    called = true
    const index = txIndex
    const trace = await traces.get(index)
    if (trace === null) return reexecute(opts, 'no speculation')
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
