// The order in which a builder should try the pool's executable transactions (TxPool.pending): per
// sender contiguous from the state nonce, stopping at a fee cap below the base fee, a blob fee cap
// below the blob base fee, or the first one the balance cannot cover; across senders by effective
// tip at the base fee, highest first (ties: oldest).
import { isBlob4844Tx } from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Heap } from './heap.ts'
import { effectiveTip, feeCap } from './pricing.ts'
import type { PoolTx, SenderTxs } from './sender-txs.ts'

interface Cursor {
  run: PoolTx[]
  at: number
  tip: bigint
}

export function executableOrder(senders: Iterable<SenderTxs>, baseFee: bigint, blobBaseFee?: bigint): TypedTransaction[] {
  const heap = new Heap<Cursor>((a, b) => (a.tip !== b.tip ? a.tip > b.tip : a.run[a.at]!.seq < b.run[b.at]!.seq))
  for (const list of senders) {
    const run: PoolTx[] = []
    let spent = 0n
    for (let n = list.stateNonce; ; n++) {
      const e = list.txs.get(n)
      if (e === undefined || feeCap(e.tx) < baseFee) break
      if (blobBaseFee !== undefined && isBlob4844Tx(e.tx) && e.tx.maxFeePerBlobGas < blobBaseFee) break
      spent += e.cost
      if (spent > list.balance) break
      run.push(e)
    }
    if (run.length > 0) heap.push({ run, at: 0, tip: effectiveTip(run[0]!.tx, baseFee) })
  }
  const out: TypedTransaction[] = []
  for (let c = heap.pop(); c !== undefined; c = heap.pop()) {
    out.push(c.run[c.at]!.tx)
    if (++c.at < c.run.length) heap.push({ run: c.run, at: c.at, tip: effectiveTip(c.run[c.at]!.tx, baseFee) })
  }
  return out
}
