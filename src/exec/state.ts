// The state a block executes against: ethereumjs' MerkleStateManager over the trie nodes in the
// store, with every write landing in an Overlay (so nothing reaches LevelDB until the block is
// accepted) and every touched account/slot recorded, so the block's StateDiff can be derived.
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Caches } from '@ethereumjs/statemanager'
import type { AccountFields } from '@ethereumjs/common'
import type { Account } from '@ethereumjs/util'
import { Address, bytesToHex, equalsBytes, hexToBytes, KECCAK256_RLP, ValueEncoding } from '@ethereumjs/util'
import { RLP } from '@ethereumjs/rlp'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { KVReader } from '../db/interface.ts'
import { Overlay } from '../db/overlay.ts'
import { TrieNodeDB } from '../db/trie-db.ts'
import type { AccountDiff, SlotDiff, StateDiff } from './outcome.ts'

export function openTrie(overlay: Overlay, root?: Uint8Array): MerklePatriciaTrie {
  return new MerklePatriciaTrie({
    db: new TrieNodeDB(overlay),
    useKeyHashing: true,
    valueEncoding: ValueEncoding.Bytes,
    ...(root !== undefined ? { root } : {}),
  })
}

/** Records which accounts and slots were written; values are read back at the end. */
export class RecordingStateManager extends MerkleStateManager {
  readonly touched = new Map<string, { address: Address; slots: Map<string, Uint8Array>; cleared: boolean }>()

  private touch(address: Address) {
    const k = address.toString()
    let t = this.touched.get(k)
    if (t === undefined) {
      t = { address, slots: new Map(), cleared: false }
      this.touched.set(k, t)
    }
    return t
  }
  override async putAccount(address: Address, account: Account | undefined): Promise<void> {
    this.touch(address)
    return super.putAccount(address, account)
  }
  override async deleteAccount(address: Address): Promise<void> {
    this.touch(address).cleared = true
    return super.deleteAccount(address)
  }
  override async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    this.touch(address)
    return super.modifyAccountFields(address, fields)
  }
  override async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.touch(address)
    return super.putCode(address, value)
  }
  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.touch(address).slots.set(bytesToHex(key), key)
    return super.putStorage(address, key, value)
  }
  override async clearStorage(address: Address): Promise<void> {
    this.touch(address).cleared = true
    return super.clearStorage(address)
  }
  override shallowCopy(downlevelCaches = true): MerkleStateManager {
    // The EVM copies state managers for eth_call-style runs; those must not record into ours.
    return super.shallowCopy(downlevelCaches)
  }
}

export interface BlockState {
  overlay: Overlay
  stateManager: RecordingStateManager
}

/** A fresh state at `root` whose writes go to a new Overlay over `base`. */
export function openBlockState(base: KVReader, root: Uint8Array): BlockState {
  const overlay = new Overlay(base)
  const trie = openTrie(overlay, root)
  const stateManager = new RecordingStateManager({ trie, caches: new Caches() })
  return { overlay, stateManager }
}

const keccak = (b: Uint8Array): Uint8Array => keccak_256(b)

function slimAccount(acc: Account | undefined): Uint8Array | null {
  if (acc === undefined) return null
  return RLP.encode(acc.raw())
}

/**
 * Derives the block's StateDiff: post values read from the executed state, pre values from the
 * parent's trie. Entries whose value did not change are dropped.
 */
export async function computeStateDiff(
  base: KVReader,
  parentRoot: Uint8Array,
  post: RecordingStateManager,
): Promise<StateDiff> {
  const preOverlay = new Overlay(base)
  const pre = new MerkleStateManager({ trie: openTrie(preOverlay, parentRoot) })
  const accounts: AccountDiff[] = []
  const sorted = [...post.touched.values()].sort((a, b) => (a.address.toString() < b.address.toString() ? -1 : 1))
  for (const t of sorted) {
    const preAcc = await pre.getAccount(t.address)
    const postAcc = await post.getAccount(t.address)
    const preRaw = slimAccount(preAcc)
    const postRaw = slimAccount(postAcc)
    const preStorageRoot = preAcc?.storageRoot ?? KECCAK256_RLP
    // A wipe (self-destruct, deletion, re-creation) can remove slots nobody wrote: compare the whole
    // storage before and after. Otherwise only the written slots can have changed.
    const wiped = (t.cleared || postAcc === undefined) && !equalsBytes(preStorageRoot, KECCAK256_RLP)
    const storage: SlotDiff[] = wiped
      ? diffDumps(await dump(pre, t.address, preAcc), await dump(post, t.address, postAcc))
      : await diffWrittenSlots(pre, post, t.address, t.slots.values(), preAcc, postAcc)
    const cleared = wiped
    const accountSame = preRaw !== null && postRaw !== null ? equalsBytes(preRaw, postRaw) : preRaw === postRaw
    if (accountSame && storage.length === 0 && !cleared) continue
    storage.sort((a, b) => (bytesToHex(a.slotHash) < bytesToHex(b.slotHash) ? -1 : 1))
    accounts.push({
      addressHash: keccak(t.address.bytes),
      address: t.address.bytes,
      pre: preRaw,
      post: postRaw,
      storageCleared: cleared,
      storage,
    })
  }
  return { accounts }
}

async function dump(sm: MerkleStateManager, address: Address, acc: Account | undefined): Promise<Map<string, string>> {
  if (acc === undefined || equalsBytes(acc.storageRoot, KECCAK256_RLP)) return new Map()
  return new Map(Object.entries(await sm.dumpStorage(address)))
}

function toBytes(hex: string): Uint8Array {
  return hexToBytes(hex.startsWith('0x') ? (hex as `0x${string}`) : `0x${hex}`)
}

function diffDumps(pre: Map<string, string>, post: Map<string, string>): SlotDiff[] {
  const out: SlotDiff[] = []
  for (const [k, v] of pre) {
    const p = post.get(k)
    if (p !== v) out.push({ slotHash: toBytes(k), pre: toBytes(v), post: p === undefined ? new Uint8Array() : toBytes(p) })
  }
  for (const [k, v] of post) if (!pre.has(k)) out.push({ slotHash: toBytes(k), pre: new Uint8Array(), post: toBytes(v) })
  return out
}

async function diffWrittenSlots(
  pre: MerkleStateManager,
  post: MerkleStateManager,
  address: Address,
  slots: Iterable<Uint8Array>,
  preAcc: Account | undefined,
  postAcc: Account | undefined,
): Promise<SlotDiff[]> {
  const out: SlotDiff[] = []
  for (const slot of slots) {
    const preVal = preAcc === undefined ? new Uint8Array() : encodeSlot(await pre.getStorage(address, slot))
    const postVal = postAcc === undefined ? new Uint8Array() : encodeSlot(await post.getStorage(address, slot))
    if (!equalsBytes(preVal, postVal)) out.push({ slotHash: keccak(slot), pre: preVal, post: postVal })
  }
  return out
}

/** Storage values are stored RLP-encoded in the trie (and flat table); zero is the empty string. */
function encodeSlot(value: Uint8Array): Uint8Array {
  let i = 0
  while (i < value.length && value[i] === 0) i++
  return i === value.length ? new Uint8Array() : RLP.encode(value.subarray(i))
}
