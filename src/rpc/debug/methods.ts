// debug_traceTransaction, debug_traceBlockByNumber, debug_traceBlockByHash, debug_traceBlock (RLP),
// debug_traceCall and debug_getBadBlocks. Parameters are decoded and blocks found here, on the main
// thread; the re-execution is a TraceJob for the context's CallRunner (the node's RPC worker
// threads). A job's overall deadline allows each of its traced transactions its own `timeout`.
import { createBlockFromRLP, type Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { transactionArgsJSON } from '../eth/call-args.ts'
import { ServerError } from '../eth/errors.ts'
import type { EthEnv, Methods } from '../eth/env.ts'
import { formatBlock, type Json } from '../eth/format.ts'
import { arg, blockNumberJSON, blockNumberOrHashJSON, bytesJSON, checkArity, hashJSON, LATEST, optArg, toData } from '../eth/params.ts'
import { findTx } from '../eth/transactions.ts'
import { traceCallConfigJSON, traceConfigJSON } from './trace-config.ts'
import type { TraceBlockJob } from './trace-job.ts'
import type { TraceOptions } from './tracer.ts'

/** The job's deadline: every traced transaction may use its whole `timeout`; the evmtimeout bounds a single call. */
function jobDeadline(arrived: number, options: TraceOptions, traced: number): number {
  if (options.timeoutMs <= 0) return Infinity
  return arrived + options.timeoutMs * Math.max(1, traced) + 1000
}

/** Traces `block` (or only its transaction `txIndex`) in the call workers with `options`. */
export async function runBlockTrace(env: EthEnv, block: Block, options: TraceOptions, arrived: number, txIndex?: number): Promise<Json> {
  const job: TraceBlockJob = {
    method: 'debug_traceBlock',
    blockRlp: block.serialize(),
    options,
    deadline: jobDeadline(arrived, options, txIndex === undefined ? block.transactions.length : 1),
    timeoutMs: options.timeoutMs,
    ...(txIndex !== undefined ? { txIndex } : {}),
  }
  return (await env.calls.run(job)) as Json
}

export function debugMethods(env: EthEnv): Methods {
  const { reader, opts } = env
  const traceBlock = (block: Block, options: TraceOptions, arrived: number, txIndex?: number): Promise<Json> => runBlockTrace(env, block, options, arrived, txIndex)

  /** debug_traceBlockBy*: the block `find` names, traced whole. */
  const byBlock = <T>(decode: (v: unknown) => T, find: (key: T) => Promise<Block | undefined>, missing: (key: T) => string) => async (params: unknown[]): Promise<Json> => {
    const arrived = Date.now()
    checkArity(params, 1, 2)
    const key = arg(params, 0, decode)
    const options = optArg(params, 1, traceConfigJSON) ?? traceConfigJSON({})
    const block = await find(key)
    if (block === undefined) throw new ServerError(missing(key))
    return traceBlock(block, options, arrived)
  }

  return {
    debug_traceTransaction: async (params) => {
      const arrived = Date.now()
      checkArity(params, 1, 2)
      const hash = arg(params, 0, hashJSON)
      const options = optArg(params, 1, traceConfigJSON) ?? traceConfigJSON({})
      const found = await findTx(env, hash)
      if (found === undefined) throw new ServerError('transaction not found')
      if (found.block.header.number === 0n) throw new ServerError('genesis is not traceable')
      return traceBlock(found.block, options, arrived, found.index)
    },
    debug_traceBlockByNumber: byBlock(blockNumberJSON, (n) => reader.blockByNumber(n), (n) => `block #${String(n)} not found`),
    debug_traceBlockByHash: byBlock(hashJSON, (h) => reader.blockByHash(h), (h) => `block ${bytesToHex(h)} not found`),
    debug_traceBlock: async (params) => {
      const arrived = Date.now()
      checkArity(params, 1, 2)
      const rlp = arg(params, 0, bytesJSON)
      const options = optArg(params, 1, traceConfigJSON) ?? traceConfigJSON({})
      let block: Block
      try {
        block = createBlockFromRLP(rlp, { common: env.ctx.common.copy(), setHardfork: true, skipConsensusFormatValidation: true })
      } catch (err) {
        throw new ServerError(`could not decode block: ${err instanceof Error ? err.message : String(err)}`)
      }
      return traceBlock(block, options, arrived)
    },
    debug_traceCall: async (params) => {
      const arrived = Date.now()
      checkArity(params, 1, 3)
      const args = arg(params, 0, transactionArgsJSON)
      const b = optArg(params, 1, blockNumberOrHashJSON) ?? LATEST
      const config = optArg(params, 2, traceCallConfigJSON) ?? traceCallConfigJSON({})
      const header = await reader.stateHeader(b)
      const timeoutMs = Math.max(config.options.timeoutMs, opts.evmTimeoutMs)
      return env.calls.run({
        method: 'debug_traceCall',
        args,
        headerHash: header.hash(),
        options: config.options,
        gasCap: opts.gasCap,
        timeoutMs,
        deadline: timeoutMs > 0 ? arrived + timeoutMs + 1000 : Infinity,
        ...(config.stateOverride !== undefined ? { stateOverride: config.stateOverride } : {}),
        ...(config.blockOverrides !== undefined ? { blockOverrides: config.blockOverrides } : {}),
      }) as Promise<Json>
    },
    debug_getBadBlocks: (params) => {
      checkArity(params, 0, 0)
      return env.ctx.chain.invalid.badBlocks().map((block) => ({
        hash: bytesToHex(block.hash()),
        block: formatBlock(block, true),
        rlp: toData(block.serialize()),
      }))
    },
  }
}

