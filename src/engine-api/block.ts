// ExecutionPayload <-> @ethereumjs Block. Pure and synchronous: the transactions and withdrawals roots
// come from a small in-memory ordered-trie builder, the block hash from the header RLP.
//   payloadToBlock: the header first (so the block hash check never depends on decoding a transaction),
//   then every transaction decoded strictly; an undecodable one makes the payload INVALID.
//   blockToPayload: the inverse, for getPayload; versionedHashesOf: for newPayloadV3+'s blob check.
import { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import type { Input } from '@ethereumjs/rlp'
import { createTxFromRLP, isBlob4844Tx } from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'
import { KECCAK256_RLP, KECCAK256_RLP_ARRAY, createWithdrawal, equalsBytes, hexToBytes, intToBytes } from '@ethereumjs/util'
import type { Withdrawal as EjsWithdrawal } from '@ethereumjs/util'
import { sha256 } from '@noble/hashes/sha2.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { keccak256 } from '../util/keccak.ts'
import { rememberBlockRlp } from '../exec/block-bytes.ts'
import { txDecodeCommon } from '../util/tx-common.ts'
import { InvalidParamsError } from '../rpc/errors.ts'
import { InvalidBlockError, ParallaxError } from '../util/errors.ts'
import type { ExecutionPayload, ExecutionPayloadBody, Withdrawal } from './types.ts'

/**
 * The payload is not a valid block (consensus meaning: the engine answers INVALID). `hashMatches`
 * says whether the block hash was checked and matched before the fault was found: `false` means the
 * payload is first of all a block-hash mismatch (INVALID, latestValidHash null, not cached as invalid);
 * `undefined` means the header itself could not be built.
 */
export class InvalidPayloadError extends InvalidBlockError {
  readonly hashMatches: boolean | undefined
  /** The hash of the header built from the payload, when it could be built. */
  readonly computedHash: Uint8Array | undefined
  constructor(reason: 'header' | 'transaction' | 'body', message: string, computedHash?: Uint8Array, hashMatches?: boolean) {
    super(reason, message)
    this.computedHash = computedHash
    this.hashMatches = hashMatches
  }
}

export interface PayloadToBlockOptions {
  /** Any Common of the chain; the hardfork is set from the payload's number and timestamp. */
  common: Common
  /** newPayloadV3+'s `parentBeaconBlockRoot` (EIP-4788). */
  parentBeaconBlockRoot?: Uint8Array
  /** newPayloadV4+'s `executionRequests` (EIP-7685), as decoded. */
  executionRequests?: readonly Uint8Array[]
}

export interface PayloadBlock {
  block: Block
  /** Whether the block hash computed from the payload's fields equals `payload.blockHash`. */
  hashMatches: boolean
}

/** Which payload field (or newPayload param) is present or missing against the fork at the payload's timestamp. */
export function forkFieldMismatch(payload: ExecutionPayload, opts: PayloadToBlockOptions): string | undefined {
  const common = opts.common.copy()
  common.setHardforkBy({ blockNumber: payload.blockNumber, timestamp: payload.timestamp })
  const fields: [eip: number, name: string, given: boolean][] = [
    [4895, 'withdrawals', payload.withdrawals !== undefined],
    [4844, 'blobGasUsed', payload.blobGasUsed !== undefined],
    [4844, 'excessBlobGas', payload.excessBlobGas !== undefined],
    [4788, 'parentBeaconBlockRoot', opts.parentBeaconBlockRoot !== undefined],
    [7685, 'executionRequests', opts.executionRequests !== undefined],
    [7928, 'blockAccessList', payload.blockAccessList !== undefined],
    [7843, 'slotNumber', payload.slotNumber !== undefined],
  ]
  for (const [eip, name, given] of fields) {
    const active = common.isActivatedEIP(eip)
    if (active !== given) {
      return `${name}: ${given ? 'not allowed' : 'required'} under ${common.hardfork()} (block ${payload.blockNumber}, timestamp ${payload.timestamp})`
    }
  }
  return undefined
}

/**
 * The block a payload describes. Throws InvalidParamsError when the payload's fields do not fit the
 * fork at its timestamp (newPayloadV2's wrong structure; the handler should answer -38005 first where
 * the method version is the misfit), InvalidPayloadError when the header or a transaction is invalid,
 * and ParallaxError('KZG_MISSING') when the Common cannot decode blob transactions (our fault).
 */
export function payloadToBlock(payload: ExecutionPayload, opts: PayloadToBlockOptions): PayloadBlock {
  const misfit = forkFieldMismatch(payload, opts)
  if (misfit !== undefined) throw new InvalidParamsError(misfit)
  const withdrawals = payload.withdrawals?.map((w) => createWithdrawal(w))
  let header: BlockHeader
  try {
    header = new BlockHeader(
      {
        parentHash: payload.parentHash,
        uncleHash: KECCAK256_RLP_ARRAY,
        coinbase: payload.feeRecipient,
        stateRoot: payload.stateRoot,
        transactionsTrie: orderedTrieRoot(payload.transactions),
        receiptTrie: payload.receiptsRoot,
        logsBloom: payload.logsBloom,
        difficulty: 0n,
        number: payload.blockNumber,
        gasLimit: payload.gasLimit,
        gasUsed: payload.gasUsed,
        timestamp: payload.timestamp,
        extraData: payload.extraData,
        mixHash: payload.prevRandao,
        nonce: new Uint8Array(8),
        baseFeePerGas: payload.baseFeePerGas,
        ...(withdrawals !== undefined ? { withdrawalsRoot: orderedTrieRoot(withdrawals.map((w) => RLP.encode(w.raw()))) } : {}),
        ...(payload.blobGasUsed !== undefined ? { blobGasUsed: payload.blobGasUsed } : {}),
        ...(payload.excessBlobGas !== undefined ? { excessBlobGas: payload.excessBlobGas } : {}),
        ...(opts.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: opts.parentBeaconBlockRoot } : {}),
        ...(opts.executionRequests !== undefined ? { requestsHash: requestsHash(opts.executionRequests) } : {}),
        ...(payload.blockAccessList !== undefined ? { blockAccessListHash: keccak_256(payload.blockAccessList) } : {}),
        ...(payload.slotNumber !== undefined ? { slotNumber: payload.slotNumber } : {}),
      },
      { common: opts.common, setHardfork: true },
    )
  } catch (err) {
    throw new InvalidPayloadError('header', `invalid block header: ${messageOf(err)}`)
  }
  const hash = header.hash()
  const hashMatches = equalsBytes(hash, payload.blockHash)
  const txs = decodeTransactions(payload.transactions, txDecodeCommon(header.common), hash, hashMatches)
  try {
    const block = new Block(header, txs, [], withdrawals, { common: header.common })
    // The header's transactions and withdrawals roots were computed above from exactly these
    // encodings (each transaction re-encodes to its bytes): seed the block's cache with them, so
    // body validation does not rebuild both tries through @ethereumjs/mpt (~60-100 ms per 30M-gas block).
    const cache = (block as unknown as { cache: { txTrieRoot?: Uint8Array; withdrawalsTrieRoot?: Uint8Array } }).cache
    cache.txTrieRoot = header.transactionsTrie
    if (withdrawals !== undefined && header.withdrawalsRoot !== undefined) cache.withdrawalsTrieRoot = header.withdrawalsRoot
    // The block's RLP from the transactions' own bytes (typed ones are byte strings in a block body,
    // legacy ones lists): the parallel executor sends it to its workers (exec/block-bytes.ts).
    const body = payload.transactions.map((bytes) => (bytes[0]! >= 0xc0 ? (RLP.decode(bytes) as Uint8Array[]) : bytes))
    rememberBlockRlp(block, RLP.encode([header.raw(), body, [], ...(withdrawals !== undefined ? [withdrawals.map((w) => w.raw())] : [])]))
    return { block, hashMatches }
  } catch (err) {
    throw new InvalidPayloadError('body', `invalid block body: ${messageOf(err)}`, hash, hashMatches)
  }
}

/** Decodes EIP-2718 encodings strictly: each must decode and re-encode to the same bytes. */
function decodeTransactions(raw: readonly Uint8Array[], common: Common, hash: Uint8Array, hashMatches: boolean): TypedTransaction[] {
  const txs: TypedTransaction[] = []
  for (const [i, bytes] of raw.entries()) {
    if (bytes[0] === 3 && common.customCrypto.kzg === undefined && common.isActivatedEIP(4844)) {
      throw new ParallaxError('KZG_MISSING', 'the Common has no customCrypto.kzg, so blob transactions cannot be decoded')
    }
    let tx: TypedTransaction
    try {
      tx = createTxFromRLP(bytes, { common })
    } catch (err) {
      throw new InvalidPayloadError('transaction', `transaction ${i}: cannot decode: ${messageOf(err)}`, hash, hashMatches)
    }
    if (!equalsBytes(tx.serialize(), bytes)) {
      throw new InvalidPayloadError('transaction', `transaction ${i}: not canonically encoded`, hash, hashMatches)
    }
    txs.push(tx)
  }
  return txs
}

/** EIP-7685 requests commitment: sha256 of the sha256 of each request longer than its type byte. */
export function requestsHash(requests: readonly Uint8Array[]): Uint8Array {
  const h = sha256.create()
  for (const r of requests) if (r.length > 1) h.update(sha256(r))
  return h.digest()
}

// ---- ordered trie root (keys rlp(0), rlp(1), ...) built in memory ----

interface TrieItem {
  key: number[]
  value: Uint8Array
}

function nibbles(bytes: Uint8Array): number[] {
  const out: number[] = []
  for (const b of bytes) out.push(b >> 4, b & 15)
  return out
}

/** Hex-prefix encoding of a nibble path (Yellow Paper appendix C). */
function hexPrefix(path: readonly number[], leaf: boolean): Uint8Array {
  const odd = path.length % 2
  const flag = (leaf ? 2 : 0) + odd
  const all = odd === 1 ? [flag, ...path] : [flag, 0, ...path]
  const out = new Uint8Array(all.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = (all[2 * i]! << 4) | all[2 * i + 1]!
  return out
}

/** A child reference: the node itself when its encoding is shorter than 32 bytes, else its hash. */
function ref(node: Input[]): Input {
  const enc = RLP.encode(node)
  return enc.length < 32 ? node : keccak256(enc)
}

/** The node over items[lo, hi) (sorted, distinct keys, hi - lo >= 1) whose paths start at `depth`. */
function trieNode(items: readonly TrieItem[], lo: number, hi: number, depth: number): Input[] {
  const first = items[lo]!
  if (hi - lo === 1) return [hexPrefix(first.key.slice(depth), true), first.value]
  const last = items[hi - 1]!.key
  let p = depth
  while (p < first.key.length && p < last.length && first.key[p] === last[p]) p++
  if (p > depth) return [hexPrefix(first.key.slice(depth, p), false), ref(trieNode(items, lo, hi, p))]
  const branch: Input[] = Array.from({ length: 17 }, () => new Uint8Array())
  let i = lo
  if (first.key.length === depth) branch[16] = items[i++]!.value
  while (i < hi) {
    const nib = items[i]!.key[depth]!
    let j = i + 1
    while (j < hi && items[j]!.key[depth] === nib) j++
    branch[nib] = ref(trieNode(items, i, j, depth + 1))
    i = j
  }
  return branch
}

function compareKeys(a: TrieItem, b: TrieItem): number {
  const n = Math.min(a.key.length, b.key.length)
  for (let i = 0; i < n; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!
  return a.key.length - b.key.length
}

/** Root of the trie mapping rlp(i) to values[i]: transactionsRoot, withdrawalsRoot, receiptsRoot. */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  if (values.length === 0) return KECCAK256_RLP
  const items = values.map((value, i) => ({ key: nibbles(RLP.encode(i === 0 ? new Uint8Array() : intToBytes(i))), value }))
  items.sort(compareKeys)
  return keccak256(RLP.encode(trieNode(items, 0, items.length, 0)))
}

// ---- block -> payload ----

function toWithdrawal(w: EjsWithdrawal): Withdrawal {
  return { index: w.index, validatorIndex: w.validatorIndex, address: w.address.bytes, amount: w.amount }
}

export interface PayloadExtras {
  /** The RLP-encoded block access list of an Amsterdam block (the block itself carries only its hash). */
  blockAccessList?: Uint8Array
}

/**
 * The payload of a block (getPayload). Fields of later forks are present exactly when the header has
 * them; `blockAccessList` comes from `extras` and must match the header's hash (else a ParallaxError:
 * a bug of ours).
 */
export function blockToPayload(block: Block, extras: PayloadExtras = {}): ExecutionPayload {
  const h = block.header
  if (h.baseFeePerGas === undefined) throw new ParallaxError('NOT_A_PAYLOAD', `block ${h.number} predates London: no execution payload`)
  const payload: ExecutionPayload = {
    parentHash: h.parentHash,
    feeRecipient: h.coinbase.bytes,
    stateRoot: h.stateRoot,
    receiptsRoot: h.receiptTrie,
    logsBloom: h.logsBloom,
    prevRandao: h.mixHash,
    blockNumber: h.number,
    gasLimit: h.gasLimit,
    gasUsed: h.gasUsed,
    timestamp: h.timestamp,
    extraData: h.extraData,
    baseFeePerGas: h.baseFeePerGas,
    blockHash: block.hash(),
    transactions: block.transactions.map((tx) => tx.serialize()),
  }
  if (h.withdrawalsRoot !== undefined) payload.withdrawals = (block.withdrawals ?? []).map(toWithdrawal)
  if (h.blobGasUsed !== undefined) payload.blobGasUsed = h.blobGasUsed
  if (h.excessBlobGas !== undefined) payload.excessBlobGas = h.excessBlobGas
  if (h.blockAccessListHash !== undefined && extras.blockAccessList !== undefined) {
    if (!equalsBytes(keccak_256(extras.blockAccessList), h.blockAccessListHash)) {
      throw new ParallaxError('BAL_MISMATCH', `block ${h.number}: the block access list given does not hash to the header's blockAccessListHash`)
    }
    payload.blockAccessList = extras.blockAccessList
  }
  if (h.slotNumber !== undefined) payload.slotNumber = h.slotNumber
  return payload
}

/** ExecutionPayloadBodyV1/V2 of a stored block (getPayloadBodiesByHash/Range). */
export function blockToPayloadBody(block: Block, extras: { blockAccessList?: Uint8Array | null } = {}): ExecutionPayloadBody {
  return {
    transactions: block.transactions.map((tx) => tx.serialize()),
    withdrawals: block.header.withdrawalsRoot === undefined ? null : (block.withdrawals ?? []).map(toWithdrawal),
    blockAccessList: extras.blockAccessList ?? null,
  }
}

/** The blob versioned hashes of the block's type-3 transactions, flattened in order (newPayloadV3+). */
export function versionedHashesOf(block: Block): Uint8Array[] {
  const out: Uint8Array[] = []
  for (const tx of block.transactions) {
    if (isBlob4844Tx(tx)) for (const h of tx.blobVersionedHashes) out.push(hexToBytes(h))
  }
  return out
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
