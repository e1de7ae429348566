// What the pool must answer to each transaction-test exception: the TxPoolReason and the start of
// the message, geth's error text where geth has one. RLP-level faults (a field too long, a leading
// zero, a list where a string belongs, a fixed-size field of the wrong size) are refused while
// decoding with an `rlp: ...` message, before anything else, as geth's decoder does; a typed
// transaction whose type the head fork lacks is refused only after that (geth's pool).
import { TxPoolMessage as M, TxPoolReason as R } from '../../src/txpool/index.ts'
import type { TxPoolReason } from '../../src/txpool/index.ts'

export interface ExpectedTxRefusal {
  reason: TxPoolReason
  message: string
}

const rlp: ExpectedTxRefusal = { reason: R.Malformed, message: 'rlp: ' }
const sender: ExpectedTxRefusal = { reason: R.InvalidSender, message: M.invalidSender }
const typeNotSupported: ExpectedTxRefusal = { reason: R.TypeNotSupported, message: M.typeNotSupported }

const EXPECTED: Record<string, readonly ExpectedTxRefusal[]> = {
  INVALID_SIGNATURE_VRS: [sender, rlp],
  INVALID_CHAINID: [sender],
  EC_RECOVERY_FAIL: [sender],
  TYPE_NOT_SUPPORTED: [typeNotSupported, rlp],
  INTRINSIC_GAS_TOO_LOW: [{ reason: R.IntrinsicGas, message: M.intrinsicGas }],
  INITCODE_SIZE_EXCEEDED: [{ reason: R.InitCodeSize, message: M.initCodeSize }],
  NONCE_TOO_BIG: [{ reason: R.NonceMax, message: M.nonceMax }],
  PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2: [{ reason: R.TipAboveFeeCap, message: M.tipAboveFeeCap }],
  // gas × price above 2^256-1: no account can pay it (geth's pool: insufficient funds); ethereumjs
  // refuses to build such a transaction at all. Before London a type-2 one is an unknown type.
  GASLIMIT_PRICE_PRODUCT_OVERFLOW: [{ reason: R.Malformed, message: 'invalid transaction: gas' }, { reason: R.InsufficientFunds, message: M.insufficientFunds }, typeNotSupported],
  ADDRESS_TOO_SHORT: [rlp],
  ADDRESS_TOO_LONG: [rlp],
  NONCE_OVERFLOW: [rlp],
  GASLIMIT_OVERFLOW: [rlp],
  GASPRICE_OVERFLOW: [rlp],
  PRIORITY_OVERFLOW: [rlp],
  VALUE_OVERFLOW: [rlp],
  TYPE_4_EMPTY_AUTHORIZATION_LIST: [{ reason: R.InvalidSetCodeTx, message: M.emptyAuthList }],
  TYPE_4_INVALID_AUTHORIZATION_FORMAT: [rlp],
  TYPE_4_INVALID_AUTHORITY_SIGNATURE: [rlp],
  TYPE_4_INVALID_AUTHORITY_SIGNATURE_S_TOO_HIGH: [rlp],
}

/** The acceptable refusals for an exception name (alternatives joined by `|` all count). */
export function expectedTxRefusal(exception: string): readonly ExpectedTxRefusal[] | undefined {
  const out: ExpectedTxRefusal[] = []
  for (const full of exception.split('|')) {
    const name = full.trim().replace(/^TransactionException\./, '')
    const listed = EXPECTED[name] ?? (name.startsWith('RLP_') ? [rlp] : [])
    out.push(...listed)
  }
  return out.length > 0 ? out : undefined
}
