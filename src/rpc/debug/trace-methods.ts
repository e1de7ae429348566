// The parity-style `trace` namespace (OpenEthereum, Erigon, reth; Blockscout and Otterscan-era tools
// call it): trace_block, trace_transaction, trace_replayBlockTransactions and trace_filter. Every
// trace is derived from the call tracer's frames by the flatCallTracer converter (flat-call.ts), in
// the RPC call workers (a block job per block); blocks before the merge add their reward traces.
// vmTrace (OpenEthereum's per-opcode VM trace) is refused: no client in the execution-apis set
// serves it and it is not derived from the call tracer.
import type { Block } from '@ethereumjs/block'
import { ConsensusType } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { paramsVM } from '@ethereumjs/vm'
import { InvalidParamsError } from '../errors.ts'
import { ServerError } from '../eth/errors.ts'
import type { EthEnv, Methods } from '../eth/env.ts'
import type { Json, JsonObject } from '../eth/format.ts'
import { addressJSON, arg, blockNumberJSON, blockNumberOrHashJSON, checkArity, DecodeError, hashJSON, jsonKind, toQuantity, uint64JSON, type BlockNumber } from '../eth/params.ts'
import { findTx } from '../eth/transactions.ts'
import { runBlockTrace } from './methods.ts'
import { DEFAULT_TRACE_OPTIONS, type TraceOptions } from './tracer.ts'

/** The most blocks one trace_filter call walks. */
export const TRACE_FILTER_MAX_BLOCKS = 1000n

/** One transaction's answer from the parity tracer. */
interface ParityResult {
  output: string
  stateDiff: JsonObject | null
  trace: JsonObject[]
}

const REPLAY_TYPES = new Set(['trace', 'stateDiff', 'vmTrace'])

function parityOptions(stateDiff: boolean): TraceOptions {
  return { ...DEFAULT_TRACE_OPTIONS, tracer: 'parityTracer', diffMode: stateDiff }
}

/** Block and uncle reward traces of a block before the merge (none after it). */
export function rewardTraces(env: EthEnv, block: Block): JsonObject[] {
  const common = env.ctx.common.copy()
  common.updateParams(paramsVM) // minerReward lives in the VM's parameters
  const h = block.header
  common.setHardforkBy({ blockNumber: h.number, timestamp: h.timestamp })
  if (common.consensusType() !== ConsensusType.ProofOfWork || h.difficulty === 0n) return []
  const reward = common.param('minerReward')
  const trace = (author: string, value: bigint, rewardType: string): JsonObject => ({
    action: { author, rewardType, value: toQuantity(value) },
    blockHash: bytesToHex(block.hash()),
    blockNumber: Number(h.number),
    result: null,
    subtraces: 0,
    traceAddress: [],
    transactionHash: null,
    transactionPosition: null,
    type: 'reward',
  })
  const out = [trace(h.coinbase.toString(), reward + (reward / 32n) * BigInt(block.uncleHeaders.length), 'block')]
  for (const u of block.uncleHeaders) out.push(trace(u.coinbase.toString(), ((u.number + 8n - h.number) * reward) / 8n, 'uncle'))
  return out
}

interface TraceFilter {
  fromBlock: BlockNumber
  toBlock: BlockNumber
  fromAddress: Set<string>
  toAddress: Set<string>
  after: number
  count?: number
}

function addressSet(v: unknown, field: string): Set<string> {
  if (v === undefined || v === null) return new Set()
  if (!Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field TraceFilter.${field} of type []common.Address`)
  return new Set(v.map((a) => bytesToHex(addressJSON(a, { struct: 'TraceFilter', field }))))
}

function traceFilterJSON(v: unknown): TraceFilter {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type TraceFilter`)
  const o = v as Record<string, unknown>
  // OpenEthereum takes after/count as JSON numbers; hex quantities are accepted too.
  const num = (k: string): number | undefined => {
    const x = o[k]
    if (x === undefined || x === null) return undefined
    if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) return x
    return Number(uint64JSON(x, { struct: 'TraceFilter', field: k }))
  }
  const count = num('count')
  return {
    fromBlock: o['fromBlock'] === undefined || o['fromBlock'] === null ? 'latest' : blockNumberJSON(o['fromBlock']),
    toBlock: o['toBlock'] === undefined || o['toBlock'] === null ? 'latest' : blockNumberJSON(o['toBlock']),
    fromAddress: addressSet(o['fromAddress'], 'fromAddress'),
    toAddress: addressSet(o['toAddress'], 'toAddress'),
    after: num('after') ?? 0,
    ...(count !== undefined ? { count } : {}),
  }
}

/** A trace as trace_replay* answers it: without the block and transaction fields. */
function replayTrace(tr: JsonObject): JsonObject {
  const { blockHash: _h, blockNumber: _n, transactionHash: _t, transactionPosition: _p, ...rest } = tr
  return rest
}

/** OpenEthereum's address matching: the sender side and the receiving side of a trace. */
function matches(trace: JsonObject, f: TraceFilter): boolean {
  const action = trace['action'] as JsonObject
  const result = trace['result'] as JsonObject | null | undefined
  const from = (action['from'] ?? action['address']) as string | undefined
  const to = (action['to'] ?? action['refundAddress'] ?? action['author'] ?? result?.['address']) as string | undefined
  const fromOk = f.fromAddress.size === 0 || (from !== undefined && f.fromAddress.has(from.toLowerCase()))
  const toOk = f.toAddress.size === 0 || (to !== undefined && f.toAddress.has(to.toLowerCase()))
  return fromOk && toOk
}

export function traceMethods(env: EthEnv): Methods {
  const { reader } = env

  /** Every transaction of `block` through the parity tracer; one that could not be traced (timeout) fails the call. */
  const replay = async (block: Block, stateDiff: boolean, arrived: number): Promise<{ txHash: string; result: ParityResult }[]> => {
    const out = (await runBlockTrace(env, block, parityOptions(stateDiff), arrived)) as unknown as { txHash: string; result?: ParityResult; error?: string }[]
    for (const r of out) if (r.result === undefined) throw new ServerError(`transaction ${r.txHash}: ${r.error ?? 'not traced'}`)
    return out as { txHash: string; result: ParityResult }[]
  }

  /** Every trace of a block: its transactions' in order, then its rewards. */
  const blockTraces = async (block: Block, arrived: number): Promise<JsonObject[]> => {
    const out: JsonObject[] = []
    if (block.transactions.length > 0) for (const r of await replay(block, false, arrived)) out.push(...r.result.trace)
    out.push(...rewardTraces(env, block))
    return out
  }

  return {
    trace_block: async (params) => {
      const arrived = Date.now()
      checkArity(params, 1, 1)
      const block = await reader.blockByNumberOrHash(arg(params, 0, blockNumberOrHashJSON))
      if (block === undefined) return null
      if (block.header.number === 0n) throw new ServerError('genesis is not traceable')
      return blockTraces(block, arrived)
    },
    trace_transaction: async (params) => {
      const arrived = Date.now()
      checkArity(params, 1, 1)
      const found = await findTx(env, arg(params, 0, hashJSON))
      if (found === undefined) return null
      const r = (await runBlockTrace(env, found.block, parityOptions(false), arrived, found.index)) as unknown as ParityResult
      return r.trace
    },
    trace_replayBlockTransactions: async (params) => {
      const arrived = Date.now()
      checkArity(params, 2, 2)
      const block = await reader.blockByNumberOrHash(arg(params, 0, blockNumberOrHashJSON))
      const types = arg(params, 1, (v) => {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type []string`)
        return v as string[]
      })
      for (const k of types) if (!REPLAY_TYPES.has(k)) throw new InvalidParamsError(`unknown trace type ${JSON.stringify(k)} (want trace, stateDiff or vmTrace)`)
      if (types.includes('vmTrace')) throw new InvalidParamsError('vmTrace is not supported (trace and stateDiff are)')
      if (block === undefined) return null
      if (block.header.number === 0n) throw new ServerError('genesis is not traceable')
      const withTrace = types.includes('trace')
      const withDiff = types.includes('stateDiff')
      if (block.transactions.length === 0) return []
      return (await replay(block, withDiff, arrived)).map(({ txHash, result }) => ({
        output: result.output,
        stateDiff: withDiff ? result.stateDiff : null,
        trace: withTrace ? result.trace.map(replayTrace) : [],
        transactionHash: txHash,
        vmTrace: null,
      })) as Json
    },
    trace_filter: async (params) => {
      checkArity(params, 1, 1)
      const f = arg(params, 0, traceFilterJSON)
      const from = await reader.resolveNumber(f.fromBlock)
      const to = await reader.resolveNumber(f.toBlock)
      if (from > to) throw new InvalidParamsError('invalid block range: fromBlock is after toBlock')
      if (to - from + 1n > TRACE_FILTER_MAX_BLOCKS) throw new InvalidParamsError(`block range too large: at most ${TRACE_FILTER_MAX_BLOCKS} blocks per trace_filter`)
      const out: JsonObject[] = []
      let skip = f.after
      for (let n = from === 0n ? 1n : from; n <= to; n++) {
        const block = await reader.blockByNumber(n)
        if (block === undefined) break
        // Each block's job gets its own time (a long filter is many jobs, each bounded).
        for (const tr of await blockTraces(block, Date.now())) {
          if (!matches(tr, f)) continue
          if (skip > 0) {
            skip--
            continue
          }
          out.push(tr)
          if (f.count !== undefined && out.length >= f.count) return out
        }
      }
      return out
    },
  }
}
