// Blocks known to be invalid, and why. Kept in memory (bounded), never in the database, so a
// rejected block leaves the store byte-for-byte as it was. Descendants inherit the verdict.
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'

/** How many bad blocks debug_getBadBlocks lists (geth keeps the last 10). */
export const BAD_BLOCKS_KEPT = 10

export interface InvalidEntry {
  reason: string
  message: string
  /** Hash of the last valid ancestor (the parent of the first invalid block in the branch). */
  latestValidHash: Uint8Array | null
}

export class InvalidBlockCache {
  private readonly entries = new Map<string, InvalidEntry>()
  private readonly bad: Block[] = []
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
  /** Keeps a block that failed validation or execution itself (for debug_getBadBlocks), newest last. */
  addBad(block: Block): void {
    const k = bytesToHex(block.hash())
    if (this.bad.some((b) => bytesToHex(b.hash()) === k)) return
    this.bad.push(block)
    if (this.bad.length > BAD_BLOCKS_KEPT) this.bad.shift()
  }
  /** The kept bad blocks, newest first (geth's order). */
  badBlocks(): Block[] {
    return [...this.bad].reverse()
  }
  get size(): number {
    return this.entries.size
  }
}
