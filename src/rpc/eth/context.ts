// What the eth_* methods are built from: the chain (store, head, forkchoice pointers), the Common, an
// optional transaction pool, and the node's identity. Options carry geth's limits, with defaults.
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Chain } from '../../chain/chain.ts'
import type { CallRunner } from './call-runner.ts'

/** The transaction pool as the RPC layer sees it (src/txpool implements it). */
export interface EthTxPool {
  /** Validates and adds a raw (EIP-2718) transaction; resolves to its hash; throws an RpcError/ParallaxError when rejected. */
  add(raw: Uint8Array): Promise<Uint8Array>
  get(hash: Uint8Array): TypedTransaction | undefined
  /** Executable transactions, best first, for a block with this base fee. */
  pending(baseFee: bigint): TypedTransaction[]
}

export interface SyncProgress {
  startingBlock: bigint
  currentBlock: bigint
  highestBlock: bigint
}

export interface EthOptions {
  /** geth --rpc.gascap: the gas an eth_call / eth_estimateGas may use (0 = no cap). */
  gasCap: bigint
  /** geth --rpc.evmtimeout, in ms: an eth_call still running after this is aborted (0 = never). */
  evmTimeoutMs: number
  /** --rpc.max-blocks-per-filter (reth's; geth's rangelimit): the widest eth_getLogs block range (end - begin); 0 = unlimited. */
  logsRangeLimit: bigint
  /** --rpc.max-logs-per-response (reth's): the most logs one eth_getLogs answers; 0 = unlimited. */
  logsMaxResults: number
  /** geth --rpc.logquerylimit: the most addresses, or topics in one position, an eth_getLogs filter may list. */
  logsQueryLimit: number
  /** geth's gpo.maxheaderhistory / maxblockhistory: eth_feeHistory returns at most this many blocks. */
  feeHistoryMaxBlocks: number
  /** geth's gas price oracle: blocks sampled, percentile taken, tips ignored below, cap, and the start price. */
  gpoBlocks: number
  gpoPercentile: number
  gpoIgnorePrice: bigint
  gpoMaxPrice: bigint
  gpoDefaultPrice: bigint
  /** geth --rpc.txfeecap, in wei: eth_sendRawTransaction refuses a transaction whose fee cap exceeds it (0 = none). */
  txFeeCap: bigint
  /** geth --rpc.allow-unprotected-txs: accept legacy transactions without EIP-155 replay protection. */
  allowUnprotectedTxs: boolean
}

export const DEFAULT_ETH_OPTIONS: Readonly<EthOptions> = {
  gasCap: 50_000_000n,
  evmTimeoutMs: 5_000,
  logsRangeLimit: 100_000n,
  logsMaxResults: 20_000,
  logsQueryLimit: 1_000,
  feeHistoryMaxBlocks: 1_024,
  gpoBlocks: 20,
  gpoPercentile: 60,
  gpoIgnorePrice: 2n,
  gpoMaxPrice: 500_000_000_000n,
  gpoDefaultPrice: 1_000_000n,
  txFeeCap: 1_000_000_000_000_000_000n,
  allowUnprotectedTxs: false,
}

export interface EthContext {
  chain: Chain
  common: Common
  txpool?: EthTxPool
  networkId: bigint
  /** `Parallax/vX.Y.Z/linux-x64/node-vNN` */
  clientVersion: string
  /** false when in sync (the default when absent). */
  syncing?: () => false | SyncProgress
  /** Connected peers, for net_peerCount (0 when absent). */
  peerCount?: () => number
  options?: Partial<EthOptions>
  /** Runs the EVM work of eth_call & co. (the node's call worker pool); absent: in-process. */
  calls?: CallRunner
}

export function ethOptions(ctx: EthContext): EthOptions {
  return { ...DEFAULT_ETH_OPTIONS, ...ctx.options }
}
