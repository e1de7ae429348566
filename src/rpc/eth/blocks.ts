// Block methods: eth_blockNumber, eth_getBlockBy*, eth_getHeaderBy*, transaction counts and
// by-index lookups, uncles, and debug_getRaw{Header,Block}.
import type { Block } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { ServerError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import { formatBlock, formatHeader, formatTx, rawBlock, txLocation, type Json } from './format.ts'
import { arg, blockNumberJSON, blockNumberOrHashJSON, boolJSON, checkArity, hashJSON, toData, toQuantity, uintJSON } from './params.ts'

/** Go's `%d` of a common.Hash, as geth prints it in "header #%d not found". */
const goHashDecimal = (h: Uint8Array): string => `[${[...h].join(' ')}]`

/**
 * The block a BlockNumberOrHash names, for the debug_getRaw* methods. geth answers an unknown number
 * with an empty result but an unknown hash with `{what} #<hash as bytes> not found`.
 */
export async function debugBlock(env: EthEnv, params: unknown[], what: 'header' | 'block' | 'receipts'): Promise<Block | undefined> {
  checkArity(params, 1, 1)
  const b = arg(params, 0, blockNumberOrHashJSON)
  const block = await env.reader.blockByNumberOrHash(b)
  if (block === undefined && b.hash !== undefined && what !== 'receipts') throw new ServerError(`${what} #${goHashDecimal(b.hash)} not found`)
  return block
}

function txAt(block: Block | undefined, index: bigint): Json {
  if (block === undefined) return null
  if (index >= BigInt(block.transactions.length)) return null
  return formatTx(block.transactions[Number(index)]!, txLocation(block, Number(index)))
}

function rawTxAt(block: Block | undefined, index: bigint): Json {
  if (block === undefined || index >= BigInt(block.transactions.length)) return '0x'
  return toData(block.transactions[Number(index)]!.serialize())
}

function uncleAt(block: Block | undefined, index: bigint): Json {
  if (block === undefined || index >= BigInt(block.uncleHeaders.length)) return null
  const uncle = block.uncleHeaders[Number(index)]!
  const size = RLP.encode([uncle.raw(), [], []] as never).length
  const o = { ...formatHeader(uncle), size: toQuantity(size), uncles: [] }
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)))
}

export function blockMethods(env: EthEnv): Methods {
  const { reader } = env
  const byNumber = (params: unknown[]) => reader.blockByNumber(arg(params, 0, blockNumberJSON))
  const byHash = (params: unknown[]) => reader.blockByHash(arg(params, 0, hashJSON))
  return {
    eth_blockNumber: (params) => {
      checkArity(params, 0, 0)
      return toQuantity(reader.head.number)
    },
    eth_getBlockByNumber: async (params) => {
      checkArity(params, 2, 2)
      const fullTx = arg(params, 1, boolJSON)
      const block = await byNumber(params)
      return block === undefined ? null : formatBlock(block, fullTx)
    },
    eth_getBlockByHash: async (params) => {
      checkArity(params, 2, 2)
      const fullTx = arg(params, 1, boolJSON)
      const block = await byHash(params)
      return block === undefined ? null : formatBlock(block, fullTx)
    },
    eth_getHeaderByNumber: async (params) => {
      checkArity(params, 1, 1)
      const header = await reader.headerByNumber(arg(params, 0, blockNumberJSON))
      return header === undefined ? null : formatHeader(header)
    },
    eth_getHeaderByHash: async (params) => {
      checkArity(params, 1, 1)
      const header = await reader.headerByHash(arg(params, 0, hashJSON))
      return header === undefined ? null : formatHeader(header)
    },
    eth_getBlockTransactionCountByNumber: async (params) => {
      checkArity(params, 1, 1)
      const block = await byNumber(params)
      return block === undefined ? null : toQuantity(block.transactions.length)
    },
    eth_getBlockTransactionCountByHash: async (params) => {
      checkArity(params, 1, 1)
      const block = await byHash(params)
      return block === undefined ? null : toQuantity(block.transactions.length)
    },
    eth_getTransactionByBlockNumberAndIndex: async (params) => {
      checkArity(params, 2, 2)
      const index = arg(params, 1, uintJSON)
      return txAt(await byNumber(params), index)
    },
    eth_getTransactionByBlockHashAndIndex: async (params) => {
      checkArity(params, 2, 2)
      const index = arg(params, 1, uintJSON)
      return txAt(await byHash(params), index)
    },
    eth_getRawTransactionByBlockNumberAndIndex: async (params) => {
      checkArity(params, 2, 2)
      const index = arg(params, 1, uintJSON)
      return rawTxAt(await byNumber(params).catch(() => undefined), index)
    },
    eth_getRawTransactionByBlockHashAndIndex: async (params) => {
      checkArity(params, 2, 2)
      const index = arg(params, 1, uintJSON)
      return rawTxAt(await byHash(params), index)
    },
    eth_getUncleCountByBlockNumber: async (params) => {
      checkArity(params, 1, 1)
      const block = await byNumber(params)
      return block === undefined ? null : toQuantity(block.uncleHeaders.length)
    },
    eth_getUncleCountByBlockHash: async (params) => {
      checkArity(params, 1, 1)
      const block = await byHash(params)
      return block === undefined ? null : toQuantity(block.uncleHeaders.length)
    },
    eth_getUncleByBlockNumberAndIndex: async (params) => {
      checkArity(params, 2, 2)
      const index = arg(params, 1, uintJSON)
      return uncleAt(await byNumber(params), index)
    },
    eth_getUncleByBlockHashAndIndex: async (params) => {
      checkArity(params, 2, 2)
      const index = arg(params, 1, uintJSON)
      return uncleAt(await byHash(params), index)
    },
    debug_getRawHeader: async (params) => {
      const block = await debugBlock(env, params, 'header')
      if (block === undefined) return '0x'
      return toData(block.header.serialize())
    },
    debug_getRawBlock: async (params) => {
      const block = await debugBlock(env, params, 'block')
      if (block === undefined) return '0x'
      return toData(rawBlock(block))
    },
  }
}

