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

export interface KVStore extends KVReader {
  put(key: Uint8Array, value: Uint8Array): Promise<void>
  del(key: Uint8Array): Promise<void>
  /** Applies every op or none. */
  batch(ops: BatchOp[]): Promise<void>
  close(): Promise<void>
}
