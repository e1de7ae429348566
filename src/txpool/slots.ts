// geth's slot limits over the whole pool: --txpool.globalslots executable transactions in all, of which
// each account is guaranteed --txpool.accountslots (an account past its guarantee gets no more while
// the executable part is full); --txpool.globalqueue non-executable ones in all; and
// --txpool.lifetime, after which a non-executable transaction is dropped (checked at every new head).
import type { PoolLimits } from './limits.ts'
import { runEnd, type PoolTx, type SenderTxs } from './sender-txs.ts'
import { TxPoolReason as R, TxPoolMessage as M, txPoolError } from './errors.ts'

/** Throws TxPoolError when a new transaction of `list` (queued or executable) finds no slot. */
export function checkSlots(senders: Iterable<SenderTxs>, list: SenderTxs, queued: boolean, limits: Readonly<PoolLimits>): void {
  let pending = 0
  let total = 0
  for (const s of senders) {
    pending += Number(runEnd(s) - s.stateNonce)
    total += s.txs.size
  }
  if (queued) {
    if (total - pending >= limits.maxQueued) throw txPoolError(R.PoolFull, M.poolFull, `queue holds ${total - pending} txs (--txpool.globalqueue ${limits.maxQueued})`)
    return
  }
  const own = Number(runEnd(list) - list.stateNonce)
  if (pending >= limits.maxPending && own >= limits.minSlotsPerSender) {
    throw txPoolError(R.AccountLimit, M.accountLimit, `${own} executable txs of this account past its ${limits.minSlotsPerSender} guaranteed slots, pool's executable part full (${pending})`)
  }
}

/** The non-executable transactions pooled longer than the queue lifetime (0 = no limit). */
export function expiredQueued(senders: Iterable<SenderTxs>, limits: Readonly<PoolLimits>, now: number): PoolTx[] {
  if (limits.queueLifetimeMs <= 0) return []
  const out: PoolTx[] = []
  for (const s of senders) {
    const end = runEnd(s)
    for (const e of s.txs.values()) if (e.nonce > end && now - e.addedAt > limits.queueLifetimeMs) out.push(e)
  }
  return out
}
