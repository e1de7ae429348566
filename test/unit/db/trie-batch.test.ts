// The batched trie update against @ethereumjs/mpt's one-by-one puts and deletes: same root for
// random change sets (inserts, updates, deletes of present and absent keys, deleting everything),
// and the nodes it returns are enough to read every key back at the new root.
import t from 'tap'
import type { Test } from 'tap'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { bytesToHex, bytesToUnprefixedHex, equalsBytes, KECCAK256_RLP, MapDB, ValueEncoding } from '@ethereumjs/util'
import { firstNibble, joinTrieChildren, updateTrie, updateTrieChildren, updateTrieSync, type TrieChange } from '../../../src/db/trie-batch.ts'
import { StorageError } from '../../../src/db/errors.ts'

/** Small deterministic PRNG (mulberry32) so failures replay. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function bytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256)
  return out
}

/** Random key of `len` bytes; short keys with few distinct bytes give deep, shared, embedded paths. */
function randomKey(r: () => number, len: number): Uint8Array {
  const k = bytes(r, len)
  if (len <= 3) for (let i = 0; i < len; i++) k[i] = k[i]! & (r() < 0.5 ? 0x0f : 0xff)
  return k
}

interface Fixture {
  db: MapDB<string, Uint8Array>
  trie: MerklePatriciaTrie
  keys: Uint8Array[]
}

async function seeded(r: () => number, keyLen: number, n: number): Promise<Fixture> {
  const db = new MapDB<string, Uint8Array>()
  const trie = new MerklePatriciaTrie({ db, valueEncoding: ValueEncoding.Bytes })
  const keys: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const k = randomKey(r, keyLen)
    keys.push(k)
    await trie.put(k, bytes(r, 1 + Math.floor(r() * (r() < 0.5 ? 3 : 40))))
  }
  return { db, trie, keys }
}

function getter(db: MapDB<string, Uint8Array>, extra?: Map<string, Uint8Array>) {
  return async (h: Uint8Array) => extra?.get(bytesToUnprefixedHex(h)) ?? (await db.get(bytesToUnprefixedHex(h)))
}

async function check(t: Test, seed: number, keyLen: number, n: number, m: number) {
  const r = rng(seed)
  const { db, trie, keys } = await seeded(r, keyLen, n)
  const before = trie.root()
  const snapshot = new Map((db as unknown as { _database: Map<string, Uint8Array> })._database)
  const changes: TrieChange[] = []
  for (let i = 0; i < m; i++) {
    const x = r()
    if (x < 0.35 && keys.length > 0) changes.push({ key: keys[Math.floor(r() * keys.length)]!, value: null })
    else if (x < 0.6 && keys.length > 0) changes.push({ key: keys[Math.floor(r() * keys.length)]!, value: bytes(r, 1 + Math.floor(r() * 40)) })
    else if (x < 0.65) changes.push({ key: randomKey(r, keyLen), value: new Uint8Array() })
    else changes.push({ key: randomKey(r, keyLen), value: bytes(r, 1 + Math.floor(r() * (r() < 0.5 ? 2 : 40))) })
  }
  // Batched first: it must not depend on the nodes the one-by-one updates add to the store.
  const batched = await updateTrie(getter(db), before, changes)
  // The synchronous update, and the async driver over a getter that answers at once or later at
  // random (a change interrupted by a pending node is applied again), give the same result.
  const fromSnapshot = (h: Uint8Array) => snapshot.get(bytesToUnprefixedHex(h))
  const sync = updateTrieSync(fromSnapshot, before, changes)
  const mixed = await updateTrie((h) => (r() < 0.5 ? fromSnapshot(h) : Promise.resolve(fromSnapshot(h))), before, changes)
  for (const [what, other] of [['sync', sync], ['mixed', mixed]] as const) {
    const nodes = (x: typeof sync) => x.nodes.map(([h]) => bytesToHex(h)).sort().join()
    if (!equalsBytes(other.root, batched.root) || nodes(other) !== nodes(batched)) {
      t.fail(`seed ${seed}: ${what} update differs from the async one`)
      return
    }
  }
  const expected = new Map<string, Uint8Array>()
  for (const k of keys) {
    const v = await trie.get(k)
    if (v !== null) expected.set(bytesToHex(k), v)
  }
  for (const c of changes) {
    if (c.value === null || c.value.length === 0) {
      await trie.del(c.key)
      expected.delete(bytesToHex(c.key))
    } else {
      await trie.put(c.key, c.value)
      expected.set(bytesToHex(c.key), c.value)
    }
  }
  const label = `seed ${seed} keyLen ${keyLen} n ${n} m ${m}`
  if (!equalsBytes(batched.root, trie.root())) {
    t.fail(`${label}: root ${bytesToHex(batched.root)} vs mpt ${bytesToHex(trie.root())}`)
    return
  }
  // Only the old store plus the returned nodes: every key reads back.
  const fresh = new MapDB<string, Uint8Array>(new Map(snapshot))
  for (const [h, enc] of batched.nodes) await fresh.put(bytesToUnprefixedHex(h), enc)
  const reopened = new MerklePatriciaTrie({ db: fresh, root: batched.root, valueEncoding: ValueEncoding.Bytes })
  for (const [k, v] of expected) {
    const got = await reopened.get(Uint8Array.from(Buffer.from(k.slice(2), 'hex')))
    if (got === null || !equalsBytes(got, v)) {
      t.fail(`${label}: key ${k} reads ${got === null ? 'null' : bytesToHex(got)} after the batch`)
      return
    }
  }
  t.pass(label)
}

t.test('random change sets: same root as @ethereumjs/mpt, nodes complete', async (t) => {
  let seed = 1
  for (const keyLen of [32, 32, 32, 1, 2, 3]) {
    for (const [n, m] of [
      [0, 5],
      [1, 1],
      [1, 3],
      [3, 4],
      [40, 30],
      [300, 200],
    ] as const) {
      for (let rep = 0; rep < 4; rep++) await check(t, seed++, keyLen, n, m)
    }
  }
})

t.test('deleting every key gives the empty root and writes nothing', async (t) => {
  const r = rng(99)
  const { db, trie, keys } = await seeded(r, 32, 50)
  const out = await updateTrie(getter(db), trie.root(), keys.map((key) => ({ key, value: null })))
  t.ok(equalsBytes(out.root, KECCAK256_RLP))
  t.equal(out.nodes.length, 0)
})

t.test('no changes, or changes that restore the same values, keep the root', async (t) => {
  const r = rng(7)
  const { db, trie, keys } = await seeded(r, 32, 30)
  const root = trie.root()
  t.ok(equalsBytes((await updateTrie(getter(db), root, [])).root, root))
  const same: TrieChange[] = []
  for (const key of keys.slice(0, 10)) same.push({ key, value: await trie.get(key) })
  same.push({ key: new Uint8Array(32).fill(0xee), value: null }) // absent
  const out = await updateTrie(getter(db), root, same)
  t.ok(equalsBytes(out.root, root))
  t.equal(out.nodes.length, 0, 'unchanged nodes are not rewritten')
})

t.test('a missing node is a StorageError, not a wrong root', async (t) => {
  const r = rng(5)
  const { trie } = await seeded(r, 32, 30)
  const empty = new MapDB<string, Uint8Array>()
  await t.rejects(updateTrie(getter(empty), trie.root(), [{ key: new Uint8Array(32), value: Uint8Array.of(1) }]), StorageError)
})

t.test('a split update (two parts by first nibble, joined) gives the whole update\'s root and nodes', async (t) => {
  let joined = 0
  let folded = 0
  for (let seed = 500; seed < 560; seed++) {
    const r = rng(seed)
    const n = [0, 1, 2, 5, 40, 300][seed % 6]!
    const { db, trie, keys } = await seeded(r, 32, n)
    const before = trie.root()
    const snapshot = new Map((db as unknown as { _database: Map<string, Uint8Array> })._database)
    const get = (h: Uint8Array) => snapshot.get(bytesToUnprefixedHex(h))
    const changes: TrieChange[] = []
    for (let i = 0; i < 1 + Math.floor(r() * 60); i++) {
      const x = r()
      if (x < 0.4 && keys.length > 0) changes.push({ key: keys[Math.floor(r() * keys.length)]!, value: null })
      else changes.push({ key: randomKey(r, 32), value: bytes(r, 1 + Math.floor(r() * 40)) })
    }
    const whole = updateTrieSync(get, before, changes)
    const owned = Math.floor(r() * 0xffff) // part A's nibbles; part B has the rest
    const partOf = (c: TrieChange) => ((owned >> firstNibble(c)) & 1 ? 0 : 1)
    const a = updateTrieChildren(get, before, changes.filter((c) => partOf(c) === 0), owned)
    const b = updateTrieChildren(get, before, changes.filter((c) => partOf(c) === 1), 0xffff & ~owned)
    const join = a !== undefined && b !== undefined ? joinTrieChildren([{ ...a, owned }, { ...b, owned: 0xffff & ~owned }]) : undefined
    if (join === undefined) {
      folded++
      continue // the caller updates the trie whole: nothing to compare
    }
    joined++
    if (!equalsBytes(join.root, whole.root)) {
      t.fail(`seed ${seed}: split root ${bytesToHex(join.root)} vs whole ${bytesToHex(whole.root)}`)
      continue
    }
    const splitNodes = new Set([...a!.nodes, ...b!.nodes, join.node].map(([h]) => bytesToHex(h)))
    const missing = whole.nodes.filter(([h]) => !splitNodes.has(bytesToHex(h)) && !snapshot.has(bytesToUnprefixedHex(h)))
    t.equal(missing.length, 0, `seed ${seed}: every new node of the whole update is among the split's`)
  }
  t.ok(joined > 20, `most change sets split (${joined} joined, ${folded} not splittable)`)
})
