// The state root's trie updates shared with a worker thread. After a block's last transaction the
// main thread flushes its caches into the tries (state.ts flush): every storage trie, then the
// account trie. Run alone that is 10-25% of a block on the bench workloads, a serial part in which
// the workers had nothing to do. Here a helper (a speculation worker, which reads the same LevelDB)
// takes part of it while the main thread does the rest:
// - a trie with many changes is split by the first nibble of its keys: the helper updates the
//   root's children 8-f, the main thread 0-7, and the root branch is joined from both
//   (trie-batch.ts updateTrieChildren / joinTrieChildren);
// - small tries are shared whole, about half of the changes each.
// Whatever the helper cannot do (a node it does not find, a root that is not a branch or folds,
// an error) is done here, whole: the result never depends on the helper.
import type { Raw, SyncNodeGetter, TrieBatchResult, TrieChange } from '../db/trie-batch.ts'
import { firstNibble, joinTrieChildren, updateTrieChildren, updateTrieSync } from '../db/trie-batch.ts'

/** One piece of work for the helper: a whole trie update (owned = ALL) or the children in `owned`. */
export interface TriePart {
  root: Uint8Array
  changes: TrieChange[]
  owned: number
}

export type TriePartResult = { refs: Raw[]; nodes: Array<[Uint8Array, Uint8Array]> } | TrieBatchResult | null

/** Runs trie parts on another thread. */
export interface TrieHelper {
  run(parts: TriePart[]): Promise<TriePartResult[]>
}

export const ALL = 0xffff
const HELPER_NIBBLES = 0xff00
const OWN_NIBBLES = 0x00ff
/** A trie with at least this many changes is split by nibble; smaller ones go whole to one side. */
export const SPLIT_MIN = 64
/** Below this many changes in all, the message round trip is not worth it. */
const HELPER_MIN = 128

/** What a helper thread does with one part (also used here when a part falls back). */
export function runTriePart(get: SyncNodeGetter, part: TriePart): TriePartResult {
  try {
    if (part.owned === ALL) return updateTrieSync(get, part.root, part.changes)
    return updateTrieChildren(get, part.root, part.changes, part.owned) ?? null
  } catch {
    return null // e.g. a node this thread's store does not have: the main thread does it whole
  }
}

/** A part's result when it is a split part's children (else undefined: not splittable, failed or missing). */
function children(r: TriePartResult | undefined): { refs: Raw[]; nodes: Array<[Uint8Array, Uint8Array]> } | undefined {
  return r !== null && r !== undefined && 'refs' in r ? r : undefined
}

const inPart = (owned: number) => (c: TrieChange) => ((owned >> firstNibble(c)) & 1) === 1

/**
 * Updates each trie (root + changes) with `get`; with a helper, part of the work runs there at the
 * same time. Results in the order of `tries`, equal to updateTrieSync's on each.
 */
export async function updateTries(get: SyncNodeGetter, tries: readonly { root: Uint8Array; changes: TrieChange[] }[], helper?: TrieHelper): Promise<TrieBatchResult[]> {
  const total = tries.reduce((n, t) => n + t.changes.length, 0)
  if (helper === undefined || total < HELPER_MIN) return tries.map((t) => updateTrieSync(get, t.root, t.changes))
  const big: number[] = []
  const small: number[] = []
  tries.forEach((t, i) => (t.changes.length >= SPLIT_MIN ? big : small).push(i))
  // Small tries whole: the helper takes the later ones until it has about half of their changes.
  const smallTotal = small.reduce((n, i) => n + tries[i]!.changes.length, 0)
  const theirsWhole: number[] = []
  for (let k = small.length - 1, acc = 0; k >= 0 && acc < smallTotal / 2; k--) {
    theirsWhole.push(small[k]!)
    acc += tries[small[k]!]!.changes.length
  }
  const helperWhole = new Set(theirsWhole)
  const parts: TriePart[] = [
    ...big.map((i) => ({ root: tries[i]!.root, changes: tries[i]!.changes.filter(inPart(HELPER_NIBBLES)), owned: HELPER_NIBBLES })),
    ...theirsWhole.map((i) => ({ root: tries[i]!.root, changes: tries[i]!.changes, owned: ALL })),
  ]
  const none = (): TriePartResult[] => parts.map(() => null)
  const remote = helper.run(parts).catch(none)
  const t0 = performance.now()
  const out: TrieBatchResult[] = new Array(tries.length)
  const own = big.map((i) => runTriePart(get, { root: tries[i]!.root, changes: tries[i]!.changes.filter(inPart(OWN_NIBBLES)), owned: OWN_NIBBLES }))
  for (const i of small) if (!helperWhole.has(i)) out[i] = updateTrieSync(get, tries[i]!.root, tries[i]!.changes)
  // A helper still busy (a long transaction it was speculating, a loaded machine) is waited for
  // about as long as this thread's own share took; then its share is done here too.
  let timer: NodeJS.Timeout | undefined
  const wait = Math.max(20, performance.now() - t0)
  const theirs = await Promise.race([remote, new Promise<TriePartResult[]>((r) => (timer = setTimeout(() => r(none()), wait)))])
  clearTimeout(timer)
  big.forEach((i, k) => {
    const a = children(own[k])
    const b = children(theirs[k])
    const joined = a !== undefined && b !== undefined ? joinTrieChildren([{ refs: a.refs, owned: OWN_NIBBLES }, { refs: b.refs, owned: HELPER_NIBBLES }]) : undefined
    out[i] = joined !== undefined ? { root: joined.root, nodes: [...a!.nodes, ...b!.nodes, joined.node] } : updateTrieSync(get, tries[i]!.root, tries[i]!.changes)
  })
  theirsWhole.forEach((i, k) => {
    const r = theirs[big.length + k]
    out[i] = r !== null && r !== undefined && 'root' in r ? r : updateTrieSync(get, tries[i]!.root, tries[i]!.changes)
  })
  return out
}
