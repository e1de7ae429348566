// The transactions of a simulated block as geth makes them (TransactionArgs.ToTransaction with the
// dynamic-fee default): unsigned (v, r, s all zero), typed by the call's fields, encoded and hashed
// like any transaction. They are built here from the call's arguments rather than as ethereumjs
// transactions, which refuse what geth encodes without complaint (a nonce of 2^64-1, a legacy
// transaction with v = 0); ethereumjs executes its own transaction for the same message.
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes } from '@ethereumjs/util'
import { keccak256 } from '../../util/keccak.ts'
import type { AccessListBytes, Authorization, TransactionArgs } from './call-args.ts'
import type { JsonObject } from './format.ts'
import { toData, toQuantity } from './params.ts'

export interface SimTx {
  type: 0 | 2 | 3 | 4
  chainId: bigint
  nonce: bigint
  gas: bigint
  gasPrice: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
  to?: Uint8Array
  value: bigint
  data: Uint8Array
  accessList: AccessListBytes
  maxFeePerBlobGas: bigint
  blobHashes: Uint8Array[]
  authorizations: Authorization[]
  from: Uint8Array
  /** The EIP-2718 encoding and its hash. */
  encoded: Uint8Array
  hash: Uint8Array
}

const n = (v: bigint): Uint8Array => bigIntToUnpaddedBytes(v)
const EMPTY = new Uint8Array()

function encode(t: Omit<SimTx, 'encoded' | 'hash'>): Uint8Array {
  const to = t.to ?? EMPTY
  const al = t.accessList.map(([a, keys]) => [a, keys])
  const sig = [EMPTY, EMPTY, EMPTY]
  if (t.type === 0) return RLP.encode([n(t.nonce), n(t.gasPrice), n(t.gas), to, n(t.value), t.data, ...sig])
  const head = [n(t.chainId), n(t.nonce), n(t.maxPriorityFeePerGas), n(t.maxFeePerGas), n(t.gas), to, n(t.value), t.data, al]
  let body: unknown[]
  if (t.type === 3) body = [...head, n(t.maxFeePerBlobGas), t.blobHashes, ...sig]
  else if (t.type === 4) {
    const auths = t.authorizations.map((a) => [n(a.chainId), a.address, n(a.nonce), n(a.yParity), n(a.r), n(a.s)])
    body = [...head, auths, ...sig]
  } else body = [...head, ...sig]
  const rlp = RLP.encode(body as never)
  const out = new Uint8Array(rlp.length + 1)
  out[0] = t.type
  out.set(rlp, 1)
  return out
}

/** geth's ToTransaction(DynamicFeeTxType) of arguments that have been through CallDefaults. */
export function simTx(args: TransactionArgs, chainId: bigint): SimTx {
  let type: SimTx['type'] = args.authorizationList !== undefined ? 4 : args.blobVersionedHashes !== undefined ? 3 : 2
  if (args.gasPrice !== undefined) type = 0
  const t: Omit<SimTx, 'encoded' | 'hash'> = {
    type,
    chainId: args.chainId ?? chainId,
    nonce: args.nonce ?? 0n,
    gas: args.gas ?? 0n,
    gasPrice: args.gasPrice ?? 0n,
    maxFeePerGas: args.maxFeePerGas ?? 0n,
    maxPriorityFeePerGas: args.maxPriorityFeePerGas ?? 0n,
    value: args.value ?? 0n,
    data: args.input ?? args.data ?? EMPTY,
    accessList: args.accessList ?? [],
    maxFeePerBlobGas: args.maxFeePerBlobGas ?? 0n,
    blobHashes: args.blobVersionedHashes ?? [],
    authorizations: args.authorizationList ?? [],
    from: args.from ?? new Uint8Array(20),
    ...(args.to !== undefined ? { to: args.to } : {}),
  }
  const encoded = encode(t)
  return { ...t, encoded, hash: keccak256(encoded) }
}

export interface SimTxLocation {
  blockHash: Uint8Array
  blockNumber: bigint
  blockTimestamp: bigint
  index: number
  baseFee?: bigint
}

/** geth's RPCTransaction of a simulated transaction (the sender is the call's `from`). */
export function formatSimTx(t: SimTx, loc: SimTxLocation): JsonObject {
  let gasPrice = t.gasPrice
  if (t.type !== 0) {
    gasPrice = t.maxFeePerGas
    if (loc.baseFee !== undefined) {
      const p = t.maxPriorityFeePerGas + loc.baseFee
      gasPrice = p < t.maxFeePerGas ? p : t.maxFeePerGas
    }
  }
  const o: JsonObject = {
    blockHash: toData(loc.blockHash),
    blockNumber: toQuantity(loc.blockNumber),
    blockTimestamp: toQuantity(loc.blockTimestamp),
    from: toData(t.from),
    gas: toQuantity(t.gas),
    gasPrice: toQuantity(gasPrice),
  }
  if (t.type !== 0) {
    o['maxFeePerGas'] = toQuantity(t.maxFeePerGas)
    o['maxPriorityFeePerGas'] = toQuantity(t.maxPriorityFeePerGas)
  }
  if (t.type === 3) o['maxFeePerBlobGas'] = toQuantity(t.maxFeePerBlobGas)
  o['hash'] = toData(t.hash)
  o['input'] = toData(t.data)
  o['nonce'] = toQuantity(t.nonce)
  o['to'] = t.to === undefined ? null : toData(t.to)
  o['transactionIndex'] = toQuantity(loc.index)
  o['value'] = toQuantity(t.value)
  o['type'] = toQuantity(t.type)
  if (t.type !== 0) {
    o['accessList'] = t.accessList.map(([address, keys]) => ({ address: toData(address), storageKeys: keys.map(toData) }))
    o['chainId'] = toQuantity(t.chainId)
  }
  if (t.type === 3) o['blobVersionedHashes'] = t.blobHashes.map(toData)
  if (t.type === 4) {
    o['authorizationList'] = t.authorizations.map((a) => ({
      chainId: toQuantity(a.chainId), address: toData(a.address), nonce: toQuantity(a.nonce),
      yParity: toQuantity(a.yParity), r: toQuantity(a.r), s: toQuantity(a.s),
    }))
  }
  o['v'] = '0x0'
  o['r'] = '0x0'
  o['s'] = '0x0'
  if (t.type !== 0) o['yParity'] = '0x0'
  return o
}
