// Cheap checkpoints for ethereumjs' EIP-7928 BlockLevelAccessList. The library's checkpoint() deep-
// copies the whole list, and the EVM takes one per call frame, so an Amsterdam block costs time
// quadratic in its size (at 30M gas the copies dominate execution). This replaces, on one instance,
// checkpoint/commit/revert with an undo log that copies only the accounts a frame changes, and
// reverts to exactly the state the library's revert gives (the snapshot, plus the reverted frame's
// touched addresses and read or written slots as reads). Results are checked against the
// unpatched sequential executor by the differential tests.
import type { BlockLevelAccessList } from '@ethereumjs/util'

/** The parts of the library's (experimental) class this relies on. */
interface AccountAccess {
  nonceChanges: Map<number, string>
  balanceChanges: Map<number, string>
  codeChanges: [number, Uint8Array][]
  storageChanges: Record<string, [number, Uint8Array][]>
  storageReads: Set<string>
}
interface BalInternals {
  accesses: Record<string, AccountAccess | undefined>
  blockAccessIndex: number
  originalBalances: Map<string, bigint>
  cloneAccesses(a: Record<string, AccountAccess>): Record<string, AccountAccess>
  cleanupNetZeroBalanceChanges(): void
  cleanupSelfdestructed(addresses: string[], finalBalances?: Map<string, bigint>): void
  checkpoint(): void
  commit(): void
  revert(): void
}

interface Level {
  /** Each account's entry before this frame first changed it (undefined: it had none). */
  saved: Map<string, AccountAccess | undefined>
  blockAccessIndex: number
}

type Mutator = (address: string, ...rest: unknown[]) => unknown

const PATCHED = Symbol('parallax.balJournal')

/** Patches `bal` in place; a second call on the same instance does nothing. */
export function journalBalCheckpoints(list: BlockLevelAccessList): void {
  const bal = list as unknown as BalInternals
  const marked = list as unknown as Record<symbol, boolean>
  if (marked[PATCHED] === true) return
  marked[PATCHED] = true
  const levels: Level[] = []
  const self = list as unknown as Record<string, unknown>

  const save = (address: string): void => {
    const top = levels[levels.length - 1]
    if (top === undefined || top.saved.has(address)) return
    const a = bal.accesses[address]
    top.saved.set(address, a === undefined ? undefined : bal.cloneAccesses({ [address]: a })[address])
  }

  for (const name of ['addAddress', 'addStorageWrite', 'addStorageRead', 'addBalanceChange', 'addNonceChange', 'addCodeChange']) {
    const orig = (self[name] as Mutator).bind(list)
    self[name] = (address: string, ...rest: unknown[]) => {
      save(address)
      return orig(address, ...rest)
    }
  }
  const cleanupNetZero = bal.cleanupNetZeroBalanceChanges.bind(list)
  bal.cleanupNetZeroBalanceChanges = () => {
    for (const address of bal.originalBalances.keys()) save(address)
    cleanupNetZero()
  }
  const cleanupSelfdestructed = bal.cleanupSelfdestructed.bind(list)
  bal.cleanupSelfdestructed = (addresses, finalBalances) => {
    for (const address of addresses) save(address)
    cleanupSelfdestructed(addresses, finalBalances)
  }

  bal.checkpoint = () => {
    levels.push({ saved: new Map(), blockAccessIndex: bal.blockAccessIndex })
  }
  bal.commit = () => {
    const top = levels.pop()
    const parent = levels[levels.length - 1]
    if (top === undefined || parent === undefined) return
    for (const [address, before] of top.saved) if (!parent.saved.has(address)) parent.saved.set(address, before)
  }
  bal.revert = () => {
    const top = levels.pop()
    if (top === undefined) return
    bal.blockAccessIndex = top.blockAccessIndex
    for (const [address, before] of top.saved) {
      const current = bal.accesses[address]
      if (before === undefined) delete bal.accesses[address]
      else bal.accesses[address] = before
      if (current === undefined) continue
      // What the library's revert keeps of the reverted frame.
      const target = bal.accesses[address]
      if (target === undefined) {
        const reads = new Set(current.storageReads)
        for (const slot of Object.keys(current.storageChanges)) reads.add(slot)
        bal.accesses[address] = { nonceChanges: new Map(), balanceChanges: new Map(), codeChanges: [], storageChanges: {}, storageReads: reads }
        continue
      }
      for (const slot of current.storageReads) target.storageReads.add(slot)
      for (const slot of Object.keys(current.storageChanges)) if (target.storageChanges[slot] === undefined) target.storageReads.add(slot)
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
