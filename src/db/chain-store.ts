// Blocks, receipts, the canonical index and the forkchoice pointers, over a KVStore. Reads are
// direct; writes are returned as BatchOps so a caller can commit a whole block import atomically.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { createBlockFromBytesArray, createBlockHeaderFromRLP } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import type { BlockBytes } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { blockBodyRlp } from '../exec/block-bytes.ts'
import { sharedTxDecodeCommon } from '../util/tx-common.ts'
import type { BatchOp, KVStore } from './interface.ts'
import { key, metaKey, MetaKey, Prefix, readU64be, u64be } from './keys.ts'
import { decodeReceipts, encodeReceipts, type StoredReceipt } from './receipts.ts'

export interface TxLocation {
  blockHash: Uint8Array
  index: number
}

export class ChainStore {
  readonly kv: KVStore
  readonly common: Common
  private readonly headerCache = new Map<string, BlockHeader>()

  constructor(kv: KVStore, common: Common) {
    this.kv = kv
    this.common = common
  }

  // ---- reads ----
  async getHeader(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const h = bytesToHex(hash)
    const cached = this.headerCache.get(h)
    if (cached !== undefined) return cached
    const raw = await this.kv.get(key(Prefix.Header, hash))
    if (raw === undefined) return undefined
    const header = createBlockHeaderFromRLP(raw, { common: this.common, setHardfork: true, skipConsensusFormatValidation: true })
    if (this.headerCache.size > 2048) this.headerCache.clear()
    this.headerCache.set(h, header)
    return header
  }

  async hasBlock(hash: Uint8Array): Promise<boolean> {
    return (await this.kv.get(key(Prefix.HashToNumber, hash))) !== undefined
  }

  async getBlock(hash: Uint8Array): Promise<Block | undefined> {
    const [header, body] = await Promise.all([this.kv.get(key(Prefix.Header, hash)), this.kv.get(key(Prefix.Body, hash))])
    if (header === undefined || body === undefined) return undefined
    const parts = RLP.decode(body) as unknown as Uint8Array[][]
    const values = [RLP.decode(header), ...parts] as unknown as BlockBytes
    // The transactions decoded over a Common with their params merged once, not once per transaction
    // (util/tx-common.ts: the library's way took ~50 ms for a 600-transaction block).
    return createBlockFromBytesArray(values, { common: sharedTxDecodeCommon(this.common), setHardfork: true, skipConsensusFormatValidation: true })
  }

  async getNumber(hash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.kv.get(key(Prefix.HashToNumber, hash))
    return v === undefined ? undefined : readU64be(v)
  }

  async getCanonicalHash(n: bigint): Promise<Uint8Array | undefined> {
    if (n < 0n) return undefined
    return this.kv.get(key(Prefix.Canonical, u64be(n)))
  }

  async getReceipts(hash: Uint8Array): Promise<StoredReceipt[] | undefined> {
    const v = await this.kv.get(key(Prefix.Receipts, hash))
    return v === undefined ? undefined : decodeReceipts(v)
  }

  async getMeta(name: MetaKey): Promise<Uint8Array | undefined> {
    return this.kv.get(metaKey(name))
  }

  async getTxLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const v = await this.kv.get(key(Prefix.TxLookup, txHash))
    if (v === undefined) return undefined
    return { blockHash: v.subarray(0, 32), index: new DataView(v.buffer, v.byteOffset + 32, 4).getUint32(0) }
  }

  async getStateDiffBytes(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.kv.get(key(Prefix.StateDiff, hash))
  }

  async getTotalDifficulty(hash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.kv.get(key(Prefix.TotalDifficulty, hash))
    return v === undefined ? undefined : BigInt(bytesToHex(v))
  }

  // ---- writes (as ops) ----
  blockOps(block: Block, receipts: StoredReceipt[] | undefined, ops: BatchOp[]): void {
    const hash = block.hash()
    ops.push({ type: 'put', key: key(Prefix.Header, hash), value: block.header.serialize() })
    ops.push({ type: 'put', key: key(Prefix.Body, hash), value: blockBodyRlp(block) })
    ops.push({ type: 'put', key: key(Prefix.HashToNumber, hash), value: u64be(block.header.number) })
    if (receipts !== undefined) ops.push({ type: 'put', key: key(Prefix.Receipts, hash), value: encodeReceipts(receipts) })
  }

  totalDifficultyOps(hash: Uint8Array, td: bigint, ops: BatchOp[]): void {
    const hex = td.toString(16)
    const bytes = Uint8Array.from(Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex'))
    ops.push({ type: 'put', key: key(Prefix.TotalDifficulty, hash), value: bytes })
  }

  canonicalOps(n: bigint, hash: Uint8Array | undefined, ops: BatchOp[]): void {
    const k = key(Prefix.Canonical, u64be(n))
    ops.push(hash === undefined ? { type: 'del', key: k } : { type: 'put', key: k, value: hash })
  }

  txLookupOps(block: Block, add: boolean, ops: BatchOp[]): void {
    const hash = block.hash()
    block.transactions.forEach((tx, i) => {
      const k = key(Prefix.TxLookup, tx.hash())
      if (!add) {
        ops.push({ type: 'del', key: k })
        return
      }
      const v = new Uint8Array(36)
      v.set(hash, 0)
      new DataView(v.buffer).setUint32(32, i)
      ops.push({ type: 'put', key: k, value: v })
    })
  }

  metaOps(name: MetaKey, value: Uint8Array, ops: BatchOp[]): void {
    ops.push({ type: 'put', key: metaKey(name), value })
  }

  stateDiffOps(hash: Uint8Array, diff: Uint8Array, ops: BatchOp[]): void {
    ops.push({ type: 'put', key: key(Prefix.StateDiff, hash), value: diff })
  }

  async commit(ops: BatchOp[]): Promise<void> {
    await this.kv.batch(ops)
  }
}

export { MetaKey }
