// The flat state tables: the canonical head's accounts and storage by hashed key, for O(1) reads.
// They move with the head: each block's StateDiff (stored with the block) is applied when the block
// becomes canonical and reverted when a reorg takes it out.
import { RLP } from '@ethereumjs/rlp'
import type { AccountDiff, StateDiff } from '../exec/outcome.ts'
import type { BatchOp, KVReader } from './interface.ts'
import { key, Prefix } from './keys.ts'

const EMPTY = new Uint8Array()

export function encodeStateDiff(diff: StateDiff): Uint8Array {
  return RLP.encode(
    diff.accounts.map((a) => [
      a.addressHash,
      a.address,
      a.pre ?? EMPTY,
      a.post ?? EMPTY,
      a.storageCleared ? Uint8Array.of(1) : EMPTY,
      a.storage.map((s) => [s.slotHash, s.pre, s.post]),
    ]),
  )
}

export function decodeStateDiff(bytes: Uint8Array): StateDiff {
  const list = RLP.decode(bytes) as unknown as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array[][]][]
  return {
    accounts: list.map(
      ([addressHash, address, pre, post, cleared, storage]): AccountDiff => ({
        addressHash,
        address,
        pre: pre.length === 0 ? null : pre,
        post: post.length === 0 ? null : post,
        storageCleared: cleared.length > 0,
        storage: storage.map(([slotHash, spre, spost]) => ({ slotHash: slotHash!, pre: spre!, post: spost! })),
      }),
    ),
  }
}

function put(ops: BatchOp[], k: Uint8Array, v: Uint8Array | null): void {
  if (v === null || v.length === 0) ops.push({ type: 'del', key: k })
  else ops.push({ type: 'put', key: k, value: v })
}

/** Ops moving the flat tables forward over one block. */
export function applyDiffOps(diff: StateDiff, ops: BatchOp[]): void {
  for (const a of diff.accounts) {
    put(ops, key(Prefix.FlatAccount, a.addressHash), a.post)
    for (const s of a.storage) put(ops, key(Prefix.FlatStorage, a.addressHash, s.slotHash), s.post)
  }
}

/** Ops moving the flat tables back over one block (the inverse of applyDiffOps). */
export function revertDiffOps(diff: StateDiff, ops: BatchOp[]): void {
  for (const a of diff.accounts) {
    put(ops, key(Prefix.FlatAccount, a.addressHash), a.pre)
    for (const s of a.storage) put(ops, key(Prefix.FlatStorage, a.addressHash, s.slotHash), s.pre)
  }
}

/** Flat reads at the canonical head. */
export class FlatState {
  readonly kv: KVReader
  constructor(kv: KVReader) {
    this.kv = kv
  }
  /** Slim-RLP account, or undefined when absent. */
  async account(addressHash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.kv.get(key(Prefix.FlatAccount, addressHash))
  }
  /** RLP storage value, or undefined for zero. */
  async storage(addressHash: Uint8Array, slotHash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.kv.get(key(Prefix.FlatStorage, addressHash, slotHash))
  }
}

/** Ops that fill the flat tables from a whole state trie (genesis, or a rebuild). */
export async function flatOpsFromTrie(
  openTrie: (root: Uint8Array | undefined, hashKeys: boolean) => {
    getValueMap(): Promise<{ values: Record<string, string> }>
  },
  stateRoot: Uint8Array,
  ops: BatchOp[],
): Promise<void> {
  const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.startsWith('0x') ? s.slice(2) : s, 'hex'))
  const { values } = await openTrie(stateRoot, false).getValueMap()
  for (const [addrHash, accHex] of Object.entries(values)) {
    const addressHash = hex(addrHash)
    const acc = hex(accHex)
    ops.push({ type: 'put', key: key(Prefix.FlatAccount, addressHash), value: acc })
    const fields = RLP.decode(acc) as Uint8Array[]
    const storageRoot = fields[2]!
    const storage = await openTrie(storageRoot, false).getValueMap()
    for (const [slotHash, v] of Object.entries(storage.values)) {
      ops.push({ type: 'put', key: key(Prefix.FlatStorage, addressHash, hex(slotHash)), value: hex(v) })
    }
  }
}
