// geth's txpool_* namespace: status, content, contentFrom, inspect.
import type { TypedTransaction } from '@ethereumjs/tx'
import { createAddressFromString } from '@ethereumjs/util'
import type { TxPool } from '../txpool/index.ts'
import { formatTx } from './eth/format.ts'
import { InvalidParamsError } from './errors.ts'
import type { RpcHandler } from './types.ts'
import { address, array, toQuantity } from './wire.ts'

type JsonMap = Record<string, unknown>

function byNonce(txs: Map<bigint, TypedTransaction>, fmt: (tx: TypedTransaction) => unknown): JsonMap {
  const out: JsonMap = {}
  for (const [nonce, tx] of [...txs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[nonce.toString()] = fmt(tx)
  return out
}

function bySender(m: Map<string, Map<bigint, TypedTransaction>>, fmt: (tx: TypedTransaction) => unknown): JsonMap {
  const out: JsonMap = {}
  for (const [sender, txs] of m) out[createAddressFromString(sender).toString()] = byNonce(txs, fmt)
  return out
}

function summary(tx: TypedTransaction): string {
  const to = tx.to === undefined ? 'contract creation' : tx.to.toString()
  const price = 'maxFeePerGas' in tx ? (tx as { maxFeePerGas: bigint }).maxFeePerGas : (tx as { gasPrice: bigint }).gasPrice
  return `${to}: ${tx.value} wei + ${tx.gasLimit} gas × ${price} wei`
}

export function createTxpoolMethods(pool: TxPool): Map<string, RpcHandler> {
  const m = new Map<string, RpcHandler>()
  m.set('txpool_status', () => {
    const s = pool.size
    return { pending: toQuantity(s.pending), queued: toQuantity(s.queued) }
  })
  m.set('txpool_content', () => {
    const c = pool.content()
    return { pending: bySender(c.pending, (tx) => formatTx(tx)), queued: bySender(c.queued, (tx) => formatTx(tx)) }
  })
  m.set('txpool_inspect', () => {
    const c = pool.content()
    return { pending: bySender(c.pending, summary), queued: bySender(c.queued, summary) }
  })
  m.set('txpool_contentFrom', (params) => {
    const list = array(params, 'params')
    if (list.length !== 1) throw new InvalidParamsError(`missing value for required argument 0`)
    const c = pool.contentFrom(address(list[0], 'params[0]'))
    return { pending: byNonce(c.pending, (tx) => formatTx(tx)), queued: byNonce(c.queued, (tx) => formatTx(tx)) }
  })
  return m
}
