// What the parallel executor recorded about the blocks it ran (its ParallelProfile), kept by block
// hash for the last `capacity` blocks so parallax_blockParallelism can report how this node ran a
// block: per transaction replayed / re-executed / main thread, worker and time, and the speedup.
import { bytesToHex } from '@ethereumjs/util'
import type { ParallelProfile } from '../exec/parallel.ts'

/** One parallel block as the executor ran it (plain data). */
export interface ExecutorRecord {
  mode: 'effects' | 'traces'
  totalMs: number
  mainShare: number
  own: number
  replayed: number
  reexecuted: number
  txs?: { how: 'own' | 'replayed' | 'reexecuted'; worker: number; ms: number }[]
}

export const DEFAULT_RECORDS = 256

export class ExecutorRecords {
  private readonly byHash = new Map<string, ExecutorRecord>()
  private readonly listeners = new Set<(hash: Uint8Array, r: ExecutorRecord) => void>()

  constructor(private readonly capacity = DEFAULT_RECORDS) {}

  /** Keeps the profile of the block `hash` (the oldest record goes past capacity). */
  add(hash: Uint8Array, profile: ParallelProfile): void {
    const r: ExecutorRecord = {
      mode: profile.mode ?? 'traces',
      totalMs: profile.totalMs,
      mainShare: profile.mainShare,
      own: profile.own,
      replayed: profile.replayed,
      reexecuted: profile.reexecuted,
      ...(profile.txs !== undefined ? { txs: profile.txs.map((t) => ({ how: t.how, worker: t.worker, ms: t.ms })) } : {}),
    }
    const key = bytesToHex(hash)
    this.byHash.delete(key)
    this.byHash.set(key, r)
    while (this.byHash.size > this.capacity) this.byHash.delete(this.byHash.keys().next().value!)
    for (const l of this.listeners) l(hash, r)
  }

  get(hash: Uint8Array): ExecutorRecord | undefined {
    return this.byHash.get(bytesToHex(hash))
  }

  /** Calls `l` for every record added; returns its removal. */
  onRecord(l: (hash: Uint8Array, r: ExecutorRecord) => void): () => void {
    this.listeners.add(l)
    return () => void this.listeners.delete(l)
  }
}
