import type { BatchOp, KeyRange, KVStore } from './interface.ts'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'

/** In-memory KVStore for tests: ordered by the hex of the key, which sorts like the bytes. */
export class MemoryKV implements KVStore {
  readonly map = new Map<string, Uint8Array>()
  closed = false

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.map.get(bytesToHex(key))
  }
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(bytesToHex(key))
  }
  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.map.set(bytesToHex(key), value)
  }
  async del(key: Uint8Array): Promise<void> {
    this.map.delete(bytesToHex(key))
  }
  async batch(ops: BatchOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.map.set(bytesToHex(op.key), op.value)
      else this.map.delete(bytesToHex(op.key))
    }
  }
  async *keys(range: KeyRange): AsyncIterable<Uint8Array> {
    const lo = bytesToHex(range.gte)
    const hi = bytesToHex(range.lt)
    const sorted = [...this.map.keys()].filter((k) => k >= lo && k < hi).sort()
    for (const k of sorted) yield hexToBytes(k as `0x${string}`)
  }
  async close(): Promise<void> {
    this.closed = true
  }
}
