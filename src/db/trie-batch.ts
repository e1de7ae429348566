// Batched Merkle Patricia trie update: apply many key/value changes to a trie and hash each changed
// node once, instead of once per change. ethereumjs' trie re-hashes and re-writes the whole path
// from the root on every put/del, so a block that writes k keys under a shared upper trie hashes the
// top levels k times and leaves k−1 superseded copies of them in the store; here the changes are
// applied to an in-memory copy of the touched paths first and only the final nodes are encoded,
// hashed and returned for writing. The trie is canonical (its shape depends only on its key set),
// so the root is the same as the one-by-one updates give (checked against @ethereumjs/mpt in
// test/unit/db/trie-batch.test.ts).
//
// Keys are already hashed and all the same length (32 bytes in the state and storage tries), so no
// key is a prefix of another and branches never carry values. Node encoding (hex-prefix paths,
// children under 32 bytes embedded, the root always hashed and stored) follows the Yellow Paper.
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, equalsBytes, KECCAK256_RLP } from '@ethereumjs/util'
import { keccak256 } from '../util/keccak.ts'
import { StorageError } from './errors.ts'

/** Reads a stored node by its hash (undefined when absent). */
export type NodeGetter = (hash: Uint8Array) => Promise<Uint8Array | undefined> | Uint8Array | undefined
/** A getter that answers at once (LevelDB's getSync, memory): the update then runs without a promise per node. */
export type SyncNodeGetter = (hash: Uint8Array) => Uint8Array | undefined

/**
 * Thrown inside the synchronous update when a node is only available asynchronously: the async
 * driver awaits it, caches it and applies the same change again. Safe because a change mutates
 * nothing on its way down (only loaded children are attached, which does not change any encoding);
 * the in-place edits of nodes made by this batch happen on the way back up, after every load.
 */
class NodePending {
  constructor(
    readonly hash: Uint8Array,
    readonly value: Promise<Uint8Array | undefined>,
  ) {}
}

export interface TrieChange {
  /** The trie key (already hashed). */
  key: Uint8Array
  /** The value to store, or null (or empty) to delete the key. */
  value: Uint8Array | null
}

export interface TrieBatchResult {
  root: Uint8Array
  /** New nodes, hash → RLP encoding, in no particular order. */
  nodes: Array<[Uint8Array, Uint8Array]>
}

/** A child slot: nothing, a stored node not yet loaded (its hash), or a node in memory. */
type Child = null | Uint8Array | Node
interface Branch {
  k: 0
  c: Child[]
  /** The node's hash while it is unchanged from the stored copy it was loaded from. */
  h?: Uint8Array
  /** Made by this batch (only these are changed in place; their ancestors are all made too). */
  d?: true
}
interface Ext {
  k: 1
  p: Uint8Array
  c: Child
  h?: Uint8Array
  d?: true
}
interface Leaf {
  k: 2
  p: Uint8Array
  v: Uint8Array
  h?: Uint8Array
  d?: true
}
type Node = Branch | Ext | Leaf
/** A decoded node or child reference: bytes, or a list of them (an embedded node). */
export type Raw = Uint8Array | Raw[]

const EMPTY = new Uint8Array(0)

function nibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2)
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4
    out[2 * i + 1] = key[i]! & 15
  }
  return out
}

function concatNibbles(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length & 1
  const out = new Uint8Array((path.length >> 1) + 1)
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  let i = 0
  if (odd === 1) out[0]! |= path[i++]!
  for (let j = 1; i < path.length; j++, i += 2) out[j] = (path[i]! << 4) | path[i + 1]!
  return out
}

function fromHexPrefix(enc: Uint8Array): { path: Uint8Array; leaf: boolean } {
  if (enc.length === 0) throw new StorageError('malformed trie node: empty path')
  const flag = enc[0]! >> 4
  if (flag > 3) throw new StorageError('malformed trie node: bad path flag')
  const odd = flag & 1
  const all = nibbles(enc)
  return { path: all.subarray(odd === 1 ? 1 : 2), leaf: flag >= 2 }
}

function decodeChild(item: Raw): Child {
  if (item instanceof Uint8Array) {
    if (item.length === 0) return null
    if (item.length === 32) return item
    throw new StorageError(`malformed trie node: child reference of ${item.length} bytes`)
  }
  return decodeRaw(item)
}

function decodeRaw(raw: Raw, h?: Uint8Array): Node {
  if (!Array.isArray(raw)) throw new StorageError('malformed trie node: not a list')
  if (raw.length === 17) {
    const v = raw[16]
    if (!(v instanceof Uint8Array) || v.length !== 0) throw new StorageError('trie branch with a value: keys are not all the same length')
    const node: Branch = { k: 0, c: raw.slice(0, 16).map(decodeChild) }
    if (h !== undefined) node.h = h
    return node
  }
  if (raw.length === 2) {
    const [p, second] = raw as [Raw, Raw]
    if (!(p instanceof Uint8Array)) throw new StorageError('malformed trie node: path is a list')
    const { path, leaf } = fromHexPrefix(p)
    let node: Node
    if (leaf) {
      if (!(second instanceof Uint8Array)) throw new StorageError('malformed trie node: leaf value is a list')
      node = { k: 2, p: path, v: second }
    } else {
      node = { k: 1, p: path, c: decodeChild(second) }
    }
    if (h !== undefined) node.h = h
    return node
  }
  throw new StorageError(`malformed trie node: ${raw.length} items`)
}

function commonPrefix(p: Uint8Array, key: Uint8Array, at: number): number {
  let i = 0
  while (i < p.length && at + i < key.length && p[i] === key[at + i]) i++
  return i
}

function emptyChildren(): Child[] {
  return [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]
}

class BatchTrie {
  private readonly get: SyncNodeGetter
  private root: Child
  private readonly originalRoot: Uint8Array

  constructor(get: SyncNodeGetter, root: Uint8Array) {
    this.get = get
    this.originalRoot = root
    this.root = equalsBytes(root, KECCAK256_RLP) ? null : root
  }

  private load(hash: Uint8Array): Node {
    const enc = this.get(hash)
    if (enc === undefined) throw new StorageError(`missing trie node ${bytesToHex(hash)}`)
    // A node stored under its hash but shorter than 32 bytes can only be a root; it must be
    // re-encoded (embedded) if it ever becomes a child, so it does not keep its hash.
    let raw: Raw
    try {
      raw = RLP.decode(enc) as Raw
    } catch (err) {
      throw new StorageError(`malformed trie node ${bytesToHex(hash)}`, { cause: err })
    }
    return decodeRaw(raw, enc.length >= 32 ? hash : undefined)
  }

  private resolve(c: Uint8Array | Node): Node {
    return c instanceof Uint8Array ? this.load(c) : c
  }

  /** Resolves child `i` of a branch in place (the branch's encoding does not change). */
  private childOf(b: Branch, i: number): Node | null {
    const c = b.c[i]!
    if (c === null) return null
    if (c instanceof Uint8Array) {
      const n = this.load(c)
      b.c[i] = n
      return n
    }
    return c
  }

  private extChild(e: Ext): Node {
    const c = e.c
    if (c === null) throw new StorageError('malformed trie node: extension without a child')
    if (c instanceof Uint8Array) {
      const n = this.load(c)
      e.c = n
      return n
    }
    return c
  }

  apply(change: TrieChange): void {
    const key = nibbles(change.key)
    const root = this.root === null ? null : this.root instanceof Uint8Array ? this.load(this.root) : this.root
    this.root = change.value === null || change.value.length === 0 ? this.del(root, key, 0) : this.put(root, key, 0, change.value)
  }

  /** The node at this position after storing `v` under `key`; the same object when nothing changed. */
  private put(n: Node | null, key: Uint8Array, at: number, v: Uint8Array): Node {
    if (n === null) return { d: true, k: 2, p: key.slice(at), v }
    if (n.k === 0) {
      const i = key[at]!
      const c = this.childOf(n, i)
      const nc = this.put(c, key, at + 1, v)
      if (nc === c) return n
      const b: Branch = n.d === true ? n : { d: true, k: 0, c: n.c.slice() }
      b.c[i] = nc
      return b
    }
    const common = commonPrefix(n.p, key, at)
    if (n.k === 2 && common === n.p.length) {
      if (at + common !== key.length) throw new StorageError('trie keys of different lengths')
      return equalsBytes(n.v, v) ? n : { d: true, k: 2, p: n.p, v }
    }
    if (n.k === 1 && common === n.p.length) {
      const c = this.extChild(n)
      const nc = this.put(c, key, at + common, v)
      if (nc === c) return n
      return { d: true, k: 1, p: n.p, c: nc }
    }
    // The key leaves this leaf's or extension's path at `common`: split there with a branch.
    const b: Branch = { d: true, k: 0, c: emptyChildren() }
    const rest = n.p.subarray(common + 1)
    if (n.k === 2) b.c[n.p[common]!] = { d: true, k: 2, p: rest, v: n.v }
    else b.c[n.p[common]!] = rest.length > 0 ? { d: true, k: 1, p: rest, c: n.c } : n.c
    b.c[key[at + common]!] = { d: true, k: 2, p: key.slice(at + common + 1), v }
    return common > 0 ? { d: true, k: 1, p: n.p.subarray(0, common), c: b } : b
  }

  /** The node at this position after removing `key` (null when nothing is left); the same object when absent. */
  private del(n: Node | null, key: Uint8Array, at: number): Node | null {
    if (n === null) return null
    if (n.k === 2) {
      const common = commonPrefix(n.p, key, at)
      return common === n.p.length && at + common === key.length ? null : n
    }
    if (n.k === 1) {
      if (commonPrefix(n.p, key, at) !== n.p.length) return n
      const c = this.extChild(n)
      const nc = this.del(c, key, at + n.p.length)
      if (nc === c) return n
      if (nc === null) return null
      return this.prefixed(n.p, nc)
    }
    const i = key[at]!
    const c = this.childOf(n, i)
    const nc = this.del(c, key, at + 1)
    if (nc === c) return n
    let only = -1
    let count = 0
    for (let j = 0; j < 16; j++) {
      if ((j === i ? nc : n.c[j]) !== null) {
        count++
        only = j
      }
    }
    if (count === 0) return null
    if (count === 1) {
      // One child left: the branch folds into it, one nibble longer. (Resolved before any edit in
      // place: the load may have to wait, and the change is then applied again from the start.)
      const child = this.resolve(only === i ? nc! : n.c[only]!)
      return this.prefixed(Uint8Array.of(only), child)
    }
    const children = n.d === true ? n.c : n.c.slice()
    children[i] = nc
    return n.d === true ? n : { d: true, k: 0, c: children }
  }

  /** `child` reached through the extra path `p`: an extension, or the child with a longer path. */
  private prefixed(p: Uint8Array, child: Node): Node {
    if (child.k === 0) return { d: true, k: 1, p, c: child }
    if (child.k === 1) return { d: true, k: 1, p: concatNibbles(p, child.p), c: child.c }
    return { d: true, k: 2, p: concatNibbles(p, child.p), v: child.v }
  }

  private raw(n: Node, out: Array<[Uint8Array, Uint8Array]>): Raw {
    if (n.k === 0) {
      const items: Raw[] = n.c.map((c) => this.ref(c, out))
      items.push(EMPTY)
      return items
    }
    if (n.k === 1) return [hexPrefix(n.p, false), this.ref(n.c, out)]
    return [hexPrefix(n.p, true), n.v]
  }

  /** How a parent refers to `c`: its hash (stored into `out` when new) or, under 32 bytes, itself. */
  private ref(c: Child, out: Array<[Uint8Array, Uint8Array]>): Raw {
    if (c === null) return EMPTY
    if (c instanceof Uint8Array) return c
    if (c.h !== undefined) return c.h
    const raw = this.raw(c, out)
    const enc = RLP.encode(raw)
    if (enc.length < 32) return raw
    const h = keccak256(enc)
    out.push([h, enc])
    c.h = h
    return h
  }

  /**
   * For a split update (updateTrieChildren): the references of the root branch's children in
   * `owned` (a bitmask of nibbles) after the changes, and the new nodes under them; undefined when
   * the root is not a branch now (the trie is too small to split, or the changes folded it).
   */
  childRefs(owned: number): { refs: Raw[]; nodes: Array<[Uint8Array, Uint8Array]> } | undefined {
    let root = this.root
    if (root === null) return undefined
    if (root instanceof Uint8Array) root = this.load(root)
    if (root.k !== 0) return undefined
    const nodes: Array<[Uint8Array, Uint8Array]> = []
    const refs: Raw[] = []
    for (let i = 0; i < 16; i++) refs.push((owned >> i) & 1 ? this.ref(root.c[i]!, nodes) : EMPTY)
    return { refs, nodes }
  }

  finish(): TrieBatchResult {
    const nodes: Array<[Uint8Array, Uint8Array]> = []
    const root = this.root
    if (root === null) return { root: KECCAK256_RLP, nodes }
    if (root instanceof Uint8Array) return { root, nodes }
    if (root.h !== undefined) return { root: root.h, nodes }
    // The root is always stored under its hash, however short.
    const enc = RLP.encode(this.raw(root, nodes))
    const h = keccak256(enc)
    if (equalsBytes(h, this.originalRoot)) return { root: h, nodes }
    nodes.push([h, enc])
    return { root: h, nodes }
  }
}

/**
 * Applies `changes` in order (a later change to the same key wins) to the trie at `root`, reading
 * stored nodes with `get`; returns the new root and the nodes to store. Nothing is written.
 */
export function updateTrieSync(get: SyncNodeGetter, root: Uint8Array, changes: Iterable<TrieChange>): TrieBatchResult {
  const trie = new BatchTrie(get, root)
  for (const change of changes) trie.apply(change)
  return trie.finish()
}

/**
 * updateTrieSync for a getter that may answer with a promise: a change that meets a node not yet
 * available waits for it and is applied again (the node is then answered from a local cache).
 */
export async function updateTrie(get: NodeGetter, root: Uint8Array, changes: Iterable<TrieChange>): Promise<TrieBatchResult> {
  const fetched = new Map<string, Uint8Array | undefined>()
  const syncGet: SyncNodeGetter = (hash) => {
    const k = bytesToHex(hash)
    if (fetched.has(k)) return fetched.get(k)
    const v = get(hash)
    if (v instanceof Promise) throw new NodePending(hash, v)
    return v
  }
  const trie = new BatchTrie(syncGet, root)
  for (const change of changes) {
    for (;;) {
      try {
        trie.apply(change)
        break
      } catch (err) {
        if (!(err instanceof NodePending)) throw err
        fetched.set(bytesToHex(err.hash), await err.value)
      }
    }
  }
  return trie.finish()
}

/** The nibble (0-15) a change's key starts with: the root branch child it falls under. */
export function firstNibble(change: TrieChange): number {
  return change.key[0]! >> 4
}

/**
 * One part of a split update: `changes` must all fall under root children in `owned` (bitmask of
 * nibbles). Returns those children's references after the changes and the nodes under them, or
 * undefined where the trie cannot be split (its root is not a branch, or these changes fold it).
 */
export function updateTrieChildren(get: SyncNodeGetter, root: Uint8Array, changes: Iterable<TrieChange>, owned: number): { refs: Raw[]; nodes: Array<[Uint8Array, Uint8Array]> } | undefined {
  if (equalsBytes(root, KECCAK256_RLP)) return undefined
  const trie = new BatchTrie(get, root)
  for (const change of changes) trie.apply(change)
  return trie.childRefs(owned)
}

/**
 * The root of a split update from its parts' child references (parts own disjoint nibbles that
 * cover all 16), with the root node to store; undefined when fewer than two children are left
 * (the root would fold: the caller updates the trie whole instead).
 */
export function joinTrieChildren(parts: readonly { refs: Raw[]; owned: number }[]): { root: Uint8Array; node: [Uint8Array, Uint8Array] } | undefined {
  const items: Raw[] = []
  let count = 0
  for (let i = 0; i < 16; i++) {
    const part = parts.find((p) => (p.owned >> i) & 1)
    if (part === undefined) throw new StorageError(`split trie update: nibble ${i} has no part`)
    const r = part.refs[i]!
    if (!(r instanceof Uint8Array) || r.length > 0) count++
    items.push(r)
  }
  if (count < 2) return undefined
  items.push(EMPTY)
  const enc = RLP.encode(items)
  const root = keccak256(enc)
  return { root, node: [root, enc] }
}
