// Where eth_call / eth_estimateGas / eth_createAccessList jobs run: `CallRunner` is what the methods
// see; the node gives them a pool of worker threads (call-pool.ts), tests and stores without a
// LevelDB path run jobs in-process (`InlineCallRunner`). Errors cross threads as `WireError`.
import type { Chain } from '../../chain/chain.ts'
import { RpcError } from '../errors.ts'
import { runCallJob, type CallBackend, type CallJobResult, type RpcJob } from './call-job.ts'
import { stateAfter } from './resolve.ts'

export interface CallRunner {
  run(job: RpcJob): Promise<CallJobResult>
  /** Gets ready for jobs (a pool starts its threads); run() does it too. */
  start(): void
  close(): Promise<void>
}

/** The chain's own store as a backend (in-process). */
export function chainBackend(chain: Chain): CallBackend {
  return {
    common: chain.common,
    headerByHash: (h) => chain.store.getHeader(h),
    stateAt: (h) => stateAfter(chain.store.kv, h),
    blocks: { blockByHash: (h) => chain.store.getBlock(h), base: chain.store.kv },
    kv: chain.store.kv,
  }
}

/** Runs jobs on the calling thread (tests; a node whose call workers could not start). */
export class InlineCallRunner implements CallRunner {
  constructor(private readonly backend: CallBackend) {}
  run(job: RpcJob): Promise<CallJobResult> {
    return runCallJob(this.backend, job)
  }
  start(): void {}
  async close(): Promise<void> {}
}

/** An error as it crosses a thread: a JSON-RPC error keeps its code, anything else is ours (-32603). */
export type WireError = { kind: 'rpc'; code: number; message: string; data?: unknown } | { kind: 'internal'; message: string }

export function toWireError(err: unknown): WireError {
  if (err instanceof RpcError) return err.data === undefined ? { kind: 'rpc', code: err.rpcCode, message: err.message } : { kind: 'rpc', code: err.rpcCode, message: err.message, data: err.data }
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err) }
}

/** The error a worker's WireError stands for: an RpcError with its code, or an internal fault. */
export class CallWorkerFault extends Error {}

export function fromWireError(e: WireError): Error {
  return e.kind === 'rpc' ? new RpcError(e.code, e.message, e.data) : new CallWorkerFault(e.message)
}
