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

/** A pending batch's keys, for reads while it is written (latin1: one char per byte, native conversion). */
const keyId = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1')

/** Adds a batch's writes to a staged index (a later write of a key replaces an earlier one; null: deleted). */
function indexOps(index: Map<string, Uint8Array | null>, ops: readonly BatchOp[]): void {
  for (const op of ops) index.set(keyId(op.key), op.type === 'put' ? op.value : null)
}

/**
 * KVStore over classic-level (LevelDB). Keys and values are raw bytes.
 *
 * Writes behind (`stage`): a batch staged here is readable through this store at once and written
 * to LevelDB after the batches before it, one at a time in order, each as one atomic LevelDB batch,
 * so a crash loses at most the newest staged batches whole and never leaves half of one or a later
 * one without an earlier one. Other threads that open the same LevelDB (workers) see a staged batch
 * only once it landed: they wait for `settled()` first. Every write, staged or plain (`batch`, `put`,
 * `del`), lands in the order it was issued; a plain one resolves once it is on disk.
 */
export class LevelKV implements KVStore {
  readonly db: ClassicLevel<Uint8Array, Uint8Array>
  private readonly sync: boolean
  /** Staged batches not yet in LevelDB, oldest first. */
  private readonly staged: BatchOp[][] = []
  /** Their writes by key (newest wins), built on the first read while any is staged. */
  private stagedIndex: Map<string, Uint8Array | null> | undefined
  /** Resolves when every write issued so far is in LevelDB (in order). */
  private tail: Promise<void> = Promise.resolve()
  /** A staged batch that failed: every later write fails with it (the store no longer has what reads showed). */
  private failure: StorageError | undefined

  /**
   * Writes `ops` behind (see the class comment): readable here at once; the LevelDB batch is issued
   * from a later turn of the event loop (after what the caller answers next) and after every earlier
   * write landed. Resolves with the milliseconds from staging to landing; rejects if it failed.
   * Throws at once (not a rejected promise) once an earlier write failed: the caller must not answer
   * as if the ops were stored. Absent with `sync` (fsync every batch): its owner wants every write
   * on disk before it answers, so callers use `batch`.
   */
  readonly stage: ((ops: BatchOp[]) => Promise<number>) | undefined

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>, sync: boolean) {
    this.db = db
    this.sync = sync
    this.stage = sync ? undefined : (ops) => this.stageBehind(ops)
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

  /** A staged value of `key`: bytes, null (deleted) or undefined (not staged). */
  private stagedValue(key: Uint8Array): Uint8Array | null | undefined {
    if (this.staged.length === 0) return undefined
    if (this.stagedIndex === undefined) {
      const index = new Map<string, Uint8Array | null>()
      for (const ops of this.staged) indexOps(index, ops)
      this.stagedIndex = index
    }
    return this.stagedIndex.get(keyId(key))
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const hit = this.stagedValue(key)
    if (hit !== undefined) return hit ?? undefined
    try {
      return (await this.db.get(key)) ?? undefined
    } catch (err) {
      throw wrap('get', err)
    }
  }
  /** LevelDB's synchronous get: no thread-pool round trip (execution's hot path reads this way). */
  getSync(key: Uint8Array): Uint8Array | undefined {
    const hit = this.stagedValue(key)
    if (hit !== undefined) return hit ?? undefined
    try {
      return this.db.getSync(key) ?? undefined
    } catch (err) {
      throw wrap('get', err)
    }
  }
  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.batch([{ type: 'put', key, value }])
  }
  async del(key: Uint8Array): Promise<void> {
    await this.batch([{ type: 'del', key }])
  }
  async batch(ops: BatchOp[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (ops.length === 0) return
    // Every write lands in the order it was issued (a staged batch issued later never overtakes it).
    const done = this.tail.then(() => this.writeUnlessFailed(ops))
    this.tail = done.catch(() => undefined)
    return done
  }
  private async writeUnlessFailed(ops: BatchOp[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    await this.write(ops)
  }
  private async write(ops: BatchOp[]): Promise<void> {
    // LevelDB appends a write batch to its log as one record: after a crash it is all there or not at all.
    try {
      await this.db.batch(ops, { sync: this.sync })
    } catch (err) {
      throw wrap('batch', err)
    }
  }

  private stageBehind(ops: BatchOp[]): Promise<number> {
    if (this.failure !== undefined) throw this.failure
    const t = performance.now()
    if (ops.length === 0) return Promise.resolve(0)
    this.staged.push(ops)
    if (this.stagedIndex !== undefined) indexOps(this.stagedIndex, ops)
    const landed = this.tail
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.writeUnlessFailed(ops))
      .then(
        () => {
          this.staged.shift()
          this.stagedIndex = undefined
          return performance.now() - t
        },
        (err: unknown) => {
          this.failure ??= err instanceof StorageError ? err : wrap('batch', err)
          throw this.failure
        },
      )
    this.tail = landed.then(
      () => undefined,
      () => undefined,
    )
    return landed
  }

  /** Resolves when every staged batch is in LevelDB (rejects if one failed). */
  async settled(): Promise<void> {
    await this.tail
    if (this.failure !== undefined) throw this.failure
  }

  async *keys(range: KeyRange): AsyncIterable<Uint8Array> {
    // Ranges are read from LevelDB itself: once what is staged landed.
    await this.settled()
    for await (const k of this.db.keys({ gte: range.gte, lt: range.lt })) yield k
  }
  async close(): Promise<void> {
    await this.tail
    await this.db.close()
  }
}
