// eth_simulateV1's parameters (execution-apis `EthSimulatePayload`, geth's simOpts): block state calls,
// each with block overrides, state overrides (movePrecompileToAddress included) and calls, plus the
// `traceTransfers`, `validation` and `returnFullTransactions` flags; the spec's request limits; and
// the job that crosses to the RPC call workers. Go decodes struct fields case-insensitively and
// ignores unknown ones; so does this.
import { InvalidParamsError } from '../errors.ts'
import { blockOverridesJSON, stateOverrideJSON, transactionArgsJSON, type BlockOverrides, type StateOverride, type TransactionArgs } from './call-args.ts'
import { ClientLimitError } from './errors.ts'
import { boolJSON, DecodeError, jsonKind } from './params.ts'

/** geth's maxSimulateBlocks, maxSimulateCallsPerBlock, maxSimulateTotalCalls. */
export const SIMULATE_LIMITS = { blocks: 256, callsPerBlock: 5000, totalCalls: 10000 } as const
/** The default timestamp step between simulated blocks (seconds). */
export const TIMESTAMP_INCREMENT = 12n

export interface SimBlock {
  blockOverrides?: BlockOverrides
  stateOverrides?: StateOverride
  calls: TransactionArgs[]
}

export interface SimOpts {
  blockStateCalls: SimBlock[]
  traceTransfers: boolean
  validation: boolean
  returnFullTransactions: boolean
}

export interface SimulateJob {
  method: 'eth_simulateV1'
  opts: SimOpts
  /** The base block: simulation starts on its post-state. */
  headerHash: Uint8Array
  /** --rpc.gascap: the gas budget of the whole request (0 = none). */
  gasCap: bigint
  /** --rpc.evmtimeout in ms (0 = none), for the error text. */
  timeoutMs: number
  deadline: number
}

/** A Go struct field, matched case-insensitively (an exact match wins). */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name]
  const lower = name.toLowerCase()
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k]
  return undefined
}

function object(v: unknown, goType: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type ${goType}`)
  return v as Record<string, unknown>
}

function list(v: unknown, goType: string): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type ${goType}`)
  return v
}

const given = (v: unknown): boolean => v !== undefined && v !== null

function simBlockJSON(v: unknown): SimBlock {
  const o = object(v, 'ethapi.simBlock')
  const b: SimBlock = { calls: list(field(o, 'calls'), '[]ethapi.TransactionArgs').map(transactionArgsJSON) }
  const bo = field(o, 'blockOverrides')
  if (given(bo)) b.blockOverrides = blockOverridesJSON(bo, true)
  const so = field(o, 'stateOverrides')
  if (given(so)) b.stateOverrides = stateOverrideJSON(so, true)
  return b
}

/** Decodes the first parameter of eth_simulateV1. */
export function simOptsJSON(v: unknown): SimOpts {
  const o = object(v, 'ethapi.simOpts')
  const flag = (name: string): boolean => {
    const f = field(o, name)
    return given(f) ? boolJSON(f, { struct: 'simOpts', field: name }) : false
  }
  return {
    blockStateCalls: list(field(o, 'blockStateCalls'), '[]ethapi.simBlock').map(simBlockJSON),
    traceTransfers: flag('traceTransfers'),
    validation: flag('validation'),
    returnFullTransactions: flag('returnFullTransactions'),
  }
}

/** geth's checks before any state is opened: empty input, too many blocks or calls. */
export function checkSimLimits(opts: SimOpts): void {
  const blocks = opts.blockStateCalls
  if (blocks.length === 0) throw new InvalidParamsError('empty input')
  if (blocks.length > SIMULATE_LIMITS.blocks) throw new ClientLimitError('too many blocks')
  let total = 0
  for (const b of blocks) {
    if (b.calls.length > SIMULATE_LIMITS.callsPerBlock) throw new ClientLimitError(`too many calls in block: ${b.calls.length} > ${SIMULATE_LIMITS.callsPerBlock}`)
    total += b.calls.length
    if (total > SIMULATE_LIMITS.totalCalls) throw new ClientLimitError(`too many calls: ${total} > ${SIMULATE_LIMITS.totalCalls}`)
  }
}
