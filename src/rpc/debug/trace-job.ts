// The EVM work of debug_trace* as plain-data jobs for the RPC call workers (never the thread that
// serves the Engine API). A block job re-executes a block on its parent's state, one state for all
// its transactions: the EIP-4788/2935 system calls first (as block processing does), then every
// transaction through runTx, traced when asked; debug_traceTransaction stops after its transaction.
// A call job runs like eth_call (gas cap, overrides) with the tracer attached. Each traced
// transaction has its own deadline (`timeout`, geth's 5 s by default), bounded by the job's.
import { createBlockFromRLP, type BlockHeader } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { createVM, runTx, type VM } from '@ethereumjs/vm'
import { AncestorHashes } from '../../exec/ancestors.ts'
import { vmInternals } from '../../exec/block-runner.ts'
import { callDefaults, toMessage, type BlockOverrides, type StateOverride, type TransactionArgs } from '../eth/call-args.ts'
import type { CallBackend } from '../eth/call-job.ts'
import { ServerError } from '../eth/errors.ts'
import { applyMessage, EvmTimeoutError, installDeadline, MessageError, prepareCall } from '../eth/evm-call.ts'
import type { Json, JsonObject } from '../eth/format.ts'
import { runTraced } from './run-traced.ts'
import type { TraceOptions } from './tracer.ts'
import { createTracer } from './tracers.ts'

interface TraceJobBase {
  options: TraceOptions
  /** Date.now() after which the job is aborted (Infinity = never). */
  deadline: number
  /** For the pool's timeout text. */
  timeoutMs: number
}

export interface TraceBlockJob extends TraceJobBase {
  method: 'debug_traceBlock'
  /** The block (RLP); it runs on its parent's state. */
  blockRlp: Uint8Array
  /** Only this transaction's trace (debug_traceTransaction); the ones before it run untraced. */
  txIndex?: number
}

export interface TraceCallJob extends TraceJobBase {
  method: 'debug_traceCall'
  args: TransactionArgs
  headerHash: Uint8Array
  stateOverride?: StateOverride
  blockOverrides?: BlockOverrides
  gasCap: bigint
}

export type TraceJob = TraceBlockJob | TraceCallJob

const MAX_UINT64 = (1n << 64n) - 1n
const TIMEOUT = 'execution timeout'

/** A deadline holder the VM checks (installDeadline); moved per transaction. */
interface Clock {
  vm: VM
  deadline: number
}

async function traceBlock(backend: CallBackend, job: TraceBlockJob): Promise<Json> {
  const common = backend.common.copy()
  const block = createBlockFromRLP(job.blockRlp, { common, setHardfork: true, skipConsensusFormatValidation: true })
  const { header } = block
  if (header.number === 0n) throw new ServerError('genesis is not traceable')
  const parent = await backend.headerByHash(header.parentHash)
  if (parent === undefined) throw new ServerError(`parent ${bytesToHex(header.parentHash)} not found`)
  const state = await backend.stateAt(parent)
  const vm = await createVM({ common, stateManager: state, blockchain: new AncestorHashes(parent, backend.headerByHash) })
  const clock: Clock = { vm, deadline: job.deadline }
  installDeadline(clock)
  const lib = await vmInternals()
  if (common.isActivatedEIP(4788)) await lib.accumulateParentBeaconBlockRoot(vm, header.parentBeaconBlockRoot!, header.timestamp)
  if (common.isActivatedEIP(2935)) await lib.accumulateParentBlockHash(vm, header.number, header.parentHash)
  const results: JsonObject[] = []
  let gasUsed = 0n
  const txs = block.transactions
  const last = job.txIndex ?? txs.length - 1
  for (let i = 0; i <= last && i < txs.length; i++) {
    const tx = txs[i]!
    const txHash = tx.hash()
    const opts = { tx, block, blockGasUsed: gasUsed, skipBlockGasLimitValidation: true, skipHardForkValidation: true }
    if (job.txIndex !== undefined && i !== job.txIndex) {
      gasUsed += (await runTx(vm, opts)).totalGasSpent
      continue
    }
    const started = Date.now()
    clock.deadline = Math.min(job.deadline, job.options.timeoutMs > 0 ? started + job.options.timeoutMs : Infinity)
    const tracer = createTracer(job.options)
    try {
      const { value, trace } = await runTraced(vm, tracer, () => ({ tx, from: tx.getSenderAddress(), header, state, coinbase: header.coinbase, txHash, txIndex: i }), () => runTx(vm, opts))
      gasUsed += value.totalGasSpent
      if (job.txIndex !== undefined) return trace ?? null
      results.push({ txHash: bytesToHex(txHash), result: trace ?? null })
    } catch (err) {
      if (!(err instanceof EvmTimeoutError)) throw err
      if (job.txIndex !== undefined) throw new ServerError(TIMEOUT)
      // The state is mid-transaction now: this and every later transaction answer the timeout.
      for (let k = i; k < txs.length; k++) results.push({ txHash: bytesToHex(txs[k]!.hash()), error: TIMEOUT })
      return results
    }
  }
  if (job.txIndex !== undefined) throw new ServerError('transaction not found')
  return results
}

async function traceCall(backend: CallBackend, job: TraceCallJob): Promise<Json> {
  const header: BlockHeader | undefined = await backend.headerByHash(job.headerHash)
  if (header === undefined) throw new ServerError('header not found')
  const state = await backend.stateAt(header)
  const cc = await prepareCall(backend.common, backend.headerByHash, header, state, job.stateOverride, job.blockOverrides)
  const started = Date.now()
  cc.deadline = Math.min(job.deadline, job.options.timeoutMs > 0 ? started + job.options.timeoutMs : Infinity)
  callDefaults(job.args, job.gasCap === 0n ? MAX_UINT64 : job.gasCap, cc.header.baseFeePerGas, backend.common.chainId())
  const msg = toMessage(job.args, cc.header.baseFeePerGas)
  const tracer = createTracer(job.options)
  try {
    const { trace } = await runTraced(cc.vm, tracer, (tx) => ({ tx, from: msg.from, header: cc.header, state, coinbase: cc.header.coinbase }), () => applyMessage(cc, msg))
    return trace ?? null
  } catch (err) {
    if (err instanceof EvmTimeoutError) throw new ServerError(TIMEOUT)
    if (err instanceof MessageError) throw new ServerError(`tracing failed: ${err.message}`)
    throw err
  }
}

/** Runs a trace job over `backend`; throws the RpcError the method answers with. */
export function runTraceJob(backend: CallBackend, job: TraceJob): Promise<Json> {
  if (Date.now() > job.deadline) return Promise.reject(new ServerError(TIMEOUT))
  return job.method === 'debug_traceBlock' ? traceBlock(backend, job) : traceCall(backend, job)
}
