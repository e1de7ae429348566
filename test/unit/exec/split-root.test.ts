// State-root trie updates shared with a helper thread (split-root.ts): whatever the helper does
// (answers, fails, answers nothing, is too slow), every trie's result equals the plain update's.
import t, { type Test } from 'tap'
import { bytesToHex, KECCAK256_RLP } from '@ethereumjs/util'
import { updateTrieSync, type SyncNodeGetter, type TrieChange } from '../../../src/db/trie-batch.ts'
import { runClaimed, runTriePart, updateTries, type TrieHelper, type TriePart, type TriePartResult } from '../../../src/exec/split-root.ts'
import { keccak256 } from '../../../src/util/keccak.ts'

const store = new Map<string, Uint8Array>()
const get: SyncNodeGetter = (h) => store.get(bytesToHex(h))
let counter = 0
const key = () => keccak256(Uint8Array.of(counter >> 16, counter >> 8, counter++ & 255))
const value = (n: number) => Uint8Array.of(0x80 + (n % 50), n & 255, 7)

/** A stored trie of n keys; returns its root and keys. */
function trie(n: number): { root: Uint8Array; keys: Uint8Array[] } {
  const keys = Array.from({ length: n }, key)
  const { root, nodes } = updateTrieSync(get, KECCAK256_RLP, keys.map((k, i) => ({ key: k, value: value(i) })))
  for (const [h, enc] of nodes) store.set(bytesToHex(h), enc)
  return { root, keys }
}

// One big trie (split by nibble), many small ones (shared whole), changes with deletions.
const tries: { root: Uint8Array; changes: TrieChange[] }[] = []
{
  const big = trie(600)
  tries.push({ root: big.root, changes: [...big.keys.slice(0, 150).map((k, i) => ({ key: k, value: i % 3 === 0 ? null : value(i + 7) })), ...Array.from({ length: 80 }, (_, i) => ({ key: key(), value: value(i) }))] })
  for (let s = 0; s < 40; s++) {
    const small = trie(1 + (s % 5))
    tries.push({ root: small.root, changes: [{ key: small.keys[0]!, value: s % 4 === 0 ? null : value(s + 1) }, { key: key(), value: value(s) }] })
  }
  tries.push({ root: KECCAK256_RLP, changes: Array.from({ length: 70 }, (_, i) => ({ key: key(), value: value(i) })) }) // a new big trie: nothing to split at first
}
const expected = tries.map((x) => updateTrieSync(get, x.root, x.changes))
const same = (t: Test, got: Awaited<ReturnType<typeof updateTries>>, label: string) => {
  t.equal(got.length, expected.length)
  t.ok(got.every((r, i) => bytesToHex(r.root) === bytesToHex(expected[i]!.root)), `${label}: every root equals the plain update's`)
  // Every new node of the plain update is written (the split may add the joined root branch only).
  const written = new Set(got.flatMap((r) => r.nodes.map(([h]) => bytesToHex(h))))
  t.ok(expected.every((r) => r.nodes.every(([h]) => written.has(bytesToHex(h)))), `${label}: every new node is there`)
}

type Deliver = (task: number, results: TriePartResult[]) => void
/**
 * A helper on this thread: claims (synchronously, before the caller's own loop) up to `max` tasks,
 * then `answer` delivers what it likes.
 */
function helperClaiming(max: number, answer: (tasks: TriePart[][], claimed: number[], deliver: Deliver) => Promise<void> = async (tasks, claimed, deliver) => claimed.forEach((k) => deliver(k, tasks[k]!.map((p) => runTriePart(get, p))))): TrieHelper & { claimed: number } {
  const h = {
    claimed: 0,
    run(tasks: TriePart[][], claim: Int32Array, deliver: Deliver): Promise<void> {
      const mine: number[] = []
      for (let k = 0; k < max; k++) {
        const i = Atomics.add(claim, 0, 1)
        if (i >= tasks.length) break
        mine.push(i)
      }
      h.claimed += mine.length
      return answer(tasks, mine, deliver)
    },
  }
  return h
}

t.test('a helper that answers', async (t) => {
  const all = helperClaiming(1000)
  let mainReads = 0
  const counted: SyncNodeGetter = (h) => (mainReads++, get(h))
  same(t, await updateTries(counted, tries, all), 'helper claiming every task')
  t.ok(all.claimed > 2, `the helper took the tasks (${all.claimed})`)
  t.equal(mainReads, 0, 'its results are used: this thread read no node')
  const some = helperClaiming(3)
  same(t, await updateTries(get, tries, some), 'helper claiming three tasks')
  t.equal(some.claimed, 3)
  same(t, await updateTries(get, tries, helperClaiming(0)), 'helper claiming nothing')
  // Results that come later (after this thread started waiting), one by one, are waited for.
  mainReads = 0
  const later = helperClaiming(1000, async (tasks, claimed, deliver) => {
    const done = claimed.map((k) => tasks[k]!.map((p) => runTriePart(get, p)))
    for (const [j, k] of claimed.entries()) {
      await Promise.resolve()
      deliver(k, done[j]!)
    }
  })
  same(t, await updateTries(counted, tries, later), 'helper answering task by task')
  t.equal(mainReads, 0, 'this thread waited for them instead of doing them')
  // The real claim loop on both sides: split tries joined from parts computed by either.
  same(t, await updateTries(get, tries, { run: async (tasks, claim, deliver) => runClaimed(get, tasks, claim, deliver) }), 'runClaimed')
})

t.test('a helper that fails, answers nothing usable, or too late', async (t) => {
  same(t, await updateTries(get, tries, helperClaiming(4, async () => Promise.reject(new Error('worker died')))), 'failing helper')
  same(t, await updateTries(get, tries, helperClaiming(4, async (tasks, claimed, deliver) => claimed.forEach((k) => deliver(k, tasks[k]!.map((): TriePartResult => null))))), 'helper without results')
  same(t, await updateTries(get, tries, helperClaiming(4, async (_, claimed, deliver) => claimed.forEach((k) => deliver(k, [])))), 'helper with short answers')
  same(t, await updateTries(get, tries, helperClaiming(4, async (_, __, deliver) => deliver(999, []))), 'helper naming a task that does not exist')
  // A helper that claimed work and never answers is done without, after about as long as the work takes here.
  same(t, await updateTries(get, tries, helperClaiming(2, () => new Promise<void>(() => undefined))), 'silent helper')
  // One that delivers part of what it claimed and then stops.
  same(t, await updateTries(get, tries, helperClaiming(4, async (tasks, claimed, deliver) => {
    deliver(claimed[0]!, tasks[claimed[0]!]!.map((p) => runTriePart(get, p)))
  })), 'helper delivering one task of four')
  // A helper missing the nodes (another store): its parts fail and are done here.
  const empty: SyncNodeGetter = () => undefined
  same(t, await updateTries(get, tries, helperClaiming(5, async (tasks, claimed, deliver) => claimed.forEach((k) => deliver(k, tasks[k]!.map((p) => runTriePart(empty, p)))))), 'helper without the nodes')
})

t.test('no helper, or too little work to share', async (t) => {
  same(t, await updateTries(get, tries), 'no helper')
  const small = tries.slice(1, 5)
  const h = helperClaiming(1000)
  const got = await updateTries(get, small, h)
  t.ok(got.every((r, i) => bytesToHex(r.root) === bytesToHex(updateTrieSync(get, small[i]!.root, small[i]!.changes).root)))
  t.equal(h.claimed, 0, 'a handful of changes is not sent')
})
