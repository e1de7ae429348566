// Decoding of a submitted transaction (canonical encoding; blob transactions in network form) and
// every check that needs no state: type at the head fork, size, chain id, signature values, gas
// bounds, fee sanity, minimum tip, blob sidecar and KZG proofs. The checks on raw fields run before
// @ethereumjs/tx builds the object, since its constructors throw plain errors for the same faults.
import { RLP } from '@ethereumjs/rlp'
import type { Common } from '@ethereumjs/common'
import {
  create1559FeeMarketTxFromBytesArray,
  createAccessList2930TxFromBytesArray,
  createBlob4844TxFromBytesArray,
  createEOACode7702TxFromBytesArray,
  createLegacyTxFromBytesArray,
  isBlob4844Tx,
} from '@ethereumjs/tx'
import type { TxOptions, TypedTransaction } from '@ethereumjs/tx'
import { CELLS_PER_EXT_BLOB, bytesToBigInt } from '@ethereumjs/util'
import type { Address, KZG } from '@ethereumjs/util'
import { TxPoolMessage as M, TxPoolReason as R, TxPoolError, txPoolError } from './errors.ts'
import { tipCap } from './pricing.ts'
import { BLOB_SIZE, KZG_COMMITMENT_SIZE, KZG_PROOF_SIZE, parseSidecar, verifySidecar } from './sidecar.ts'
import type { BlobSidecar } from './sidecar.ts'

const MAX_UINT64 = (1n << 64n) - 1n
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** Head-dependent inputs of the stateless checks. */
export interface DecodeRules {
  /** Set to the head's hardfork; carries customCrypto (secp256k1, KZG). */
  common: Common
  blockGasLimit: bigint
  maxTxSize: number
  maxBlobsPerTx: number
  minTip: bigint
  minBlobFee: bigint
  /** Whether the pool already holds a transaction with this hash (checked before KZG work). */
  isKnown(hash: Uint8Array): boolean
}

export interface DecodedTx {
  /** Canonical form (blob transactions without their sidecar). */
  tx: TypedTransaction
  hash: Uint8Array
  sender: Address
  sidecar?: BlobSidecar
}

/** Where each field sits in the RLP list of a signed transaction of each type. */
interface Layout {
  count: number
  chainId?: number
  nonce: number
  tip: number
  feeCap: number
  gasLimit: number
  to: number
  data: number
  blobFee?: number
  blobHashes?: number
  auths?: number
  v: number
}

const LAYOUTS: Record<number, Layout> = {
  0: { count: 9, nonce: 0, tip: 1, feeCap: 1, gasLimit: 2, to: 3, data: 5, v: 6 },
  1: { count: 11, chainId: 0, nonce: 1, tip: 2, feeCap: 2, gasLimit: 3, to: 4, data: 6, v: 8 },
  2: { count: 12, chainId: 0, nonce: 1, tip: 2, feeCap: 3, gasLimit: 4, to: 5, data: 7, v: 9 },
  3: { count: 14, chainId: 0, nonce: 1, tip: 2, feeCap: 3, gasLimit: 4, to: 5, data: 7, blobFee: 9, blobHashes: 10, v: 11 },
  4: { count: 13, chainId: 0, nonce: 1, tip: 2, feeCap: 3, gasLimit: 4, to: 5, data: 7, auths: 9, v: 10 },
}

/** The EIP that enables each typed transaction, and the fork that brought it. */
const TYPE_FORK: Record<number, [eip: number, fork: string]> = {
  1: [2930, 'Berlin'],
  2: [1559, 'London'],
  3: [4844, 'Cancun'],
  4: [7702, 'Prague'],
}

/** ethereumjs' constructors from the decoded field list, by type (the list is decoded once, here). */
const FROM_FIELDS: Record<number, (fields: unknown[], opts: TxOptions) => TypedTransaction> = {
  0: (f, o) => createLegacyTxFromBytesArray(f as Parameters<typeof createLegacyTxFromBytesArray>[0], o),
  1: (f, o) => createAccessList2930TxFromBytesArray(f as Parameters<typeof createAccessList2930TxFromBytesArray>[0], o),
  2: (f, o) => create1559FeeMarketTxFromBytesArray(f as Parameters<typeof create1559FeeMarketTxFromBytesArray>[0], o),
  3: (f, o) => createBlob4844TxFromBytesArray(f as Parameters<typeof createBlob4844TxFromBytesArray>[0], o),
  4: (f, o) => createEOACode7702TxFromBytesArray(f as Parameters<typeof createEOACode7702TxFromBytesArray>[0], o),
}

const malformed = (message: string): TxPoolError => txPoolError(R.Malformed, message)

function uint(fields: unknown[], index: number, name: string, maxBytes = 32): bigint {
  const field = fields[index]
  if (!(field instanceof Uint8Array)) throw malformed(`rlp: expected input string for ${name}`)
  if (field.length > maxBytes) throw malformed(`rlp: input string too long for ${name}`)
  if (field.length > 0 && field[0] === 0) throw malformed(`rlp: non-canonical integer (leading zero bytes) for ${name}`)
  return bytesToBigInt(field)
}

function bytesField(fields: unknown[], index: number, name: string): Uint8Array {
  const field = fields[index]
  if (!(field instanceof Uint8Array)) throw malformed(`rlp: expected input string for ${name}`)
  return field
}

function listField(fields: unknown[], index: number, name: string): unknown[] {
  const field = fields[index]
  if (!Array.isArray(field)) throw malformed(`rlp: expected input list for ${name}`)
  return field
}

function rlpDecode(bytes: Uint8Array): unknown {
  try {
    return RLP.decode(bytes)
  } catch (err) {
    throw malformed(`rlp: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** A fixed-size byte string (geth: common.Address, common.Hash), as RLP decoding into it checks. */
function fixedBytes(field: unknown, length: number, goType: string, name: string): void {
  if (!(field instanceof Uint8Array)) throw malformed(`rlp: expected input string for ${goType} (${name})`)
  if (field.length > length) throw malformed(`rlp: input string too long for ${goType} (${name})`)
  if (field.length < length) throw malformed(`rlp: input string too short for ${goType} (${name})`)
}

/** The access list's shape (typed transactions): [[address, [slot, ...]], ...]. */
function checkAccessList(fields: unknown[], index: number): void {
  for (const [i, entry] of listField(fields, index, 'accessList').entries()) {
    if (!Array.isArray(entry)) throw malformed(`rlp: expected input list for accessList[${i}]`)
    if (entry.length !== 2) throw malformed(`rlp: accessList[${i}] has ${entry.length} elements, want 2`)
    fixedBytes(entry[0], 20, 'common.Address', `accessList[${i}].address`)
    if (!Array.isArray(entry[1])) throw malformed(`rlp: expected input list for accessList[${i}].storageKeys`)
    for (const [j, slot] of (entry[1] as unknown[]).entries()) fixedBytes(slot, 32, 'common.Hash', `accessList[${i}].storageKeys[${j}]`)
  }
}

/** Each EIP-7702 authorization's shape: [chainId, address, nonce, yParity, r, s]. */
function checkAuthorizations(auths: unknown[]): void {
  for (const [i, auth] of auths.entries()) {
    if (!Array.isArray(auth)) throw malformed(`rlp: expected input list for authorizationList[${i}]`)
    if (auth.length !== 6) throw malformed(`rlp: authorizationList[${i}] has ${auth.length} elements, want 6`)
    uint(auth, 0, `authorizationList[${i}].chainId`)
    fixedBytes(auth[1], 20, 'common.Address', `authorizationList[${i}].address`)
    uint(auth, 2, `authorizationList[${i}].nonce`, 8)
    uint(auth, 3, `authorizationList[${i}].yParity`, 1)
    uint(auth, 4, `authorizationList[${i}].r`)
    uint(auth, 5, `authorizationList[${i}].s`)
  }
}

/** Upper bound of a network-form blob transaction's size, sidecar included. */
export function maxBlobTxNetworkSize(maxTxSize: number, maxBlobs: number): number {
  const perBlob = BLOB_SIZE + KZG_COMMITMENT_SIZE + CELLS_PER_EXT_BLOB * KZG_PROOF_SIZE + 3 * 8
  return maxTxSize + maxBlobs * perBlob + 64
}

/** Decodes `raw` and runs the stateless checks; throws TxPoolError with geth's messages. */
export function decodePoolTx(raw: Uint8Array, rules: DecodeRules): DecodedTx {
  const { common } = rules
  if (raw.length === 0) throw malformed('typed transaction too short')
  const first = raw[0]!
  const type = first >= 0xc0 ? 0 : first
  if (type >= 0x80) throw malformed('rlp: expected input list for transaction')
  if (LAYOUTS[type] === undefined) throw txPoolError(R.TypeNotSupported, M.typeNotSupported)
  const layout = LAYOUTS[type]!
  // DoS bound before decoding anything; blob transactions are checked again without their sidecar below
  const rawLimit = type === 3 ? maxBlobTxNetworkSize(rules.maxTxSize, rules.maxBlobsPerTx) : rules.maxTxSize
  if (raw.length > rawLimit) throw txPoolError(R.OversizedData, M.oversizedData, `transaction size ${raw.length}, limit ${rawLimit}`)

  // 1. the envelope: field list, and for blob transactions the sidecar
  const body = rlpDecode(type === 0 ? raw : raw.subarray(1))
  if (!Array.isArray(body)) throw malformed('rlp: expected input list for transaction')
  let fields: unknown[] = body
  let sidecar: BlobSidecar | undefined
  if (type === 3) {
    if (!Array.isArray(body[0])) throw txPoolError(R.InvalidBlobTx, M.missingSidecar)
    if (body.length === 4) {
      sidecar = parseSidecar(0, body[1], body[2], body[3])
    } else if (body.length === 5) {
      const version = body[1]
      if (!(version instanceof Uint8Array) || version.length !== 1 || version[0] !== 1) {
        throw txPoolError(R.InvalidBlobTx, `unexpected sidecar version, got: ${version instanceof Uint8Array ? bytesToBigInt(version) : 'list'}`)
      }
      sidecar = parseSidecar(1, body[2], body[3], body[4])
    } else {
      throw malformed(`rlp: blob transaction network form has ${body.length} elements, want 4 or 5`)
    }
    fields = body[0] as unknown[]
  }
  if (fields.length !== layout.count) throw malformed(`rlp: transaction of type ${type} has ${fields.length} fields, want ${layout.count}`)

  // 2. raw field checks: what geth's RLP decoding refuses comes first, as there
  const nonce = uint(fields, layout.nonce, 'nonce', 8)
  const gasLimit = uint(fields, layout.gasLimit, 'gas', 8)
  const tip = uint(fields, layout.tip, type >= 2 ? 'maxPriorityFeePerGas' : 'gasPrice')
  const cap = uint(fields, layout.feeCap, type >= 2 ? 'maxFeePerGas' : 'gasPrice')
  const to = bytesField(fields, layout.to, 'to')
  // geth decodes `to` as a *common.Address: 0 or 20 bytes, anything else fails in RLP decoding
  if (to.length > 20) throw malformed('rlp: input string too long for common.Address')
  if (to.length > 0 && to.length < 20) throw malformed('rlp: input string too short for common.Address')
  uint(fields, layout.to + 1, 'value')
  const data = bytesField(fields, layout.data, 'input')
  if (type > 0) checkAccessList(fields, layout.data + 1)
  const auths = layout.auths === undefined ? undefined : listField(fields, layout.auths, 'authorizationList')
  if (auths !== undefined) checkAuthorizations(auths)
  const v = uint(fields, layout.v, 'v')
  const r = uint(fields, layout.v + 1, 'r')
  const s = uint(fields, layout.v + 2, 's')
  const rawChainId = layout.chainId === undefined ? undefined : uint(fields, layout.chainId, 'chainId')

  // 3. the type at the head fork
  const typeFork = TYPE_FORK[type]
  if (typeFork !== undefined && !common.isActivatedEIP(typeFork[0])) {
    throw txPoolError(R.TypeNotSupported, M.typeNotSupported, `type ${type} rejected, pool not yet in ${typeFork[1]}`)
  }
  if (type === 3 && common.customCrypto.kzg === undefined) {
    throw txPoolError(R.TypeNotSupported, M.typeNotSupported, 'type 3 rejected, no KZG library configured')
  }

  // 4. blob count and size, before any expensive work
  const blobHashes = layout.blobHashes === undefined ? [] : listField(fields, layout.blobHashes, 'blobVersionedHashes')
  if (blobHashes.length > rules.maxBlobsPerTx) {
    throw txPoolError(R.BlobLimit, M.blobLimit, `blob count ${blobHashes.length}, limit ${rules.maxBlobsPerTx}`)
  }
  const size = sidecar === undefined ? raw.length : 1 + RLP.encode(fields as Uint8Array[]).length
  if (size > rules.maxTxSize) throw txPoolError(R.OversizedData, M.oversizedData, `transaction size ${size}, limit ${rules.maxTxSize}`)

  // 5. the fields' values
  let chainId: bigint | undefined
  if (rawChainId !== undefined) {
    chainId = rawChainId
    if (v > 1n) throw txPoolError(R.InvalidSender, M.invalidSig)
  } else if (v >= 35n) {
    chainId = (v - 35n) / 2n
  } else if (v !== 27n && v !== 28n) {
    throw txPoolError(R.InvalidSender, M.invalidSig)
  }
  if (chainId !== undefined && chainId !== common.chainId()) throw txPoolError(R.InvalidSender, M.invalidChainId)

  const isCreate = to.length === 0
  if (isCreate && common.isActivatedEIP(3860)) {
    const limit = common.param('maxInitCodeSize')
    if (BigInt(data.length) > limit) throw txPoolError(R.InitCodeSize, M.initCodeSize, `code size ${data.length}, limit ${limit}`)
  }
  if (common.isActivatedEIP(7825) && !common.isActivatedEIP(8037)) {
    const limit = common.param('maxTransactionGasLimit')
    if (gasLimit > limit) throw txPoolError(R.GasLimitTooHigh, `${M.gasLimitTooHigh} (cap: ${limit}, tx: ${gasLimit})`)
  }
  if (gasLimit > rules.blockGasLimit) throw txPoolError(R.GasLimit, M.gasLimit)
  if (tip > cap) throw txPoolError(R.TipAboveFeeCap, M.tipAboveFeeCap)
  // EIP-2 (Homestead) made signatures with s above n/2 invalid; Frontier accepted them
  const highS = common.gteHardfork('homestead') && s > SECP256K1_N / 2n
  if (r === 0n || s === 0n || r >= SECP256K1_N || highS) throw txPoolError(R.InvalidSender, M.invalidSig)
  if (nonce === MAX_UINT64) throw txPoolError(R.NonceMax, M.nonceMax)
  if (type === 3) {
    if (isCreate) throw txPoolError(R.InvalidBlobTx, M.blobCreate)
    if (blobHashes.length === 0) throw txPoolError(R.InvalidBlobTx, M.blobless)
  }
  if (auths !== undefined && auths.length === 0) {
    throw txPoolError(R.InvalidSetCodeTx, M.emptyAuthList)
  }

  // 6. the transaction object, its hash and sender
  let tx: TypedTransaction
  try {
    tx = FROM_FIELDS[type]!(fields, { common })
  } catch (err) {
    throw malformed(`invalid transaction: ${err instanceof Error ? err.message : String(err)}`)
  }
  const hash = tx.hash()
  if (rules.isKnown(hash)) throw txPoolError(R.AlreadyKnown, M.alreadyKnown)
  let sender: Address
  try {
    sender = tx.getSenderAddress()
  } catch (err) {
    throw txPoolError(R.InvalidSender, M.invalidSender, err instanceof Error ? err.message : String(err))
  }

  // 7. gas and fees
  const intrinsic = tx.getIntrinsicGas()
  if (tx.gasLimit < intrinsic) throw txPoolError(R.IntrinsicGas, M.intrinsicGas, `gas ${tx.gasLimit}, minimum needed ${intrinsic}`)
  const floor = tx.getMinimumGasLimit()
  if (tx.gasLimit < floor) throw txPoolError(R.FloorDataGas, M.floorDataGas, `gas ${tx.gasLimit}, minimum needed ${floor}`)
  if (tipCap(tx) < rules.minTip) {
    throw txPoolError(R.GasPriceTooLow, M.gasPriceTooLow, `gas tip cap ${tipCap(tx)}, minimum needed ${rules.minTip}`)
  }

  // 8. blob fee and sidecar (KZG last: the expensive part)
  if (isBlob4844Tx(tx)) {
    if (tx.maxFeePerBlobGas < rules.minBlobFee) {
      throw txPoolError(R.GasPriceTooLow, M.gasPriceTooLow, `blob fee cap ${tx.maxFeePerBlobGas}, minimum needed ${rules.minBlobFee}`)
    }
    const osaka = common.isActivatedEIP(7594)
    if (sidecar!.version === 1 && !osaka) throw txPoolError(R.InvalidBlobTx, 'unexpected sidecar version, want: 0, got: 1')
    verifySidecar(sidecar!, tx.blobVersionedHashes, common.customCrypto.kzg as KZG)
  }
  return sidecar === undefined ? { tx, hash, sender } : { tx, hash, sender, sidecar }
}
