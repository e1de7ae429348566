// geth's gas price oracle (eth/gasprice): the suggested priority fee is a percentile of the lowest
// few effective tips of recent blocks; empty blocks repeat the last answer. Cached per head.
import { bytesToHex } from '@ethereumjs/util'
import type { EthOptions } from './context.ts'
import { effectiveGasTip } from './format.ts'
import type { ChainReader } from './resolve.ts'

const SAMPLE_NUMBER = 3

export class GasOracle {
  private readonly reader: ChainReader
  private readonly opts: EthOptions
  private lastHead = ''
  private lastPrice: bigint

  constructor(reader: ChainReader, opts: EthOptions) {
    this.reader = reader
    this.opts = opts
    this.lastPrice = opts.gpoDefaultPrice
  }

  /** The lowest SAMPLE_NUMBER tips (at least the ignore price, not from the block's own miner) of block `n`. */
  private async blockTips(n: bigint): Promise<bigint[]> {
    const block = await this.reader.blockByNumber(n)
    if (block === undefined) return []
    const base = block.header.baseFeePerGas
    const sorted = block.transactions
      .map((tx) => ({ tx, tip: effectiveGasTip(tx, base) }))
      .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
    const prices: bigint[] = []
    for (const { tx, tip } of sorted) {
      if (tip < this.opts.gpoIgnorePrice) continue
      if (tx.getSenderAddress().equals(block.header.coinbase)) continue
      prices.push(tip)
      if (prices.length >= SAMPLE_NUMBER) break
    }
    return prices
  }

  async suggestTipCap(): Promise<bigint> {
    const head = this.reader.head
    const headHash = bytesToHex(head.hash())
    if (headHash === this.lastHead) return this.lastPrice
    const { gpoBlocks, gpoPercentile, gpoMaxPrice } = this.opts
    let number = head.number
    const queue: bigint[] = []
    while (queue.length < gpoBlocks && number > 0n) queue.push(number--)
    const results: bigint[] = []
    while (queue.length > 0) {
      let values = await this.blockTips(queue.shift()!)
      if (values.length === 0) values = [this.lastPrice]
      // Too little data: look one block further back (at most twice the sample window).
      if (values.length === 1 && results.length + 1 + queue.length < gpoBlocks * 2 && number > 0n) queue.push(number--)
      results.push(...values)
    }
    let price = this.lastPrice
    if (results.length > 0) {
      results.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      price = results[Math.trunc(((results.length - 1) * gpoPercentile) / 100)]!
    }
    if (price > gpoMaxPrice) price = gpoMaxPrice
    this.lastHead = headHash
    this.lastPrice = price
    return price
  }
}
