// State-root trie updates shared with a helper thread (split-root.ts): whatever the helper does
// (answers, fails, answers nothing, is too slow), every trie's result equals the plain update's.
import t, { type Test } from 'tap'
import { bytesToHex, KECCAK256_RLP } from '@ethereumjs/util'
import { updateTrieSync, type SyncNodeGetter, type TrieChange } from '../../../src/db/trie-batch.ts'
import { runTriePart, updateTries, type TrieHelper, type TriePartResult } from '../../../src/exec/split-root.ts'
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

t.test('a helper that answers', async (t) => {
  let asked = 0
  const helper: TrieHelper = { run: async (parts) => ((asked += parts.length), parts.map((p) => runTriePart(get, p))) }
  same(t, await updateTries(get, tries, helper), 'answering helper')
  t.ok(asked > 2, `the helper got part of the work (${asked} parts)`)
})

t.test('a helper that fails, answers nothing usable, or too late', async (t) => {
  same(t, await updateTries(get, tries, { run: async () => Promise.reject(new Error('worker died')) }), 'failing helper')
  same(t, await updateTries(get, tries, { run: async (parts) => parts.map((): TriePartResult => null) }), 'helper without results')
  const never: TrieHelper = { run: () => new Promise<TriePartResult[]>(() => undefined) }
  same(t, await updateTries(get, tries, never), 'silent helper')
  // A helper missing the nodes (another store): its parts fail and are done here.
  const empty: SyncNodeGetter = () => undefined
  same(t, await updateTries(get, tries, { run: async (parts) => parts.map((p) => runTriePart(empty, p)) }), 'helper without the nodes')
})

t.test('no helper, or too little work to share', async (t) => {
  same(t, await updateTries(get, tries), 'no helper')
  let asked = 0
  const small = tries.slice(1, 5)
  const got = await updateTries(get, small, { run: async (parts) => ((asked += parts.length), parts.map((p) => runTriePart(get, p))) })
  t.ok(got.every((r, i) => bytesToHex(r.root) === bytesToHex(updateTrieSync(get, small[i]!.root, small[i]!.changes).root)))
  t.equal(asked, 0, 'a handful of changes is not sent')
})
