// The state root's trie updates shared with a worker thread. After a block's last transaction the
// main thread flushes its caches into the tries (state.ts flush): every storage trie, then the
// account trie. Run alone that is 10-25% of a block on the bench workloads, a serial part in which
// the workers had nothing to do. Here a helper (a speculation worker, which reads the same LevelDB)
// takes tasks from the same list as the main thread:
// - a trie with many changes is split by the first nibble of its keys into 2-16 groups of root
//   children, one task each, and the root branch is joined from the groups' child references
//   (trie-batch.ts updateTrieChildren / joinTrieChildren);
// - small tries are bundled whole into tasks of about TASK_CHANGES changes;
// - both threads claim tasks, biggest first, from one shared counter (Atomics.add). The main thread
//   never waits for a task nobody has claimed: a helper still busy (finishing the transaction in
//   hand, descheduled on a loaded machine) simply claims nothing, and the main thread does it all.
// - the helper delivers each task's result as soon as it is done. For tasks it claimed but has not
//   delivered, the main thread waits at most about 1.5 times as long as doing them itself would take
//   (its own measured rate), then does them: a helper stalled by a garbage collection or the
//   scheduler costs about 2.5 times those tasks, never a fixed timeout.
// Whatever the helper does not deliver in time (an error, a node it does not find, a root that is
// not a branch or folds) is done here: the result never depends on the helper.
import type { Raw, SyncNodeGetter, TrieBatchResult, TrieChange } from '../db/trie-batch.ts'
import { equalsBytes, KECCAK256_RLP } from '@ethereumjs/util'
import { firstNibble, joinTrieChildren, updateTrieChildren, updateTrieSync } from '../db/trie-batch.ts'
import { waitUntil } from '../util/wait.ts'

/** One trie update: whole (owned = ALL) or the root children in `owned` (bitmask of nibbles). */
export interface TriePart {
  root: Uint8Array
  changes: TrieChange[]
  owned: number
}

export type TriePartResult = { refs: Raw[]; nodes: Array<[Uint8Array, Uint8Array]> } | TrieBatchResult | null

/**
 * Runs tasks on another thread: it claims task indices from `claim` (Atomics.add on element 0,
 * the same counter the main thread claims from) until they run out, calls `deliver` with each
 * task's results as they come in, and resolves when it has claimed its last.
 */
export interface TrieHelper {
  run(tasks: TriePart[][], claim: Int32Array, deliver: (task: number, results: TriePartResult[]) => void): Promise<void>
  /**
   * Asked when the updates start: false when the helper would only take a core from this thread
   * (other processes keep every core busy). A helper descheduled with tasks claimed makes this
   * thread wait and then redo them, and it keeps computing them into the next block.
   */
  usable?(): boolean
}

const ALL = 0xffff
/** A trie with at least this many changes is split by nibble; smaller ones are bundled whole. */
const SPLIT_MIN = 64
/** About this many changes per task. */
const TASK_CHANGES = 96
/** Below this many changes in all, the message round trip is not worth it. */
const HELPER_MIN = 128
/** The least the main thread waits for tasks the helper claimed (then it does them itself). */
const MIN_WAIT_MS = 1
/** This thread's rate (ms per change), smoothed over calls: the wait's estimate when it did too few changes itself to measure. */
let msPerChange = 0.03

/** What a thread does with one part. */
export function runTriePart(get: SyncNodeGetter, part: TriePart): TriePartResult {
  try {
    if (part.owned === ALL) return updateTrieSync(get, part.root, part.changes)
    return updateTrieChildren(get, part.root, part.changes, part.owned) ?? null
  } catch {
    return null // e.g. a node this thread's store does not have: the main thread does it whole
  }
}

/** Claims tasks from `claim` until none are left, running each and handing its results to `done` (both threads). */
export function runClaimed(get: SyncNodeGetter, tasks: readonly TriePart[][], claim: Int32Array, done: (task: number, results: TriePartResult[]) => void): void {
  for (let k = Atomics.add(claim, 0, 1); k < tasks.length; k = Atomics.add(claim, 0, 1)) done(k, tasks[k]!.map((p) => runTriePart(get, p)))
}

/** A part's result when it is a split part's children (else undefined: not splittable, failed or missing). */
function children(r: TriePartResult | undefined): { refs: Raw[]; nodes: Array<[Uint8Array, Uint8Array]> } | undefined {
  return r !== null && r !== undefined && 'refs' in r ? r : undefined
}

/** Nibble masks of `groups` equal ranges of root children (groups divides 16). */
function nibbleGroups(groups: number): number[] {
  const width = 16 / groups
  return Array.from({ length: groups }, (_, g) => ((1 << width) - 1) << (g * width))
}

/** Where each trie's result comes from: the parts of a split trie, or one part of a bundle. */
type Source = { split: { task: number; owned: number }[] } | { task: number; part: number }

/**
 * Updates each trie (root + changes) with `get`; with a helper, part of the work runs there at the
 * same time. Results in the order of `tries`, equal to updateTrieSync's on each.
 */
export async function updateTries(get: SyncNodeGetter, tries: readonly { root: Uint8Array; changes: TrieChange[] }[], helper?: TrieHelper): Promise<TrieBatchResult[]> {
  const total = tries.reduce((n, t) => n + t.changes.length, 0)
  if (helper === undefined || total < HELPER_MIN || helper.usable?.() === false) return tries.map((t) => updateTrieSync(get, t.root, t.changes))
  const tasks: TriePart[][] = []
  const sources: Source[] = new Array(tries.length)
  let bundle: TriePart[] = []
  /** The tries in the open bundle (their task index is known when it closes). */
  let bundleTries: number[] = []
  let bundled = 0
  tries.forEach((t, i) => {
    const n = t.changes.length
    if (n >= SPLIT_MIN && equalsBytes(t.root, KECCAK256_RLP)) {
      // A new trie has no root branch to split: one task, whole.
      tasks.push([{ root: t.root, changes: t.changes, owned: ALL }])
      sources[i] = { task: tasks.length - 1, part: 0 }
      return
    }
    if (n >= SPLIT_MIN) {
      let groups = 2
      while (groups < 16 && n / groups > TASK_CHANGES) groups *= 2
      sources[i] = {
        split: nibbleGroups(groups).map((owned) => {
          const inGroup = (c: TrieChange) => ((owned >> firstNibble(c)) & 1) === 1
          tasks.push([{ root: t.root, changes: t.changes.filter(inGroup), owned }])
          return { task: tasks.length - 1, owned }
        }),
      }
      return
    }
    sources[i] = { task: -1, part: bundle.length } // task index set when the bundle is closed
    bundleTries.push(i)
    bundle.push({ root: t.root, changes: t.changes, owned: ALL })
    bundled += n
    if (bundled >= TASK_CHANGES) closeBundle()
  })
  closeBundle()
  function closeBundle(): void {
    if (bundle.length === 0) return
    tasks.push(bundle)
    for (const i of bundleTries) (sources[i] as { task: number }).task = tasks.length - 1
    bundle = []
    bundleTries = []
    bundled = 0
  }
  // Biggest tasks first: the last ones claimed are the smallest, so neither thread waits long for the other.
  const size = (task: TriePart[]) => task.reduce((n, p) => n + p.changes.length, 0)
  const order = tasks.map((_, k) => k).sort((a, b) => size(tasks[b]!) - size(tasks[a]!))
  const sorted = order.map((k) => tasks[k]!)
  const where = new Array<number>(tasks.length)
  order.forEach((task, k) => (where[task] = k))
  const claim = new Int32Array(new SharedArrayBuffer(4))
  // Results by task index in `sorted`; `arrived` wakes the wait below.
  const results = new Array<TriePartResult[] | undefined>(sorted.length).fill(undefined)
  let arrived: (() => void) | undefined
  const accept = (k: number, r: TriePartResult[]): void => {
    if (k >= 0 && k < sorted.length && results[k] === undefined && r.length === sorted[k]!.length) results[k] = r
    arrived?.()
  }
  let helperDone = false
  helper
    .run(sorted, claim, accept)
    .catch(() => undefined)
    .finally(() => {
      helperDone = true
      arrived?.()
    })
  const t0 = performance.now()
  let mine = 0
  runClaimed(get, sorted, claim, (k, r) => {
    mine += size(sorted[k]!)
    accept(k, r)
  })
  if (mine >= 32) msPerChange = 0.5 * msPerChange + 0.5 * ((performance.now() - t0) / mine)
  // Tasks the helper claimed and has not delivered: wait about as long as doing them here takes.
  const missing = (): number[] => results.flatMap((r, k) => (r === undefined ? [k] : []))
  let left = missing()
  if (left.length > 0) {
    const budget = Math.max(MIN_WAIT_MS, 1.5 * msPerChange * left.reduce((n, k) => n + size(sorted[k]!), 0))
    const until = performance.now() + budget
    await waitUntil(() => (left = missing()).length === 0 || helperDone, until, (wake) => (arrived = wake))
    for (const k of left) results[k] = sorted[k]!.map((p) => runTriePart(get, p))
  }
  const resultOf = (task: number) => results[where[task]!]
  return tries.map((t, i): TrieBatchResult => {
    const s = sources[i]!
    const whole = () => updateTrieSync(get, t.root, t.changes)
    if ('part' in s) {
      const r = resultOf(s.task)?.[s.part]
      return r !== null && r !== undefined && 'root' in r ? r : whole()
    }
    const got = s.split.map(({ task, owned }) => ({ owned, r: children(resultOf(task)?.[0]) }))
    if (got.some((g) => g.r === undefined)) return whole()
    const joined = joinTrieChildren(got.map((g) => ({ refs: g.r!.refs, owned: g.owned })))
    if (joined === undefined) return whole()
    return { root: joined.root, nodes: [...got.flatMap((g) => g.r!.nodes), joined.node] }
  })
}
