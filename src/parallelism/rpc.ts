// parallax_blockParallelism(block [, {keys}]): one block's conflict DAG and what limits its
// parallelism (types.ts has the answer's shape). The main thread only resolves the block and merges
// the executor's record; the re-execution that records every transaction's reads and writes, and the
// DAG built from them, are a job for the RPC call workers (job.ts), whose answer is cached per block.
import { bytesToHex } from '@ethereumjs/util'
import type { Chain } from '../chain/chain.ts'
import { InvalidParamsError } from '../rpc/errors.ts'
import type { CallRunner } from '../rpc/eth/call-runner.ts'
import { arg, blockNumberOrHashJSON, checkArity, optArg, type BlockNumberOrHash } from '../rpc/eth/params.ts'
import { ChainReader } from '../rpc/eth/resolve.ts'
import { ServerError } from '../rpc/eth/errors.ts'
import type { RpcHandler } from '../rpc/types.ts'
import { blockReport, withExecutor } from './block.ts'
import type { ParallelismResult } from './job.ts'
import type { ExecutorRecords } from './records.ts'
import type { BlockParallelismRpc } from './types.ts'

export interface ParallaxMethodsContext {
  chain: Chain
  /** Where the re-executions run (the node's call worker pool). */
  calls: CallRunner
  /** The executor's records of the blocks it ran in parallel (absent: re-execution only). */
  records?: ExecutorRecords
  /** How long one block's re-execution may take (ms). */
  timeoutMs?: number
  /** Analyses kept (per block and options). */
  cacheSize?: number
}

export const DEFAULT_PARALLELISM_TIMEOUT_MS = 60_000

export interface BlockParallelismOptions {
  keys: boolean
}

function optionsJSON(v: unknown): BlockParallelismOptions {
  if (v === null) return { keys: false }
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidParamsError('invalid argument 1: expected an object like {"keys": true}')
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'keys') throw new InvalidParamsError(`invalid argument 1: unknown field "${k}"`)
  if (o['keys'] !== undefined && typeof o['keys'] !== 'boolean') throw new InvalidParamsError('invalid argument 1: "keys" must be a boolean')
  return { keys: o['keys'] === true }
}

/** The block analysis as a function (the RPC method, the metrics monitor and `parallax analyze` share it). */
export type BlockParallelism = (block: BlockNumberOrHash, opts?: BlockParallelismOptions) => Promise<BlockParallelismRpc>

export function createParallelism(ctx: ParallaxMethodsContext): { analyse: BlockParallelism; methods: Map<string, RpcHandler> } {
  const reader = new ChainReader(ctx.chain)
  const cache = new Map<string, Promise<ParallelismResult>>()
  const capacity = ctx.cacheSize ?? 64
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_PARALLELISM_TIMEOUT_MS

  const analysis = (hash: Uint8Array, timeSequential: boolean, keys: boolean): Promise<ParallelismResult> => {
    const key = `${bytesToHex(hash)}:${timeSequential}:${keys}`
    let p = cache.get(key)
    if (p === undefined) {
      p = ctx.calls.run({ method: 'parallax_blockParallelism', blockHash: hash, timeSequential, keys, timeoutMs, deadline: Date.now() + timeoutMs }) as Promise<ParallelismResult>
      p.catch(() => cache.delete(key)) // a failure is not remembered
      cache.set(key, p)
      while (cache.size > capacity) cache.delete(cache.keys().next().value!)
    }
    return p
  }

  const analyse: BlockParallelism = async (which, opts = { keys: false }) => {
    const block = await reader.blockByNumberOrHash(which)
    if (block === undefined) throw new ServerError('block not found')
    const hash = block.hash()
    const executor = ctx.records?.get(hash)
    if (block.transactions.length === 0) return blockReport(block, { txs: [] }, executor, opts)
    const res = await analysis(hash, executor !== undefined, opts.keys)
    return withExecutor(res.report, executor, res.sequentialMs)
  }

  const methods = new Map<string, RpcHandler>([
    [
      'parallax_blockParallelism',
      async (params) => {
        checkArity(params, 1, 2)
        const b = arg(params, 0, blockNumberOrHashJSON)
        const opts = optArg(params, 1, optionsJSON) ?? { keys: false }
        return analyse(b, opts)
      },
    ],
  ])
  return { analyse, methods }
}
