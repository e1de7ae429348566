// Cheap checkpoints for ethereumjs' EIP-7928 BlockLevelAccessList. The library's checkpoint() deep-
// copies the whole list, and the EVM takes one per call frame, so an Amsterdam block costs time
// quadratic in its size (at 30M gas the copies dominate execution). This replaces, on one instance,
// checkpoint/commit/revert with an undo log, and reverts to exactly the state the library's revert
// gives (the snapshot, plus the reverted frame's touched addresses and read or written slots as
// reads). Each change saves only the part of an account's entry it can change: one slot's changes
// and read mark, one index of the balance or nonce changes, the code changes; only a self-destruct's
// cleanup saves a whole entry. (The first version saved a copy of the whole entry in each frame
// that changed an account: a token's or pool's entry, one slot per holder, was copied again by
// every transaction calling it, quadratic again. 2026-12-08, CPU profiles of the bench's Amsterdam
// block: the journal's time 11 -> 6 ms a block; tmp micro-benchmark of calls writing one new slot
// and one hot slot each, checkpoint/commit per call: 43 -> 5 ms at 450 transactions, 2,073 -> 65 ms
// at 3,600, where the library's own calls without any checkpoint take 4 and 51 ms.) A hot slot's
// changes are still copied once per frame that writes it: the library's own write scans the same
// array. Checked against the unpatched class on random operation sequences, and by the
// differential tests.
import { bytesToHex, type BlockLevelAccessList } from '@ethereumjs/util'

/** The parts of the library's (experimental) class this relies on. */
interface AccountAccess {
  nonceChanges: Map<number, string>
  balanceChanges: Map<number, string>
  codeChanges: [number, Uint8Array][]
  storageChanges: Record<string, [number, Uint8Array][] | undefined>
  storageReads: Set<string>
}
interface BalInternals {
  accesses: Record<string, AccountAccess | undefined>
  blockAccessIndex: number
  originalBalances: Map<string, bigint>
  cloneAccesses(a: Record<string, AccountAccess>): Record<string, AccountAccess>
  addAddress(address: string): void
  addStorageRead(address: string, storageKey: Uint8Array): void
  addStorageWrite(address: string, storageKey: Uint8Array, value: Uint8Array, blockAccessIndex: number, originalValue?: Uint8Array): void
  addBalanceChange(address: string, balance: bigint, blockAccessIndex: number, originalBalance?: bigint): void
  addNonceChange(address: string, nonce: bigint, blockAccessIndex: number): void
  addCodeChange(address: string, code: Uint8Array, blockAccessIndex: number, originalCode?: Uint8Array): void
  cleanupNetZeroBalanceChanges(): void
  cleanupSelfdestructed(addresses: string[], finalBalances?: Map<string, bigint>): void
  checkpoint(): void
  commit(): void
  revert(): void
}

/**
 * One undo entry (plain data: a block makes tens of thousands), by kind:
 * - entry: the account had no entry (undo removes it);
 * - slot: one slot's changes array (`changes`, its elements `copy`; none: no changes) and read mark;
 * - index: one index of the balance or nonce changes (`had`: its value then, else absent);
 * - code: the code changes as they were;
 * - balances: the whole balance changes map (a removal that a set cannot put back in its place);
 * - whole: the whole entry (any of its slots may have changed);
 * - read: a read mark added by an inner frame's revert.
 */
type Undo =
  | { kind: 'entry'; address: string }
  | { kind: 'slot'; address: string; slot: string; changes: [number, Uint8Array][] | undefined; copy: [number, Uint8Array][] | undefined; read: boolean }
  | { kind: 'index'; address: string; field: 'balanceChanges' | 'nonceChanges'; index: number; had: string | undefined }
  | { kind: 'code'; address: string; before: [number, Uint8Array][] }
  | { kind: 'balances'; address: string; before: Map<number, string> }
  | { kind: 'whole'; address: string; before: AccountAccess }
  | { kind: 'read'; address: string; slot: string }

const PATCHED = Symbol('parallax.balJournal')

/** The library's key for a storage slot (its stripLeadingZeros, then hex; always even length). */
function slotKey(slot: Uint8Array): string {
  let i = 0
  while (i < slot.length && slot[i] === 0) i++
  return bytesToHex(i === 0 ? slot : slot.subarray(i))
}

function emptyAccess(): AccountAccess {
  return { nonceChanges: new Map(), balanceChanges: new Map(), codeChanges: [], storageChanges: {}, storageReads: new Set() }
}

/** Patches `bal` in place; a second call on the same instance does nothing. */
export function journalBalCheckpoints(list: BlockLevelAccessList): void {
  const bal = list as unknown as BalInternals
  const marked = list as unknown as Record<symbol, boolean>
  if (marked[PATCHED] === true) return
  marked[PATCHED] = true
  /** Undo entries of every open frame, oldest first; each level holds where its frame starts. */
  const log: Undo[] = []
  const levels: { start: number; blockAccessIndex: number }[] = []
  const orig = {
    addAddress: bal.addAddress.bind(list),
    addStorageRead: bal.addStorageRead.bind(list),
    addStorageWrite: bal.addStorageWrite.bind(list),
    addBalanceChange: bal.addBalanceChange.bind(list),
    addNonceChange: bal.addNonceChange.bind(list),
    addCodeChange: bal.addCodeChange.bind(list),
    cleanupNetZeroBalanceChanges: bal.cleanupNetZeroBalanceChanges.bind(list),
    cleanupSelfdestructed: bal.cleanupSelfdestructed.bind(list),
  }

  const entry = (address: string): AccountAccess | undefined => {
    const a = bal.accesses[address]
    if (a === undefined) log.push({ kind: 'entry', address })
    return a
  }
  const saveSlot = (address: string, storageKey: Uint8Array): void => {
    const a = entry(address)
    const slot = slotKey(storageKey)
    const changes = a?.storageChanges[slot]
    log.push({ kind: 'slot', address, slot, changes, copy: changes?.slice(), read: a?.storageReads.has(slot) === true })
  }
  const saveIndex = (address: string, field: 'balanceChanges' | 'nonceChanges', index: number): void => {
    const a = entry(address)
    if (a !== undefined) log.push({ kind: 'index', address, field, index, had: a[field].get(index) })
  }

  bal.addAddress = (address) => {
    if (levels.length > 0) entry(address)
    orig.addAddress(address)
  }
  bal.addStorageRead = (address, storageKey) => {
    if (levels.length > 0) saveSlot(address, storageKey)
    orig.addStorageRead(address, storageKey)
  }
  bal.addStorageWrite = (address, storageKey, value, index, original) => {
    if (levels.length > 0) saveSlot(address, storageKey)
    orig.addStorageWrite(address, storageKey, value, index, original)
  }
  bal.addBalanceChange = (address, balance, index, original) => {
    if (levels.length > 0) saveIndex(address, 'balanceChanges', index)
    orig.addBalanceChange(address, balance, index, original)
  }
  bal.addNonceChange = (address, nonce, index) => {
    if (levels.length > 0) saveIndex(address, 'nonceChanges', index)
    orig.addNonceChange(address, nonce, index)
  }
  bal.addCodeChange = (address, code, index, original) => {
    if (levels.length > 0) {
      const a = entry(address)
      if (a !== undefined) log.push({ kind: 'code', address, before: a.codeChanges.slice() })
    }
    orig.addCodeChange(address, code, index, original)
  }
  bal.cleanupNetZeroBalanceChanges = () => {
    if (levels.length > 0) {
      const index = bal.blockAccessIndex
      for (const address of bal.originalBalances.keys()) {
        const m = bal.accesses[address]?.balanceChanges
        if (m === undefined || !m.has(index)) continue
        // A removed key comes back at the end when set again: the others' order (it decides which
        // change is the last one) stays only if it was the last key.
        let last: number | undefined
        for (const k of m.keys()) last = k
        if (last === index) log.push({ kind: 'index', address, field: 'balanceChanges', index, had: m.get(index) })
        else log.push({ kind: 'balances', address, before: new Map(m) })
      }
    }
    orig.cleanupNetZeroBalanceChanges()
  }
  bal.cleanupSelfdestructed = (addresses, finalBalances) => {
    if (levels.length > 0) {
      for (const address of addresses) {
        const a = bal.accesses[address]
        // (the library skips an address it has no entry for)
        if (a !== undefined) log.push({ kind: 'whole', address, before: bal.cloneAccesses({ [address]: a })[address]! })
      }
    }
    orig.cleanupSelfdestructed(addresses, finalBalances)
  }

  const undo = (u: Undo): void => {
    const a = bal.accesses[u.address]
    switch (u.kind) {
      case 'entry':
        delete bal.accesses[u.address]
        return
      case 'whole':
        bal.accesses[u.address] = u.before
        return
    }
    // The entry is looked up now, not when the change was saved: a whole entry restored since is a copy.
    if (a === undefined) return
    switch (u.kind) {
      case 'slot': {
        const { slot, changes, copy } = u
        if (changes === undefined) delete a.storageChanges[slot]
        else {
          // the same array as it was (the library pushes to it, replaces an element, or puts a filtered copy in its place)
          changes.length = 0
          for (const c of copy!) changes.push(c)
          a.storageChanges[slot] = changes
        }
        if (u.read) a.storageReads.add(slot)
        else a.storageReads.delete(slot)
        return
      }
      case 'index':
        if (u.had === undefined) a[u.field].delete(u.index)
        else a[u.field].set(u.index, u.had) // an existing key keeps its place; a removed last key goes back last
        return
      case 'code':
        a.codeChanges = u.before
        return
      case 'balances':
        a.balanceChanges = u.before
        return
      case 'read':
        a.storageReads.delete(u.slot)
        return
    }
  }

  bal.checkpoint = () => {
    levels.push({ start: log.length, blockAccessIndex: bal.blockAccessIndex })
  }
  bal.commit = () => {
    levels.pop()
    if (levels.length === 0) log.length = 0
  }
  bal.revert = () => {
    const top = levels.pop()
    if (top === undefined) return
    bal.blockAccessIndex = top.blockAccessIndex
    // What the library's revert keeps of the reverted frame: every address it touched, each slot
    // read at the end of the frame as a read, and each slot written at the end of the frame as a
    // read unless it has changes from before the frame. (Only slots the frame touched can differ
    // from before it.) true: read, false: written.
    const kept = new Map<string, Map<string, boolean>>()
    for (let k = top.start; k < log.length; k++) {
      const u = log[k]!
      let slots = kept.get(u.address)
      if (slots === undefined) kept.set(u.address, (slots = new Map()))
      const a = bal.accesses[u.address]
      if (a === undefined) continue
      const keep = (slot: string): void => {
        if (slots.has(slot)) return
        if (a.storageReads.has(slot)) slots.set(slot, true)
        else if (a.storageChanges[slot] !== undefined) slots.set(slot, false)
      }
      if (u.kind === 'slot' || u.kind === 'read') keep(u.slot)
      else if (u.kind === 'whole') {
        for (const slot of a.storageReads) keep(slot)
        for (const slot of Object.keys(a.storageChanges)) keep(slot)
      }
    }
    for (let k = log.length - 1; k >= top.start; k--) undo(log[k]!)
    log.length = levels.length === 0 ? 0 : top.start
    // Inside an outer frame these additions are its changes too (its revert undoes them).
    const outer = levels.length > 0
    for (const [address, slots] of kept) {
      let a = bal.accesses[address]
      if (a === undefined) {
        if (outer) log.push({ kind: 'entry', address })
        bal.accesses[address] = a = emptyAccess()
      }
      const reads = a.storageReads
      for (const [slot, read] of slots) {
        if (reads.has(slot) || !(read || a.storageChanges[slot] === undefined)) continue
        if (outer) log.push({ kind: 'read', address, slot })
        reads.add(slot)
      }
    }
  }
}

/**
 * Patches every access list the EVM is given from now on (runBlock assigns a fresh one per block).
 */
export function journalEvmBalCheckpoints(evm: { blockLevelAccessList?: BlockLevelAccessList }): void {
  let current = evm.blockLevelAccessList
  if (current !== undefined) journalBalCheckpoints(current)
  Object.defineProperty(evm, 'blockLevelAccessList', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (v: BlockLevelAccessList | undefined) => {
      current = v
      if (v !== undefined) journalBalCheckpoints(v)
    },
  })
}
