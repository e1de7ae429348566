// One sender's pooled transactions by nonce, with the bookkeeping the pool needs in O(1): the total
// max cost, and where the run contiguous from the state nonce (the pending part) ends.
import type { TypedTransaction } from '@ethereumjs/tx'
import type { PrefixedHexString } from '@ethereumjs/util'

export interface PoolTx {
  tx: TypedTransaction
  hash: PrefixedHexString
  sender: PrefixedHexString
  nonce: bigint
  cost: bigint
  /** Versioned hashes whose blobs the blob store holds for this transaction. */
  blobHashes?: PrefixedHexString[]
  seq: number
  /** When it entered the pool (ms since the epoch; --txpool.lifetime). */
  addedAt: number
}

export interface SenderTxs {
  stateNonce: bigint
  balance: bigint
  txs: Map<bigint, PoolTx>
  /** Sum of the transactions' max costs. */
  spent: bigint
  /** Cache of runEnd(): every nonce in [stateNonce, runEnd) is pooled (it may lag behind; never ahead). */
  runEnd: bigint
}

export interface Account {
  nonce: bigint
  balance: bigint
}

/** The first nonce from the sender's state nonce on that the pool lacks (amortised O(1)). */
export function runEnd(list: SenderTxs): bigint {
  let end = list.runEnd < list.stateNonce ? list.stateNonce : list.runEnd
  while (list.txs.has(end)) end++
  list.runEnd = end
  return end
}

export function setAccount(list: SenderTxs, account: Account): void {
  // a lower state nonce (reorg): nonces below the old one were pruned, so the run restarts there
  if (account.nonce < list.stateNonce) list.runEnd = account.nonce
  list.stateNonce = account.nonce
  list.balance = account.balance
}

/** The sender's transactions split into pending (contiguous from the state nonce) and queued, by nonce. */
export function splitByRun(list: SenderTxs): { pending: Map<bigint, TypedTransaction>; queued: Map<bigint, TypedTransaction> } {
  const pending = new Map<bigint, TypedTransaction>()
  const queued = new Map<bigint, TypedTransaction>()
  const end = runEnd(list)
  for (const nonce of [...list.txs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    ;(nonce < end ? pending : queued).set(nonce, list.txs.get(nonce)!.tx)
  }
  return { pending, queued }
}
