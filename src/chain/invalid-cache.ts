// Blocks known to be invalid, and why. Kept in memory (bounded), never in the database, so a
// rejected block leaves the store byte-for-byte as it was. Descendants inherit the verdict.
import { bytesToHex } from '@ethereumjs/util'

export interface InvalidEntry {
  reason: string
  message: string
  /** Hash of the last valid ancestor (the parent of the first invalid block in the branch). */
  latestValidHash: Uint8Array | null
}

export class InvalidBlockCache {
  private readonly entries = new Map<string, InvalidEntry>()
  readonly limit: number

  constructor(limit = 1024) {
    this.limit = limit
  }
  get(hash: Uint8Array): InvalidEntry | undefined {
    return this.entries.get(bytesToHex(hash))
  }
  add(hash: Uint8Array, entry: InvalidEntry): void {
    const k = bytesToHex(hash)
    this.entries.delete(k)
    this.entries.set(k, entry)
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
  }
  get size(): number {
    return this.entries.size
  }
}
