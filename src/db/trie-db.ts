import type { BatchDBOp, DB } from '@ethereumjs/util'
import { bytesToUnprefixedHex, hexToBytes } from '@ethereumjs/util'
import { key, Prefix } from './keys.ts'
import type { KVReader } from './interface.ts'

/** Where trie writes go: an Overlay (committed later in one batch) or anything with put/del. */
export interface KVSink extends KVReader {
  put(key: Uint8Array, value: Uint8Array): void | Promise<void>
  /** Present where the sink can answer at once (an Overlay over a synchronous store). */
  readonly getSync?: ((key: Uint8Array) => Uint8Array | undefined) | undefined
}

/**
 * The ethereumjs `DB` that @ethereumjs/mpt (and MerkleStateManager's code store) sees.
 * Keys arrive as unprefixed hex: 64 chars are trie node hashes (→ TrieNode table); 66 chars starting
 * with `63` ('c') are MerkleStateManager's prefixed code hashes (→ Code table). Nodes are content
 * addressed and shared between state roots, so deletes are ignored (no pruning).
 */
export class TrieNodeDB implements DB<string, Uint8Array> {
  readonly sink: KVSink
  /**
   * Keys known to be in the sink. ethereumjs' checkpoint DB writes every node it read inside a
   * checkpoint back on commit, and code is written again whenever an account gets it: a put of a
   * key the sink already has (content-addressed: same key, same bytes) is dropped. A block's
   * writes are then the nodes and code it created, whichever nodes its execution happened to read:
   * through the library's trie only those the store lacked, through the batched flush every node
   * it hashed (see `fresh`).
   */
  private readonly stored = new Set<string>()
  /**
   * Hex keys of nodes the batched flush created (markFresh) that wait in the account trie's
   * checkpoint (only where the checkpoint held nodes before the flush; otherwise they go to the
   * sink at once through putNode): written without asking the store first, as putNode's are. A
   * node just hashed from the block's changes is almost never stored already (only where a subtree
   * returns to a content it had before); writing it again puts the same bytes under the same key.
   * Asking cost a LevelDB miss per node, ~5,000 a uniswap/independent-pools block, on the block's
   * serial tail.
   */
  private readonly fresh = new Set<string>()

  constructor(sink: KVSink) {
    this.sink = sink
  }

  static mapKey(hex: string): Uint8Array {
    // The library's keys are its own even-length hex (Buffer's hex decoding stops at the first
    // character that is not one: a short write means the key is not). Anything else takes
    // ethereumjs' decoding, as before.
    if (hex.length % 2 === 0) {
      const code = hex.length === 66 && hex.startsWith('63')
      const digits = code ? hex.slice(2) : hex
      const out = new Uint8Array(1 + digits.length / 2)
      out[0] = code ? Prefix.Code : Prefix.TrieNode
      if (Buffer.from(out.buffer, out.byteOffset, out.length).write(digits, 1, 'hex') === digits.length / 2) return out
    }
    const bytes = hexToBytes(`0x${hex}`)
    return bytes.length === 33 && bytes[0] === 0x63 ? key(Prefix.Code, bytes.subarray(1)) : key(Prefix.TrieNode, bytes)
  }

  async get(k: string): Promise<Uint8Array | undefined> {
    const v = await this.sink.get(TrieNodeDB.mapKey(k))
    if (v !== undefined) this.stored.add(k)
    return v
  }
  async put(k: string, v: Uint8Array): Promise<void> {
    await this.putKey(k, v)
  }
  /**
   * put() by the library's hex key, without a promise where the sink answers at once: a checkpoint's
   * commit hands over every node written or read through the library's trie inside it (the stock
   * path: thousands a block), and an asynchronous existence check per node took 20-40 ms of the
   * block's serial part.
   */
  putKey(k: string, v: Uint8Array): void | Promise<void> {
    // A fresh node is written at once, for one set operation (a later put of the same key finds it
    // in the sink); a set lookup of a 64-character key costs ~0.5 us.
    if (this.fresh.delete(k)) return this.sink.put(TrieNodeDB.mapKey(k), v)
    if (this.stored.has(k)) return
    this.stored.add(k)
    const dbKey = TrieNodeDB.mapKey(k)
    const getSync = this.sink.getSync
    if (getSync !== undefined) return getSync(dbKey) !== undefined ? undefined : this.sink.put(dbKey, v)
    return this.sink.get(dbKey).then((had) => (had !== undefined ? undefined : this.sink.put(dbKey, v)))
  }
  /** Node `hash` was just created by the batched flush: its later putKey (the checkpoint's commit) skips the existence check. */
  markFresh(hash: Uint8Array): void {
    this.fresh.add(bytesToUnprefixedHex(hash))
  }
  /**
   * Trie nodes by hash for the batched flush (trie-batch.ts): answered synchronously where the
   * sink can, so a trie update runs without a promise per node.
   */
  nodeGetter(): (hash: Uint8Array) => Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const getSync = this.sink.getSync
    if (getSync === undefined) return (hash) => this.get(bytesToUnprefixedHex(hash))
    // Nodes read here are not remembered in `stored`: the batched flush never writes back what it
    // reads (only nodes it hashed), and a hex string and a set entry per node read cost ~1 us each.
    return (hash) => getSync(key(Prefix.TrieNode, hash))
  }
  /** nodeGetter() where it answers synchronously; undefined where the sink cannot. */
  syncNodeGetter(): ((hash: Uint8Array) => Uint8Array | undefined) | undefined {
    if (this.sink.getSync === undefined) return undefined
    return this.nodeGetter() as (hash: Uint8Array) => Uint8Array | undefined
  }
  /**
   * put() of a node the batched flush just created (trie-batch.ts), by its hash: written without
   * asking the store whether it has it (see `fresh`). A node hashed twice in a block (two tries
   * with equal subtrees) is put twice under one key, which the sink keeps once (Overlay's map, a
   * LevelDB batch).
   */
  putNode(hash: Uint8Array, enc: Uint8Array): void | Promise<void> {
    return this.sink.put(key(Prefix.TrieNode, hash), enc)
  }
  async del(_k: string): Promise<void> {
    // content-addressed and shared between roots: never deleted
  }
  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) {
      if (op.type !== 'put') continue
      const w = this.putKey(op.key, op.value)
      if (w !== undefined) await w
    }
  }
  shallowCopy(): DB<string, Uint8Array> {
    return new TrieNodeDB(this.sink)
  }
  async open(): Promise<void> {}
}
