// Timing one executor over a bench block: fresh request (re-decoded block) per run, outcome checked
// against the built header, medians. Also the sequential state-root time, measured in one extra
// instrumented run (SequentialExecutor does not report it).
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import type { ExecutionOutcome } from '../../src/exec/outcome.ts'
import type { Executor } from '../../src/exec/sequential.ts'
import type { ParallelProfile } from '../../src/exec/parallel.ts'
import type { BenchBlock } from './setup.ts'

export interface RunSample {
  ms: number
  reexecutions: number
  /** Reported by the executor (outcome.timings.stateRootMs or outcome.stateRootMs), if it does. */
  stateRootMs?: number
  /** Where the parallel executor's time went on this run (its lastProfile), if it reports one. */
  profile?: ParallelProfile
}

/** The consensus fields of an outcome, hex, for comparing outcomes with each other and the header. */
export interface RootPrint {
  stateRoot: string
  receiptsRoot: string
  logsBloom: string
  gasUsed: string
  blockAccessListHash?: string
}

export function rootPrint(o: ExecutionOutcome): RootPrint {
  return {
    stateRoot: bytesToHex(o.stateRoot),
    receiptsRoot: bytesToHex(o.receiptsRoot),
    logsBloom: bytesToHex(o.logsBloom),
    gasUsed: o.gasUsed.toString(),
    ...(o.blockAccessListHash !== undefined ? { blockAccessListHash: bytesToHex(o.blockAccessListHash) } : {}),
  }
}

export function headerPrint(b: BenchBlock): RootPrint {
  const h = b.block.header
  return {
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptTrie),
    logsBloom: bytesToHex(h.logsBloom),
    gasUsed: h.gasUsed.toString(),
    ...(h.blockAccessListHash !== undefined ? { blockAccessListHash: bytesToHex(h.blockAccessListHash) } : {}),
  }
}

/** Field names where `a` and `b` differ (a BAL hash only counts when both have one). */
export function diffPrints(a: RootPrint, b: RootPrint): string[] {
  const out: string[] = []
  for (const k of ['stateRoot', 'receiptsRoot', 'logsBloom', 'gasUsed'] as const) if (a[k] !== b[k]) out.push(k)
  if (a.blockAccessListHash !== undefined && b.blockAccessListHash !== undefined && a.blockAccessListHash !== b.blockAccessListHash) {
    out.push('blockAccessListHash')
  }
  return out
}

function reportedStateRootMs(o: ExecutionOutcome): number | undefined {
  const x = o as ExecutionOutcome & { stateRootMs?: unknown; timings?: { stateRootMs?: unknown } }
  const v = x.timings?.stateRootMs ?? x.stateRootMs
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

/** Runs `executor` once on a fresh request; returns the sample and the outcome's root print. */
export async function timeOnce(executor: Executor, block: BenchBlock): Promise<{ sample: RunSample; print: RootPrint }> {
  const req = block.request()
  const t = performance.now()
  const outcome = await executor.execute(req)
  const ms = performance.now() - t
  const sr = reportedStateRootMs(outcome)
  const profile = (executor as { lastProfile?: ParallelProfile }).lastProfile
  return {
    sample: { ms, reexecutions: outcome.reexecutions, ...(sr !== undefined ? { stateRootMs: sr } : {}), ...(profile !== undefined ? { profile } : {}) },
    print: rootPrint(outcome),
  }
}

/**
 * Milliseconds spent in MerkleStateManager.getStateRoot (flushing the cached writes into the tries
 * and hashing them) during one run of `executor` in this thread. Worker threads are not seen.
 */
export async function timeStateRoot(executor: Executor, block: BenchBlock): Promise<number> {
  const proto = MerkleStateManager.prototype
  const original = proto.getStateRoot
  let total = 0
  proto.getStateRoot = async function (this: MerkleStateManager): Promise<Uint8Array> {
    const t = performance.now()
    try {
      return await original.call(this)
    } finally {
      total += performance.now() - t
    }
  }
  try {
    await executor.execute(block.request())
  } finally {
    proto.getStateRoot = original
  }
  return total
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

