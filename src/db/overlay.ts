import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { isSyncReader, type BatchOp, type KeyRange, type KVReader } from './interface.ts'

/**
 * A write buffer over a read-only base: reads see buffered writes first. Nothing reaches the base
 * until the owner takes `ops()` and commits them in one batch, so a failed block leaves no trace.
 */
export class Overlay implements KVReader {
  /**
   * Buffered writes by the key's hex (value null: deleted), with a copy of the key's bytes (ops()
   * would otherwise decode ~10,000 hex keys a block; the caller may reuse its buffer).
   */
  private readonly writes = new Map<string, { key: Uint8Array; value: Uint8Array | null }>()
  readonly base: KVReader
  /** A synchronous get, where the base has one (the batched trie flush reads nodes through it). */
  readonly getSync: ((key: Uint8Array) => Uint8Array | undefined) | undefined

  constructor(base: KVReader) {
    this.base = base
    this.getSync = isSyncReader(base)
      ? (key) => {
          const hit = this.writes.get(bytesToHex(key))
          return hit !== undefined ? (hit.value ?? undefined) : base.getSync(key)
        }
      : undefined
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const hit = this.writes.get(bytesToHex(key))
    if (hit !== undefined) return hit.value ?? undefined
    return this.base.get(key)
  }
  put(key: Uint8Array, value: Uint8Array): void {
    this.writes.set(bytesToHex(key), { key: key.slice(), value })
  }
  del(key: Uint8Array): void {
    this.writes.set(bytesToHex(key), { key: key.slice(), value: null })
  }
  async *keys(range: KeyRange): AsyncIterable<Uint8Array> {
    const lo = bytesToHex(range.gte)
    const hi = bytesToHex(range.lt)
    const seen = new Set<string>()
    const merged: string[] = []
    for await (const k of this.base.keys(range)) {
      const h = bytesToHex(k)
      seen.add(h)
      if (this.writes.get(h)?.value !== null) merged.push(h)
    }
    for (const [h, { value }] of this.writes) {
      if (value !== null && h >= lo && h < hi && !seen.has(h)) merged.push(h)
    }
    merged.sort()
    for (const h of merged) yield hexToBytes(h as `0x${string}`)
  }
  get size(): number {
    return this.writes.size
  }
  ops(): BatchOp[] {
    const out: BatchOp[] = []
    for (const { key, value } of this.writes.values()) out.push(value === null ? { type: 'del', key } : { type: 'put', key, value })
    return out
  }
  clear(): void {
    this.writes.clear()
  }
}
