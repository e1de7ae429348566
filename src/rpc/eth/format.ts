// JSON encoders for headers, blocks, transactions, receipts and logs, field for field as geth writes
// them (internal/ethapi RPCMarshalHeader/Block, RPCTransaction, MarshalReceipt; core/types Log).
import type { Block, BlockHeader } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { Capability, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToUnpaddedBytes, bytesToBigInt, createContractAddress } from '@ethereumjs/util'
import { Bloom } from '@ethereumjs/vm'
import type { LogTuple, StoredReceipt } from '../../db/receipts.ts'
import { toData, toQuantity, type Hex } from './params.ts'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }

/** Keys in alphabetical order, as Go's encoding/json writes a map. */
function sorted(o: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const k of Object.keys(o).sort()) out[k] = o[k]!
  return out
}

const qty = (n: bigint | number): Hex => toQuantity(n)
const hex = (b: Uint8Array): Hex => toData(b)

export function formatHeader(h: BlockHeader): JsonObject {
  const o: JsonObject = {
    number: qty(h.number),
    hash: hex(h.hash()),
    parentHash: hex(h.parentHash),
    nonce: hex(h.nonce),
    mixHash: hex(h.mixHash),
    sha3Uncles: hex(h.uncleHash),
    logsBloom: hex(h.logsBloom),
    stateRoot: hex(h.stateRoot),
    miner: h.coinbase.toString(),
    difficulty: qty(h.difficulty),
    extraData: hex(h.extraData),
    gasLimit: qty(h.gasLimit),
    gasUsed: qty(h.gasUsed),
    timestamp: qty(h.timestamp),
    transactionsRoot: hex(h.transactionsTrie),
    receiptsRoot: hex(h.receiptTrie),
  }
  if (h.baseFeePerGas !== undefined) o['baseFeePerGas'] = qty(h.baseFeePerGas)
  if (h.withdrawalsRoot !== undefined) o['withdrawalsRoot'] = hex(h.withdrawalsRoot)
  if (h.blobGasUsed !== undefined) o['blobGasUsed'] = qty(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) o['excessBlobGas'] = qty(h.excessBlobGas)
  if (h.parentBeaconBlockRoot !== undefined) o['parentBeaconBlockRoot'] = hex(h.parentBeaconBlockRoot)
  if (h.requestsHash !== undefined) o['requestsHash'] = hex(h.requestsHash)
  const bal = (h as { blockAccessListHash?: Uint8Array }).blockAccessListHash
  if (bal !== undefined) o['blockAccessListHash'] = hex(bal)
  return sorted(o)
}

/** geth's block encoding: RLP [header, txs, uncles, withdrawals?]. */
export function rawBlock(block: Block): Uint8Array {
  const raw = block.raw()
  return RLP.encode(raw.slice(0, block.withdrawals !== undefined ? 4 : 3) as never)
}

/** geth's block size: the length of its encoding. */
export function blockSize(block: Block): number {
  return rawBlock(block).length
}

export function formatBlock(block: Block, fullTx: boolean): JsonObject {
  const o = formatHeader(block.header)
  o['size'] = qty(blockSize(block))
  o['transactions'] = block.transactions.map((tx, i) => (fullTx ? formatTx(tx, txLocation(block, i)) : hex(tx.hash())))
  o['uncles'] = block.uncleHeaders.map((u) => hex(u.hash()))
  if (block.withdrawals !== undefined) {
    o['withdrawals'] = block.withdrawals.map((w) => ({
      index: qty(w.index),
      validatorIndex: qty(w.validatorIndex),
      address: w.address.toString(),
      amount: qty(w.amount),
    }))
  }
  return sorted(o)
}

/** Where a mined transaction sits. */
export interface TxLocation {
  blockHash: Uint8Array
  blockNumber: bigint
  blockTimestamp: bigint
  index: number
  baseFee?: bigint
}

export function txLocation(block: Block, index: number): TxLocation {
  const h = block.header
  return {
    blockHash: block.hash(),
    blockNumber: h.number,
    blockTimestamp: h.timestamp,
    index,
    ...(h.baseFeePerGas !== undefined ? { baseFee: h.baseFeePerGas } : {}),
  }
}

interface FeeFields {
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}
const hasFeeMarket = (tx: TypedTransaction): tx is TypedTransaction & FeeFields => tx.supports(Capability.EIP1559FeeMarket)

/** min(tip + baseFee, feeCap) for fee-market transactions, the gas price otherwise. */
export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint | undefined): bigint {
  if (!hasFeeMarket(tx)) return (tx as { gasPrice: bigint }).gasPrice
  if (baseFee === undefined) return tx.maxFeePerGas
  const fee = tx.maxPriorityFeePerGas + baseFee
  return fee > tx.maxFeePerGas ? tx.maxFeePerGas : fee
}

/** geth's EffectiveGasTip: min(tip, feeCap - baseFee) (may be negative for invalid inclusion). */
export function effectiveGasTip(tx: TypedTransaction, baseFee: bigint | undefined): bigint {
  const base = baseFee ?? 0n
  if (!hasFeeMarket(tx)) return (tx as { gasPrice: bigint }).gasPrice - base
  const cap = tx.maxFeePerGas - base
  return tx.maxPriorityFeePerGas < cap ? tx.maxPriorityFeePerGas : cap
}

/** The chain id a legacy signature commits to (EIP-155), 0 when unprotected. */
function legacyChainId(v: bigint): bigint {
  if (v === 27n || v === 28n) return 0n
  return v >= 35n ? (v - 35n) / 2n : 0n
}

function formatAccessList(list: [Uint8Array, Uint8Array[]][]): Json {
  return list.map(([address, keys]) => ({ address: hex(address), storageKeys: keys.map(hex) }))
}

type AuthTuple = [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]

function formatAuthorizations(list: AuthTuple[]): Json {
  return list.map(([chainId, address, nonce, yParity, r, s]) => ({
    chainId: qty(bytesToBigInt(chainId)),
    address: hex(address),
    nonce: qty(bytesToBigInt(nonce)),
    yParity: qty(bytesToBigInt(yParity)),
    r: qty(bytesToBigInt(r)),
    s: qty(bytesToBigInt(s)),
  }))
}

/** geth's RPCTransaction; without `loc` it is pending (block fields null, gasPrice = feeCap). */
export function formatTx(tx: TypedTransaction, loc?: TxLocation): JsonObject {
  const v = tx.v ?? 0n
  const o: JsonObject = {
    blockHash: loc === undefined ? null : hex(loc.blockHash),
    blockNumber: loc === undefined ? null : qty(loc.blockNumber),
    blockTimestamp: loc === undefined ? null : qty(loc.blockTimestamp),
    from: tx.getSenderAddress().toString(),
    gas: qty(tx.gasLimit),
    gasPrice: qty(hasFeeMarket(tx) ? (loc !== undefined && loc.baseFee !== undefined ? effectiveGasPrice(tx, loc.baseFee) : tx.maxFeePerGas) : (tx as { gasPrice: bigint }).gasPrice),
  }
  if (hasFeeMarket(tx)) {
    o['maxFeePerGas'] = qty(tx.maxFeePerGas)
    o['maxPriorityFeePerGas'] = qty(tx.maxPriorityFeePerGas)
  }
  if (tx.type === TransactionType.BlobEIP4844) o['maxFeePerBlobGas'] = qty((tx as unknown as { maxFeePerBlobGas: bigint }).maxFeePerBlobGas)
  o['hash'] = hex(tx.hash())
  o['input'] = hex(tx.data)
  o['nonce'] = qty(tx.nonce)
  o['to'] = tx.to === undefined ? null : tx.to.toString()
  o['transactionIndex'] = loc === undefined ? null : qty(loc.index)
  o['value'] = qty(tx.value)
  o['type'] = qty(tx.type)
  if (tx.type === TransactionType.Legacy) {
    const id = legacyChainId(v)
    if (id !== 0n) o['chainId'] = qty(id)
  } else {
    o['accessList'] = formatAccessList((tx as unknown as { accessList: [Uint8Array, Uint8Array[]][] }).accessList)
    o['chainId'] = qty((tx as unknown as { chainId: bigint }).chainId)
  }
  if (tx.type === TransactionType.BlobEIP4844) {
    // ethereumjs keeps versioned hashes as 0x-strings.
    const hashes = (tx as unknown as { blobVersionedHashes: (Uint8Array | string)[] }).blobVersionedHashes
    o['blobVersionedHashes'] = hashes.map((h) => (typeof h === 'string' ? h.toLowerCase() : hex(h)))
  }
  if (tx.type === TransactionType.EOACodeEIP7702) {
    o['authorizationList'] = formatAuthorizations((tx as unknown as { authorizationList: AuthTuple[] }).authorizationList)
  }
  o['v'] = qty(v)
  o['r'] = qty(tx.r ?? 0n)
  o['s'] = qty(tx.s ?? 0n)
  if (tx.type !== TransactionType.Legacy) o['yParity'] = qty(v === 0n ? 0n : 1n)
  return o
}

/** The EIP-2718 encoding of a transaction (geth's MarshalBinary). */
export function rawTx(tx: TypedTransaction): Uint8Array {
  return tx.serialize()
}

export interface LogLocation {
  blockHash: Uint8Array
  blockNumber: bigint
  blockTimestamp: bigint
  txHash: Uint8Array
  txIndex: number
  logIndex: number
}

export function formatLog(log: LogTuple, loc: LogLocation, removed = false): JsonObject {
  const [address, topics, data] = log
  return {
    address: hex(address),
    topics: topics.map(hex),
    data: hex(data),
    blockNumber: qty(loc.blockNumber),
    transactionHash: hex(loc.txHash),
    transactionIndex: qty(loc.txIndex),
    blockHash: hex(loc.blockHash),
    blockTimestamp: qty(loc.blockTimestamp),
    logIndex: qty(loc.logIndex),
    removed,
  }
}

export function logsBloom(logs: LogTuple[]): Uint8Array {
  const bloom = new Bloom()
  for (const [address, topics] of logs) {
    bloom.add(address)
    for (const t of topics) bloom.add(t)
  }
  return bloom.bitvector
}

/** Everything a receipt's JSON needs beyond the stored receipt. */
export interface ReceiptContext {
  block: Block
  receipts: StoredReceipt[]
  index: number
  /** Logs in the block before this receipt (for logIndex). */
  logOffset: number
  /** The blob gas price of the block (Cancun+). */
  blobGasPrice?: bigint
  blobGasPerBlob: bigint
}

export function formatReceipt(c: ReceiptContext): JsonObject {
  const { block, receipts, index } = c
  const tx = block.transactions[index]!
  const r = receipts[index]!
  const prevCumulative = index === 0 ? 0n : receipts[index - 1]!.cumulativeGasUsed
  const from = tx.getSenderAddress()
  const loc = { blockHash: block.hash(), blockNumber: block.header.number, blockTimestamp: block.header.timestamp, txHash: tx.hash(), txIndex: index }
  const o: JsonObject = {
    blockHash: hex(loc.blockHash),
    blockNumber: qty(loc.blockNumber),
    transactionHash: hex(loc.txHash),
    transactionIndex: qty(index),
    from: from.toString(),
    to: tx.to === undefined ? null : tx.to.toString(),
    gasUsed: qty(r.cumulativeGasUsed - prevCumulative),
    cumulativeGasUsed: qty(r.cumulativeGasUsed),
    contractAddress: tx.to === undefined ? createContractAddress(from, tx.nonce).toString() : null,
    logs: r.logs.map((l, j) => formatLog(l, { ...loc, logIndex: c.logOffset + j })),
    logsBloom: hex(logsBloom(r.logs)),
    type: qty(tx.type),
    effectiveGasPrice: qty(effectiveGasPrice(tx, block.header.baseFeePerGas)),
  }
  if (r.stateRoot !== undefined) o['root'] = hex(r.stateRoot)
  else o['status'] = qty(r.status ?? 0)
  if (tx.type === TransactionType.BlobEIP4844) {
    const blobs = BigInt((tx as unknown as { blobVersionedHashes: unknown[] }).blobVersionedHashes.length)
    o['blobGasUsed'] = qty(blobs * c.blobGasPerBlob)
    o['blobGasPrice'] = qty(c.blobGasPrice ?? 0n)
  }
  return sorted(o)
}

/** geth's receipt consensus encoding (debug_getRawReceipts): typed receipts are type ‖ RLP. */
export function encodeReceipt(r: StoredReceipt): Uint8Array {
  const status = r.stateRoot ?? (r.status === 1 ? Uint8Array.of(1) : new Uint8Array())
  const body = RLP.encode([status, bigIntToUnpaddedBytes(r.cumulativeGasUsed), logsBloom(r.logs), r.logs] as never)
  if (r.txType === 0) return body
  const out = new Uint8Array(body.length + 1)
  out[0] = r.txType
  out.set(body, 1)
  return out
}

