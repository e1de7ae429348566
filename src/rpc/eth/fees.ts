// Fee methods: eth_gasPrice and eth_maxPriorityFeePerGas (geth's gas price oracle over recent blocks),
// eth_feeHistory (reward percentiles weighted by gas used), eth_baseFee and eth_blobBaseFee.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { Hardfork } from '@ethereumjs/common'
import { ServerError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import { effectiveGasTip, type Json } from './format.ts'
import { receiptsOf } from './transactions.ts'
import { arg, blockNumberJSON, checkArity, DecodeError, jsonKind, optArg, toQuantity, type BlockNumber } from './params.ts'

const MAX_PERCENTILES = 100
const INITIAL_BASE_FEE = 1_000_000_000n

/** math.HexOrDecimal64: a JSON number, or a string in hex (0x) or decimal. */
function hexOrDecimal64JSON(v: unknown): bigint {
  let text: string
  if (typeof v === 'number') text = String(v)
  else if (typeof v === 'string') text = v
  else throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type math.HexOrDecimal64`)
  const ok = /^0[xX][0-9a-fA-F]+$/.test(text) || /^[0-9]+$/.test(text)
  const n = ok ? BigInt(text) : -1n
  if (n < 0n || n >= 1n << 64n) throw new DecodeError(`invalid hex or decimal integer ${JSON.stringify(text)}`)
  return n
}

function percentilesJSON(v: unknown): number[] {
  if (!Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type []float64`)
  return v.map((x) => {
    if (typeof x !== 'number') throw new DecodeError(`json: cannot unmarshal ${jsonKind(x)} into Go value of type float64`)
    return x
  })
}

/** Go's %f. */
const goF = (x: number): string => x.toFixed(6)

/**
 * The base fee of the block after `h` (geth's eip1559.CalcBaseFee), undefined before London: the
 * value the payload builder uses. Not `hardforkIsActiveOnBlock`, which is false for a fork at block 0.
 */
export function nextBaseFee(env: EthEnv, h: BlockHeader): bigint | undefined {
  const london = env.ctx.common.hardforkBlock(Hardfork.London)
  if (london === null || h.number + 1n < london) return undefined
  if (h.baseFeePerGas === undefined) return INITIAL_BASE_FEE
  return h.calcNextBaseFee()
}

interface BlockFees {
  reward?: bigint[]
  baseFee: bigint
  nextBaseFee: bigint
  gasUsedRatio: number
  blobGasUsedRatio: number
  blobBaseFee: bigint
  nextBlobBaseFee: bigint
}

async function processBlock(env: EthEnv, header: BlockHeader, block: Block | undefined, percentiles: number[]): Promise<BlockFees> {
  const f: BlockFees = {
    baseFee: header.baseFeePerGas ?? 0n,
    nextBaseFee: nextBaseFee(env, header) ?? 0n,
    gasUsedRatio: Number(header.gasUsed) / Number(header.gasLimit),
    blobGasUsedRatio: 0,
    blobBaseFee: 0n,
    nextBlobBaseFee: 0n,
  }
  if (header.excessBlobGas !== undefined) {
    f.blobBaseFee = header.getBlobGasPrice()
    f.nextBlobBaseFee = header.calcNextBlobGasPrice(header.common)
  }
  if (header.blobGasUsed !== undefined) {
    const max = header.common.param('maxBlobGasPerBlock')
    if (max !== 0n) f.blobGasUsedRatio = Number(header.blobGasUsed) / Number(max)
  }
  if (percentiles.length === 0 || block === undefined) return f
  const txs = block.transactions
  if (txs.length === 0) {
    f.reward = percentiles.map(() => 0n)
    return f
  }
  const receipts = await receiptsOf(env, block)
  const sorter = txs.map((tx, i) => ({
    gasUsed: receipts[i]!.cumulativeGasUsed - (i === 0 ? 0n : receipts[i - 1]!.cumulativeGasUsed),
    reward: effectiveGasTip(tx, header.baseFeePerGas),
  }))
  sorter.sort((a, b) => (a.reward < b.reward ? -1 : a.reward > b.reward ? 1 : 0)) // stable
  let txIndex = 0
  let sumGasUsed = sorter[0]!.gasUsed
  f.reward = percentiles.map((p) => {
    const threshold = BigInt(Math.trunc((Number(header.gasUsed) * p) / 100))
    while (sumGasUsed < threshold && txIndex < txs.length - 1) {
      txIndex++
      sumGasUsed += sorter[txIndex]!.gasUsed
    }
    return sorter[txIndex]!.reward
  })
  return f
}

export function feeMethods(env: EthEnv): Methods {
  const { reader, opts } = env
  const suggestTipCap = (): Promise<bigint> => env.oracle.suggestTipCap()

  return {
    eth_maxPriorityFeePerGas: async (params) => {
      checkArity(params, 0, 0)
      return toQuantity(await suggestTipCap())
    },
    eth_gasPrice: async (params) => {
      checkArity(params, 0, 0)
      const tip = await suggestTipCap()
      return toQuantity(tip + (reader.head.baseFeePerGas ?? 0n))
    },
    eth_baseFee: (params) => {
      checkArity(params, 0, 0)
      const next = nextBaseFee(env, reader.head)
      return next === undefined ? null : toQuantity(next)
    },
    eth_blobBaseFee: (params) => {
      checkArity(params, 0, 0)
      const head = reader.head
      return head.excessBlobGas === undefined ? null : toQuantity(head.getBlobGasPrice())
    },
    eth_feeHistory: async (params) => {
      checkArity(params, 3, 3) // geth: the percentiles are a required (nil-able) argument
      let blocks = arg(params, 0, hexOrDecimal64JSON)
      const last: BlockNumber = arg(params, 1, blockNumberJSON)
      const percentiles = optArg(params, 2, percentilesJSON) ?? []
      const empty = { oldestBlock: '0x0', gasUsedRatio: null }
      if (blocks < 1n) return empty
      if (percentiles.length > MAX_PERCENTILES) throw new ServerError(`invalid reward percentile: over the query limit ${MAX_PERCENTILES}`)
      if (blocks > BigInt(opts.feeHistoryMaxBlocks)) blocks = BigInt(opts.feeHistoryMaxBlocks)
      percentiles.forEach((p, i) => {
        if (p < 0 || p > 100) throw new ServerError(`invalid reward percentile: ${goF(p)}`)
        if (i > 0 && p <= percentiles[i - 1]!) {
          throw new ServerError(`invalid reward percentile: #${i - 1}:${goF(percentiles[i - 1]!)} >= #${i}:${goF(p)}`)
        }
      })
      const head = reader.head.number
      if (typeof last === 'bigint' && last > head) throw new ServerError(`request beyond head block: requested ${last}, head ${head}`)
      const lastBlock = await reader.resolveNumber(last)
      if (lastBlock + 1n < blocks) blocks = lastBlock + 1n
      const oldest = lastBlock + 1n - blocks
      const fees: BlockFees[] = []
      for (let n = oldest; n <= lastBlock; n++) {
        const header = await reader.headerByNumber(n)
        if (header === undefined) break
        const block = percentiles.length > 0 ? await reader.blockByHash(header.hash()) : undefined
        fees.push(await processBlock(env, header, block, percentiles))
      }
      if (fees.length === 0) return empty
      const baseFeePerGas = [...fees.map((f) => f.baseFee), fees[fees.length - 1]!.nextBaseFee]
      const baseFeePerBlobGas = [...fees.map((f) => f.blobBaseFee), fees[fees.length - 1]!.nextBlobBaseFee]
      const out: { [k: string]: Json } = { oldestBlock: toQuantity(oldest) }
      if (percentiles.length > 0) out['reward'] = fees.map((f) => (f.reward ?? []).map(toQuantity))
      out['baseFeePerGas'] = baseFeePerGas.map(toQuantity)
      out['gasUsedRatio'] = fees.map((f) => f.gasUsedRatio)
      out['baseFeePerBlobGas'] = baseFeePerBlobGas.map(toQuantity)
      out['blobGasUsedRatio'] = fees.map((f) => f.blobGasUsedRatio)
      return out
    },
  }
}
