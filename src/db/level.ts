import { ClassicLevel } from 'classic-level'
import type { BatchOp, KeyRange, KVStore } from './interface.ts'
import { StorageError } from './errors.ts'

function wrap(op: string, err: unknown): StorageError {
  return new StorageError(`leveldb ${op} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

export interface LevelOptions {
  /** Open in multi-threaded mode so worker threads can open the same LevelDB (classic-level). */
  multithreading?: boolean
  /** fsync every batch (survives power loss, not only process crashes). Default false, as geth. */
  sync?: boolean
}

/** KVStore over classic-level (LevelDB). Keys and values are raw bytes. */
export class LevelKV implements KVStore {
  readonly db: ClassicLevel<Uint8Array, Uint8Array>
  private readonly sync: boolean

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>, sync: boolean) {
    this.db = db
    this.sync = sync
  }

  static async open(location: string, opts: LevelOptions = {}): Promise<LevelKV> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(location, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    })
    try {
      await db.open({ multithreading: opts.multithreading ?? false, createIfMissing: true })
    } catch (err) {
      throw wrap(`open ${location}`, err)
    }
    return new LevelKV(db, opts.sync ?? false)
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return (await this.db.get(key)) ?? undefined
    } catch (err) {
      throw wrap('get', err)
    }
  }
  /** LevelDB's synchronous get: no thread-pool round trip (execution's hot path reads this way). */
  getSync(key: Uint8Array): Uint8Array | undefined {
    try {
      return this.db.getSync(key) ?? undefined
    } catch (err) {
      throw wrap('get', err)
    }
  }
  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.db.put(key, value)
  }
  async del(key: Uint8Array): Promise<void> {
    await this.db.del(key)
  }
  async batch(ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return
    // LevelDB appends a write batch to its log as one record: after a crash it is all there or not at all.
    try {
      await this.db.batch(ops, { sync: this.sync })
    } catch (err) {
      throw wrap('batch', err)
    }
  }
  async *keys(range: KeyRange): AsyncIterable<Uint8Array> {
    for await (const k of this.db.keys({ gte: range.gte, lt: range.lt })) yield k
  }
  async close(): Promise<void> {
    await this.db.close()
  }
}
