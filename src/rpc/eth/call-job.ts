// One EVM job for the RPC (eth_call, eth_estimateGas, eth_createAccessList), as plain data that can
// cross to a worker thread, and the function that runs it over a state backend. The main thread
// decodes the parameters and picks the block; the job runs where the backend is (a call worker, or
// in-process for tests) and answers a result or throws the method's RpcError.
import type { BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { KVReader } from '../../db/interface.ts'
import type { HeaderByHash } from '../../exec/ancestors.ts'
import { createAccessList, type AccessListResult } from './access-list.ts'
import { callDefaults, toMessage, type BlockOverrides, type StateOverride, type TransactionArgs } from './call-args.ts'
import { ExecutionTimeoutError, RevertError, ServerError } from './errors.ts'
import { estimateGas } from './estimate.ts'
import { applyMessage, EvmTimeoutError, MessageError, prepareCall, type CallContext } from './evm-call.ts'
import { toData, toQuantity, type Hex } from './params.ts'
import { BlockGoneError, runParallelismJob, type BlockSource, type ParallelismJob, type ParallelismResult } from '../../parallelism/job.ts'
import type { Json } from './format.ts'
import { runTraceJob, type TraceJob } from '../debug/trace-job.ts'
import type { SimulateJob } from './simulate-args.ts'
import { runBuildBlockJob, type BuildBlockJob } from './testing-build.ts'
import { runSimulateJob } from './simulate.ts'

export type CallMethod = 'eth_call' | 'eth_estimateGas' | 'eth_createAccessList'
export type CallJobResult = Hex | AccessListResult | ParallelismResult | Json
/** Every job the call workers run: eth_call & co., parallax_blockParallelism, eth_simulateV1, testing_buildBlockV1, and the debug_trace* jobs (src/rpc/debug). */
export type RpcJob = CallJob | TraceJob | SimulateJob | BuildBlockJob

/** A job for the call workers: an EVM call, or parallax_blockParallelism's recorded re-execution. */
export type CallJob = EvmCallJob | ParallelismJob

export interface EvmCallJob {
  method: CallMethod
  args: TransactionArgs
  /** The block whose post-state the call runs on. */
  headerHash: Uint8Array
  stateOverride?: StateOverride
  blockOverrides?: BlockOverrides
  /** --rpc.gascap (0 = none). */
  gasCap: bigint
  /** --rpc.evmtimeout in ms (0 = none), for the error text. */
  timeoutMs: number
  /** Date.now() after which the EVM is aborted (Infinity = never); set when the call arrived. */
  deadline: number
  /** eth_createAccessList: the gas price oracle's tip, for fee defaults. */
  tipCap?: bigint
}

/** Where a job reads the chain: headers by hash, the state after a header, and the store itself (block building). */
export interface CallBackend {
  common: Common
  headerByHash: HeaderByHash
  stateAt(header: BlockHeader): Promise<MerkleStateManager>
  /** Blocks and their store, for parallax_blockParallelism's re-execution (absent: the method is unavailable). */
  blocks?: Pick<BlockSource, 'blockByHash' | 'base'>
  kv: KVReader
}

const MAX_UINT64 = (1n << 64n) - 1n

async function ethCall(cc: CallContext, job: EvmCallJob, chainId: bigint): Promise<Hex> {
  const { args } = job
  callDefaults(args, job.gasCap === 0n ? MAX_UINT64 : job.gasCap, cc.header.baseFeePerGas, chainId)
  const msg = toMessage(args, cc.header.baseFeePerGas)
  let res
  try {
    res = await applyMessage(cc, msg)
  } catch (err) {
    if (err instanceof MessageError) throw new ServerError(`err: ${err.message} (supplied gas ${msg.gasLimit})`)
    throw err
  }
  if (res.reverted) throw new RevertError(res.returnValue)
  if (res.failed) throw new ServerError(res.vmError ?? 'execution failed')
  return toData(res.returnValue)
}

/** Runs `job`; throws the RpcError the method answers with (an EVM past its deadline: geth's timeout text). */
export async function runCallJob(backend: CallBackend, job: RpcJob): Promise<CallJobResult> {
  if (job.method === 'debug_traceBlock' || job.method === 'debug_traceCall') return runTraceJob(backend, job)
  if (Date.now() > job.deadline) throw new ExecutionTimeoutError(job.timeoutMs)
  if (job.method === 'parallax_blockParallelism') {
    try {
      if (backend.blocks === undefined) throw new ServerError('block re-execution is not available here')
      return await runParallelismJob({ common: backend.common, headerByHash: backend.headerByHash, ...backend.blocks }, job)
    } catch (err) {
      if (err instanceof BlockGoneError) throw new ServerError(err.message)
      throw err
    }
  }
  if (job.method === 'eth_simulateV1') return runSimulateJob(backend, job)
  if (job.method === 'testing_buildBlockV1') return runBuildBlockJob(backend, job)
  const header = await backend.headerByHash(job.headerHash)
  if (header === undefined) throw new ServerError('header not found')
  const state = await backend.stateAt(header)
  const cc = await prepareCall(backend.common, backend.headerByHash, header, state, job.stateOverride, job.blockOverrides)
  cc.deadline = job.deadline
  const chainId = backend.common.chainId()
  try {
    switch (job.method) {
      case 'eth_call':
        return await ethCall(cc, job, chainId)
      case 'eth_estimateGas': {
        job.args.gas ??= 0n
        callDefaults(job.args, job.gasCap, cc.header.baseFeePerGas, chainId)
        return toQuantity(await estimateGas(cc, toMessage(job.args, cc.header.baseFeePerGas), job.gasCap))
      }
      case 'eth_createAccessList':
        return await createAccessList(cc, job.args, job.gasCap, chainId, job.tipCap ?? 0n)
    }
  } catch (err) {
    if (err instanceof EvmTimeoutError) throw new ExecutionTimeoutError(job.timeoutMs)
    throw err
  }
}
