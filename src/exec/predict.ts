// Where the workers' runs start, chosen from the transactions' own fields (no execution).
//
// Work sharing cuts a block into contiguous parts: the main thread's share, then one run per
// worker, each speculated over the parent state (plus the run's own earlier transactions). The
// first transaction of a run sees nothing of the parts before it, so when it depends on them its
// result is stale, and so is every later result of the run that read what it wrote: on a relay
// chain (A pays B, B pays C, ...) the worker's whole run is wasted, and its speculation beside the
// main thread only slows the main thread down. Nothing in the workers' results shows this before
// the main thread reaches the boundary.
//
// A transaction's fields predict some of what it touches: its sender's account (nonce, balance),
// a plain transfer's recipient (a credit, which commutes: the executor rebases it) and the
// addresses passed in its calldata (ABI words holding an address: a token transfer's recipient, a
// router's `to`). Transaction j is predicted to depend on an earlier transaction i when
//   - they have the same sender (the nonce), or i credits j's sender or names it in its calldata
//     (a token transfer to the account that then spends it), or
//   - they call the same contract and name a common address (a token's one hot recipient), or j
//     names i's sender there (a payment to an account that has just spent from that contract).
// An address named in calls to different contracts is not enough (a router's path naming WETH
// says nothing about one pool's slots). Each boundary moves to the nearest transaction predicted
// not to depend on the LOOKBACK before it; a boundary with none within reach is dropped (its run
// joins the part before it). A block that is one chain therefore runs on the main thread alone.
//
// Storage a contract keys by its own state (a pool's reserves, a counter) is invisible to these
// rules; hotCalls (below) takes the common case: many calls to one contract that name no address.
// All of it is only a prediction: the executor still checks every result (block-runner.ts PROBES
// and the refusal rule catch what this misses, a wrong guess only costs speed). Senders are recovered on the main thread
// only around boundaries (transactions it runs itself or whose public key the worker then gets).
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'

/** How many transactions before a run's first one it is checked against. */
export const LOOKBACK = 16
/** How far a boundary may move: back (into the main thread's share) and forward. */
export const SEARCH_BACK = 64
export const SEARCH_FORWARD = 128
/** Calldata words scanned for addresses (a long calldata is mostly not addresses). */
const MAX_WORDS = 16

interface TxKeys {
  sender: string
  /** A plain transfer's recipient. */
  credit: string | undefined
  /** The called contract (or plain recipient) and the addresses its calldata names. */
  to: string | undefined
  names: readonly string[]
}

/**
 * Addresses among a call's ABI words: 12 zero bytes, then 20 bytes of which the first 4 are not all
 * zero (an amount or index is a smaller number; 1 address in 4 billion is missed). A large number
 * taken for an address only matters if it is also a sender or named in a call to the same contract.
 */
export function calldataAddresses(data: Uint8Array): string[] {
  const out: string[] = []
  for (let o = 4, w = 0; o + 32 <= data.length && w < MAX_WORDS; o += 32, w++) {
    if (data[o + 12] === 0 && data[o + 13] === 0 && data[o + 14] === 0 && data[o + 15] === 0) continue
    let zero = true
    for (let k = o; k < o + 12; k++) {
      if (data[k] !== 0) {
        zero = false
        break
      }
    }
    if (zero) out.push(bytesToHex(data.subarray(o + 12, o + 32)))
  }
  return out
}

/** What a transaction's fields say it touches; undefined when its sender cannot be recovered. */
export function txKeys(tx: TypedTransaction): TxKeys | undefined {
  let sender: string
  try {
    sender = tx.getSenderAddress().toString()
  } catch {
    return undefined // an invalid signature: the block fails when the transaction runs
  }
  const to = tx.to?.toString()
  const names = to !== undefined && tx.data.length >= 36 ? calldataAddresses(tx.data) : []
  return { sender, credit: to !== undefined && tx.data.length === 0 ? to : undefined, to, names }
}

/** Transaction `j` is predicted to depend on the earlier transaction `i` (see the header). */
export function dependsOn(j: TxKeys, i: TxKeys): boolean {
  if (j.sender === i.sender || j.sender === i.credit || i.names.includes(j.sender)) return true
  if (j.to === undefined || j.to !== i.to) return false
  if (j.names.includes(i.sender)) return true
  for (const n of j.names) if (i.names.includes(n)) return true
  return false
}

export class BoundaryPredictor {
  private readonly keys: (TxKeys | null | undefined)[]

  constructor(private readonly txs: readonly TypedTransaction[]) {
    this.keys = new Array<TxKeys | null | undefined>(txs.length).fill(undefined)
  }

  private at(i: number): TxKeys | null {
    let k = this.keys[i]
    if (k === undefined) this.keys[i] = k = txKeys(this.txs[i]!) ?? null
    return k
  }

  /** Transaction j is predicted to depend on one of the LOOKBACK transactions before it. */
  dependent(j: number): boolean {
    const mine = this.at(j)
    if (mine === null) return false
    for (let i = Math.max(0, j - LOOKBACK); i < j; i++) {
      const theirs = this.at(i)
      if (theirs !== null && dependsOn(mine, theirs)) return true
    }
    return false
  }

  /**
   * The start nearest to `b` in [lo, hi] (forward first at equal distance) of a transaction
   * predicted not to depend on the ones before it; undefined when there is none within reach.
   */
  nearestStart(b: number, lo: number, hi: number): number | undefined {
    if (b >= lo && b <= hi && !this.dependent(b)) return b
    for (let d = 1; d <= Math.max(SEARCH_BACK, SEARCH_FORWARD); d++) {
      if (d <= SEARCH_FORWARD && b + d <= hi && !this.dependent(b + d)) return b + d
      if (d <= SEARCH_BACK && b - d >= lo && b - d <= hi && !this.dependent(b - d)) return b - d
    }
    return undefined
  }
}

export interface Boundaries {
  /** The first transaction not in the main thread's share. */
  splitIndex: number
  /** One run per worker (some may be empty). */
  runs: number[][]
  /** Boundaries moved and boundaries dropped (their runs joined the part before). */
  moved: number
  dropped: number
}

/**
 * Moves each boundary of a work-sharing cut (the main thread's share ends at `splitIndex`, then
 * `runs`) to the nearest transaction predicted to start independently, and drops those with none.
 */
export function placeBoundaries(txs: readonly TypedTransaction[], splitIndex: number, runs: readonly number[][]): Boundaries {
  const n = txs.length
  const starts = [splitIndex, ...runs.slice(1).map((r) => r[0])].filter((s): s is number => s !== undefined && s < n)
  const predictor = new BoundaryPredictor(txs)
  const kept: number[] = []
  let moved = 0
  let dropped = 0
  starts.forEach((b, k) => {
    const lo = (kept[kept.length - 1] ?? 0) + 1
    const hi = (starts[k + 1] ?? n) - 1
    const s = lo <= hi ? predictor.nearestStart(b, lo, hi) : undefined
    if (s === undefined) dropped++
    else {
      if (s !== b) moved++
      kept.push(s)
    }
  })
  const out: number[][] = runs.map(() => [])
  const first = kept[0] ?? n
  kept.forEach((s, w) => {
    const end = kept[w + 1] ?? n
    for (let i = s; i < end; i++) out[w]!.push(i)
  })
  return { splitIndex: first, runs: out, moved, dropped }
}

/** A contract called this many times in a block by calls that name no address is taken to be one hot key. */
export const HOT_CALLS = 8

/**
 * Transactions predicted to touch one hot key: calls to a contract (it has code) made by at least
 * HOT_CALLS transactions of the block whose calldata names no address (a counter's increment, swaps
 * in one pool: the contract's own slots, the same for every caller). They depend on each other, so
 * the executor keeps each contract's calls on one thread, in block order (parallel.ts hotPlan: the
 * side with the most room left, a worker's or the main thread's). Transfers to an account
 * without code are credits, which commute (the executor rebases them), and calls that name addresses
 * (a token transfer) are keyed by those (see dependsOn).
 */
export function hotCalls(txs: readonly TypedTransaction[], hasCode: (address: Uint8Array) => boolean): boolean[] {
  return hotGroups(txs, hasCode).map((g) => g >= 0)
}

/**
 * hotCalls by contract: each transaction's group (the hot contracts numbered in the order of their
 * first call), -1 for one that is not a hot call. Calls to different hot contracts are predicted
 * not to depend on each other (each contract's own slots), so one group can run on a worker, in
 * block order, while another runs on the main thread.
 */
export function hotGroups(txs: readonly TypedTransaction[], hasCode: (address: Uint8Array) => boolean): number[] {
  const byTo = new Map<string, number[]>()
  txs.forEach((tx, i) => {
    if (tx.to === undefined || (tx.data.length >= 36 && calldataAddresses(tx.data).length > 0)) return
    const k = tx.to.toString()
    let list = byTo.get(k)
    if (list === undefined) byTo.set(k, (list = []))
    list.push(i)
  })
  const group = new Array<number>(txs.length).fill(-1)
  let n = 0
  for (const list of byTo.values()) {
    if (list.length < HOT_CALLS || !hasCode(txs[list[0]!]!.to!.bytes)) continue
    for (const i of list) group[i] = n
    n++
  }
  return group
}
