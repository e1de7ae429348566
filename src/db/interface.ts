// The small key-value surface the rest of Parallax sees; LevelDB and memory implement it.
export type BatchOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array }

export interface KeyRange {
  gte: Uint8Array
  lt: Uint8Array
}

export interface KVReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Keys in [gte, lt), ascending. */
  keys(range: KeyRange): AsyncIterable<Uint8Array>
}

/** A store that can also answer reads synchronously (LevelKV, MemoryKV). */
export interface SyncKVReader extends KVReader {
  getSync(key: Uint8Array): Uint8Array | undefined
}

export function isSyncReader(kv: KVReader): kv is SyncKVReader {
  return typeof (kv as Partial<SyncKVReader>).getSync === 'function'
}

/** `kv` read through its synchronous get (no thread-pool round trip per read: execution's hot path). */
export function viaGetSync(kv: SyncKVReader): SyncKVReader {
  return { get: async (k) => kv.getSync(k), getSync: (k) => kv.getSync(k), keys: (range) => kv.keys(range) }
}

export interface KVStore extends KVReader {
  put(key: Uint8Array, value: Uint8Array): Promise<void>
  del(key: Uint8Array): Promise<void>
  /** Applies every op or none. */
  batch(ops: BatchOp[]): Promise<void>
  /**
   * Writes behind, where the store can (LevelKV): the ops are readable through this store at once and
   * applied (all or none) after every earlier write; resolves with the milliseconds until they landed.
   * Throws at once when the store takes no more writes (an earlier one failed).
   */
  stage?(ops: BatchOp[]): Promise<number>
  /** Resolves once every staged write landed, where other readers (threads) look at the store itself. */
  settled?(): Promise<void>
  close(): Promise<void>
}
