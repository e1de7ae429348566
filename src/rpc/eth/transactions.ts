// Transactions and receipts: eth_getTransactionByHash (mined or pooled), eth_getRawTransactionByHash,
// eth_getTransactionReceipt, eth_getBlockReceipts, eth_sendRawTransaction, debug_getRawReceipts,
// debug_getRawTransaction.
import type { Block } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { bytesToBigInt } from '@ethereumjs/util'
import { GAS_PER_BLOB } from '../../../config/index.ts'
import type { StoredReceipt } from '../../db/receipts.ts'
import { debugBlock } from './blocks.ts'
import { ServerError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import { encodeReceipt, formatReceipt, formatTx, txLocation, type JsonObject } from './format.ts'
import { arg, blockNumberOrHashJSON, bytesJSON, checkArity, hashJSON, toData } from './params.ts'

export async function receiptsOf(env: EthEnv, block: Block): Promise<StoredReceipt[]> {
  const stored = await env.ctx.chain.store.getReceipts(block.hash())
  if (stored !== undefined) return stored
  if (block.transactions.length === 0) return []
  throw new ServerError(`receipts of block ${toData(block.hash())} are missing`)
}

/** The JSON receipts of a whole block (logIndex runs across the block). */
export function formatBlockReceipts(block: Block, receipts: StoredReceipt[]): JsonObject[] {
  if (receipts.length !== block.transactions.length) {
    throw new ServerError(`receipts length mismatch: ${block.transactions.length} vs ${receipts.length}`)
  }
  const blobGasPrice = block.header.excessBlobGas !== undefined ? block.header.getBlobGasPrice() : undefined
  const out: JsonObject[] = []
  let logOffset = 0
  for (let i = 0; i < receipts.length; i++) {
    out.push(formatReceipt({ block, receipts, index: i, logOffset, blobGasPerBlob: GAS_PER_BLOB, ...(blobGasPrice !== undefined ? { blobGasPrice } : {}) }))
    logOffset += receipts[i]!.logs.length
  }
  return out
}

/** The canonical block and index of a mined transaction. */
export async function findTx(env: EthEnv, hash: Uint8Array): Promise<{ block: Block; index: number } | undefined> {
  const loc = await env.ctx.chain.store.getTxLocation(hash)
  if (loc === undefined) return undefined
  const block = await env.reader.blockByHash(loc.blockHash)
  if (block === undefined || loc.index >= block.transactions.length) return undefined
  return { block, index: loc.index }
}

/** The fee cap, gas and replay protection of a raw transaction, read without decoding it fully (undefined if malformed). */
export function peekTx(raw: Uint8Array): { gasPrice: bigint; gas: bigint; isProtected: boolean } | undefined {
  try {
    const int = (b: unknown): bigint => (b instanceof Uint8Array && b.length > 0 ? bytesToBigInt(b) : 0n)
    if (raw.length === 0) return undefined
    if (raw[0]! >= 0xc0) {
      const f = RLP.decode(raw) as unknown[]
      const v = int(f[6])
      return { gasPrice: int(f[1]), gas: int(f[2]), isProtected: !(v === 27n || v === 28n || v === 0n || v === 1n) }
    }
    let f = RLP.decode(raw.subarray(1)) as unknown[]
    if (Array.isArray(f[0])) f = f[0] as unknown[] // blob network wrapper: [tx, blobs, commitments, proofs]
    if (raw[0] === 1) return { gasPrice: int(f[2]), gas: int(f[3]), isProtected: true }
    return { gasPrice: int(f[3]), gas: int(f[4]), isProtected: true }
  } catch {
    return undefined
  }
}

export function transactionMethods(env: EthEnv): Methods {
  const rawByHash = async (params: unknown[]) => {
    checkArity(params, 1, 1)
    const hash = arg(params, 0, hashJSON)
    const found = await findTx(env, hash)
    if (found !== undefined) return toData(found.block.transactions[found.index]!.serialize())
    const pooled = env.ctx.txpool?.get(hash)
    return pooled === undefined ? '0x' : toData(pooled.serialize())
  }
  return {
    eth_getTransactionByHash: async (params) => {
      checkArity(params, 1, 1)
      const hash = arg(params, 0, hashJSON)
      const found = await findTx(env, hash)
      if (found !== undefined) return formatTx(found.block.transactions[found.index]!, txLocation(found.block, found.index))
      const pooled = env.ctx.txpool?.get(hash)
      return pooled === undefined ? null : formatTx(pooled)
    },
    eth_getRawTransactionByHash: rawByHash,
    debug_getRawTransaction: rawByHash,
    eth_getTransactionReceipt: async (params) => {
      checkArity(params, 1, 1)
      const hash = arg(params, 0, hashJSON)
      const found = await findTx(env, hash)
      if (found === undefined) return null
      const receipts = await receiptsOf(env, found.block)
      return formatBlockReceipts(found.block, receipts)[found.index]!
    },
    eth_getBlockReceipts: async (params) => {
      checkArity(params, 1, 1)
      const block = await env.reader.blockByNumberOrHash(arg(params, 0, blockNumberOrHashJSON))
      if (block === undefined) return null
      return formatBlockReceipts(block, await receiptsOf(env, block))
    },
    debug_getRawReceipts: async (params) => {
      const block = await debugBlock(env, params, 'receipts')
      if (block === undefined) {
        // geth looks receipts up by hash: an unknown hash gives [], an unknown number null.
        return arg(params, 0, blockNumberOrHashJSON).hash !== undefined ? [] : null
      }
      return (await receiptsOf(env, block)).map((r) => toData(encodeReceipt(r)))
    },
    eth_sendRawTransaction: async (params) => {
      checkArity(params, 1, 1)
      const raw = arg(params, 0, bytesJSON)
      const pool = env.ctx.txpool
      if (pool === undefined) throw new ServerError('transaction pool is not available')
      const fields = peekTx(raw)
      if (fields !== undefined) {
        const cap = env.opts.txFeeCap
        if (cap > 0n && fields.gasPrice * fields.gas > cap) {
          const ether = (wei: bigint): string => (Number(wei) / 1e18).toFixed(2)
          throw new ServerError(`tx fee (${ether(fields.gasPrice * fields.gas)} ether) exceeds the configured cap (${ether(cap)} ether)`)
        }
        if (!env.opts.allowUnprotectedTxs && !fields.isProtected) {
          throw new ServerError('only replay-protected (EIP-155) transactions allowed over RPC')
        }
      }
      return toData(await pool.add(raw))
    },
  }
}
