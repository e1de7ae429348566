// The tracer framework of debug_trace*: a tracer sees one transaction through the EVM's own events
// (`step`, `beforeMessage`, `afterMessage` of @ethereumjs/evm, no second interpreter) and answers
// geth's JSON for it. `TraceOptions` is geth's TraceConfig as plain data (it crosses to the RPC
// worker threads); `createTracer` picks the implementation by geth's tracer name.
import type { BlockHeader } from '@ethereumjs/block'
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import type { Json } from '../eth/format.ts'

export const TRACER_NAMES = ['structLogger', 'callTracer', 'flatCallTracer', 'prestateTracer', '4byteTracer', 'noopTracer'] as const
/** geth's names, and `parityTracer`: the trace_* namespace's output (not selectable through a TraceConfig). */
export type TracerName = (typeof TRACER_NAMES)[number] | 'parityTracer'

/** geth's TraceConfig (and each native tracer's tracerConfig), decoded. */
export interface TraceOptions {
  tracer: TracerName
  // struct logger (geth's logger.Config)
  disableStack: boolean
  disableStorage: boolean
  enableMemory: boolean
  enableReturnData: boolean
  /** Most struct log entries kept per transaction (0 = all). */
  limit: number
  // callTracer / flatCallTracer
  onlyTopCall: boolean
  withLog: boolean
  // prestateTracer
  diffMode: boolean
  disableCode: boolean
  /** Per-transaction time limit in ms (geth's `timeout`, default 5 s). */
  timeoutMs: number
}

export const DEFAULT_TRACE_TIMEOUT_MS = 5_000

export const DEFAULT_TRACE_OPTIONS: Readonly<TraceOptions> = {
  tracer: 'structLogger',
  disableStack: false,
  disableStorage: false,
  enableMemory: false,
  enableReturnData: false,
  limit: 0,
  onlyTopCall: false,
  withLog: false,
  diffMode: false,
  disableCode: false,
  timeoutMs: DEFAULT_TRACE_TIMEOUT_MS,
}

/** Where a transaction runs, as the tracers see it. */
export interface TxContext {
  tx: TypedTransaction
  from: Address
  /** The header the transaction runs in (after block overrides). */
  header: BlockHeader
  state: MerkleStateManager
  /** The header's fee recipient (after block overrides). */
  coinbase: Address
  /** The transaction's hash and position when it is part of a block (flatCallTracer, trace_*). */
  txHash?: Uint8Array
  txIndex?: number
}

/** One transaction's tracer. Hooks may be async: the EVM waits for them. */
export interface TxTracer {
  /** Whether `step` must be called (costs a memory copy per opcode in ethereumjs). */
  readonly wantsSteps: boolean
  start(ctx: TxContext): Promise<void> | void
  step?(step: InterpreterStep): Promise<void> | void
  enter?(msg: Message): Promise<void> | void
  exit?(result: EVMResult): Promise<void> | void
  /** The result once runTx returned. */
  end(result: RunTxResult): Promise<Json> | Json
  /** Undoes what start() installed; called whether or not the transaction completed. */
  dispose?(): void
}
