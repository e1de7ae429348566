// The RPC limits an operator sets (geth's --rpc.* flags and their defaults, reth's eth_getLogs caps),
// in one object the CLI fills and the node hands to the servers, the eth_* methods and the call pool.
import { availableParallelism } from 'node:os'
import { DEFAULT_ETH_OPTIONS } from './eth/context.ts'
import { DEFAULT_MAX_BATCH, DEFAULT_MAX_BATCH_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './dispatch.ts'

export interface RpcLimits {
  /** --rpc.gascap: gas an eth_call / eth_estimateGas may use (0 = no cap). */
  gasCap: bigint
  /** --rpc.evmtimeout in ms (0 = none). */
  evmTimeoutMs: number
  /** --rpc.txfeecap in wei (0 = none). */
  txFeeCap: bigint
  /** --rpc.batch-request-limit (0 = none). */
  batchRequestLimit: number
  /** --rpc.batch-response-max-size in bytes (0 = none). */
  batchResponseMaxBytes: number
  /** --http.timeout in ms: an HTTP request's calls that have not answered by then get "request timed out" (0 = none). */
  requestTimeoutMs: number
  /** --rpc.max-blocks-per-filter (0 = none). */
  maxBlocksPerFilter: bigint
  /** --rpc.max-logs-per-response (0 = none). */
  maxLogsPerResponse: number
  /** --rpc.workers: worker threads for eth_call / eth_estimateGas / eth_createAccessList. */
  callWorkers: number
}

export const DEFAULT_RPC_LIMITS: Readonly<RpcLimits> = {
  gasCap: DEFAULT_ETH_OPTIONS.gasCap,
  evmTimeoutMs: DEFAULT_ETH_OPTIONS.evmTimeoutMs,
  txFeeCap: DEFAULT_ETH_OPTIONS.txFeeCap,
  batchRequestLimit: DEFAULT_MAX_BATCH,
  batchResponseMaxBytes: DEFAULT_MAX_BATCH_RESPONSE_BYTES,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  maxBlocksPerFilter: DEFAULT_ETH_OPTIONS.logsRangeLimit,
  maxLogsPerResponse: DEFAULT_ETH_OPTIONS.logsMaxResults,
  // Leave a core to the thread that serves the Engine API and executes blocks.
  callWorkers: Math.max(1, Math.min(4, availableParallelism() - 1)),
}
