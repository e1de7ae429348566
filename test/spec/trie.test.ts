// ethereum/tests TrieTests against the trie as Parallax wires it: @ethereumjs/mpt → TrieNodeDB →
// Overlay (write buffer) → LevelKV (LevelDB in a temp dir), and the same over MemoryKV.
// Each case: insert/delete through the overlay, check the root, check nothing reached the store yet,
// commit the overlay's ops in one batch, (LevelDB: close and reopen the database), open a fresh trie at
// the root on the committed store, and check the root and every value (and every deleted key) read back.
//
// Files and formats:
//   trietest.json, trietest_secureTrie.json   "in": ordered [key, value|null] pairs; null deletes
//   trieanyorder.json, trieanyorder_secureTrie.json, hex_encoded_securetrie_test.json
//                                             "in": {key: value} (order-independent)
//   A string starting with 0x (or any string in a `hexEncoded: true` case) is hex; others are UTF-8.
//   `*secure*` files hash keys with keccak256 (useKeyHashing).
//   trietestnextprev.json                     "in": keys; "tests": [probe, prev, next]: prev/next are the
//                                             largest key < probe and the smallest key > probe ('' = none).
//     Run as an ordered walk over the committed trie (our own walker, see orderedKeys): the walk must come
//     out in ascending key order, and next/prev are read off it. This is the ordered-iteration property that
//     range reads (snap serving, eth_getProof ranges) rely on.
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BranchMPTNode,
  ExtensionMPTNode,
  LeafMPTNode,
  MerklePatriciaTrie,
  type NodeReferenceOrRawMPTNode,
} from '@ethereumjs/mpt'
import { bytesToHex, bytesToUtf8, equalsBytes, hexToBytes, utf8ToBytes, ValueEncoding } from '@ethereumjs/util'
import type { KVStore } from '../../src/db/interface.ts'
import { Prefix, prefixEnd } from '../../src/db/keys.ts'
import { LevelKV } from '../../src/db/level.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { Overlay } from '../../src/db/overlay.ts'
import { TrieNodeDB } from '../../src/db/trie-db.ts'
import { locateSuite, reportMissing } from '../helpers/fixtures.ts'

const SUITE = 'ethereum-tests/TrieTests'

type RawValue = string | null
interface TrieCase {
  in: [string, RawValue][] | Record<string, RawValue>
  root: string
  hexEncoded?: boolean
}
interface NextPrevCase {
  in: string[]
  tests: [string, string, string][]
}

/** A store under test; `reopen` returns the store as a fresh process would see it after the commit. */
interface OpenStore {
  store: KVStore
  reopen(): Promise<KVStore>
}
interface Backend {
  name: string
  open(): Promise<OpenStore>
}

function decodeStr(s: string, hex: boolean): Uint8Array {
  if (hex || s.startsWith('0x')) return hexToBytes(s.startsWith('0x') ? (s as `0x${string}`) : `0x${s}`)
  return utf8ToBytes(s)
}

function newTrie(store: Overlay | KVStore, secure: boolean, root?: Uint8Array): MerklePatriciaTrie {
  const db = new TrieNodeDB(store)
  return new MerklePatriciaTrie({
    db,
    useKeyHashing: secure,
    valueEncoding: ValueEncoding.Bytes,
    ...(root !== undefined ? { root } : {}),
  })
}

const trieNodeRange = { gte: Uint8Array.of(Prefix.TrieNode), lt: prefixEnd(Uint8Array.of(Prefix.TrieNode)) }

async function countKeys(store: KVStore): Promise<number> {
  let n = 0
  for await (const _k of store.keys(trieNodeRange)) n++
  return n
}

/**
 * Lexicographic byte order (what LevelDB and the trie use). Not @ethereumjs/util's compareBytes: that one
 * compares the bytes as big-endian integers, so 'bobo' > 'cat' there (longer) and 0x0001 equals 0x01.
 */
function lexCompare(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

function nibblesToBytes(nibbles: number[]): Uint8Array {
  if (nibbles.length % 2 !== 0) throw new Error(`odd nibble path of length ${nibbles.length}`)
  const out = new Uint8Array(nibbles.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[2 * i]! << 4) | nibbles[2 * i + 1]!
  return out
}

/**
 * Every key in the trie, in walk order (branch value first, then children 0..15). Our own walker on
 * purpose: MerklePatriciaTrie.walkAllValueNodes swallows 'Missing node in DB' (a store that lost nodes
 * would walk "fine") and looks up inline children by the hash of their RLP, which is never stored.
 * lookupNode decodes inline (raw) children directly and throws on a missing hashed node.
 */
async function orderedKeys(trie: MerklePatriciaTrie): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  const visit = async (ref: NodeReferenceOrRawMPTNode, path: number[]): Promise<void> => {
    const node = await trie.lookupNode(ref as Uint8Array | Uint8Array[])
    if (node instanceof LeafMPTNode) {
      out.push(nibblesToBytes([...path, ...node.key()]))
    } else if (node instanceof ExtensionMPTNode) {
      await visit(node.value(), [...path, ...node.key()])
    } else if (node instanceof BranchMPTNode) {
      if (node.value() !== null && node.value()!.length > 0) out.push(nibblesToBytes(path))
      for (const [nibble, child] of node.getChildren()) await visit(child, [...path, nibble])
    }
  }
  if (!equalsBytes(trie.root(), trie.EMPTY_TRIE_ROOT)) await visit(trie.root(), [])
  return out
}

let tmpRoot = ''
let dbCounter = 0
const backends: Backend[] = [
  {
    name: 'leveldb',
    async open() {
      const dir = join(tmpRoot, `db-${dbCounter++}`)
      let store: KVStore = await LevelKV.open(dir)
      return {
        get store() {
          return store
        },
        async reopen() {
          await store.close()
          store = await LevelKV.open(dir)
          return store
        },
      }
    },
  },
  {
    name: 'memory',
    async open() {
      const store = new MemoryKV()
      return { store, reopen: async () => store }
    },
  },
]

/** Runs one trie case on one backend; returns whether every check passed. */
async function runTrieCase(
  t: Test,
  backend: Backend,
  ops: [Uint8Array, Uint8Array | null][],
  expectedRoot: string,
  secure: boolean,
): Promise<boolean> {
  let ok = true
  const opened = await backend.open()
  try {
    const overlay = new Overlay(opened.store)
    const trie = newTrie(overlay, secure)
    const final = new Map<string, { key: Uint8Array; value: Uint8Array | null }>()
    for (const [k, v] of ops) {
      // An empty value deletes, as in every client (and the put(key, null) convention of the fixtures).
      if (v === null || v.length === 0) await trie.del(k)
      else await trie.put(k, v)
      final.set(bytesToHex(k), { key: k, value: v === null || v.length === 0 ? null : v })
    }
    ok = t.equal(bytesToHex(trie.root()), expectedRoot, 'root after inserts (in overlay)') && ok
    ok = t.equal(await countKeys(opened.store), 0, 'nothing reached the store before the commit') && ok

    const batch = overlay.ops()
    const wrongPrefix = batch.filter((op) => op.key[0] !== Prefix.TrieNode || op.key.length !== 33)
    ok = t.equal(wrongPrefix.length, 0, 'every overlay op is a TrieNode-prefixed 32-byte hash key') && ok
    await opened.store.batch(batch)
    const committed = await opened.reopen()
    ok = t.equal(await countKeys(committed), batch.filter((op) => op.type === 'put').length, 'all nodes committed') && ok

    const reopened = newTrie(committed, secure, hexToBytes(expectedRoot as `0x${string}`))
    ok = t.equal(bytesToHex(reopened.root()), expectedRoot, 'root of the reopened trie') && ok
    ok = t.ok(await reopened.checkRoot(reopened.root()), 'root node is in the committed store') && ok
    let mismatches = 0
    for (const { key, value } of final.values()) {
      const got = await reopened.get(key)
      const same = value === null ? got === null : got !== null && equalsBytes(got, value)
      if (!same) {
        mismatches++
        t.fail(`value of ${bytesToHex(key)} read back from the committed store`, {
          found: got === null ? null : bytesToHex(got),
          wanted: value === null ? null : bytesToHex(value),
        })
      }
    }
    ok = t.equal(mismatches, 0, `all ${final.size} keys read back (present and deleted)`) && ok
  } finally {
    await opened.store.close()
  }
  return ok
}

async function runNextPrevCase(t: Test, backend: Backend, c: NextPrevCase): Promise<boolean> {
  let ok = true
  const opened = await backend.open()
  try {
    const overlay = new Overlay(opened.store)
    const trie = newTrie(overlay, false)
    for (const k of c.in) await trie.put(utf8ToBytes(k), utf8ToBytes(k))
    await opened.store.batch(overlay.ops())
    const committed = await opened.reopen()
    const reopened = newTrie(committed, false, trie.root())
    const walked = await orderedKeys(reopened)
    const sorted = [...c.in].map(utf8ToBytes).sort(lexCompare)
    ok = t.same(walked.map(bytesToUtf8), sorted.map(bytesToUtf8), 'walk of the committed trie yields every key in ascending order') && ok
    for (const [probe, prev, next] of c.tests) {
      const p = utf8ToBytes(probe)
      const before = walked.filter((k) => lexCompare(k, p) < 0)
      const after = walked.filter((k) => lexCompare(k, p) > 0)
      const gotPrev = before.length > 0 ? bytesToUtf8(before[before.length - 1]!) : ''
      const gotNext = after.length > 0 ? bytesToUtf8(after[0]!) : ''
      ok = t.same([gotPrev, gotNext], [prev, next], `prev/next of ${JSON.stringify(probe)}`) && ok
    }
  } finally {
    await opened.store.close()
  }
  return ok
}

const loc = locateSuite(SUITE)
if (loc === undefined) {
  reportMissing(SUITE)
  t.fail(`${SUITE} not found (test/vendored should always have it)`)
} else {
  // Synchronous setup: an await on anything but a subtest between subtests lets tap end the root test.
  tmpRoot = mkdtempSync(join(tmpdir(), 'parallax-trie-'))
  t.teardown(() => rmSync(tmpRoot, { recursive: true, force: true }))
  const files = readdirSync(loc.path).filter((f) => f.endsWith('.json')).sort()
  t.ok(files.length >= 6, `found ${files.length} TrieTests files in ${loc.source} (${loc.path})`)
  const summary: string[] = []

  for (const file of files) {
    const json: unknown = JSON.parse(readFileSync(join(loc.path, file), 'utf8'))
    const cases = Object.entries(json as Record<string, unknown>)
    const passed: Record<string, number> = {}
    for (const b of backends) passed[b.name] = 0

    await t.test(file, async (t) => {
      for (const [name, raw] of cases) {
        for (const backend of backends) {
          await t.test(`${name} [${backend.name}]`, async (t) => {
            let ok: boolean
            if (file === 'trietestnextprev.json') {
              ok = await runNextPrevCase(t, backend, raw as NextPrevCase)
            } else if (/^(trietest|trieanyorder|hex_encoded_securetrie_test)/.test(file)) {
              const c = raw as TrieCase
              const secure = /secure/i.test(file)
              const hex = c.hexEncoded === true
              const pairs: [string, RawValue][] = Array.isArray(c.in) ? c.in : Object.entries(c.in)
              const ops = pairs.map(([k, v]): [Uint8Array, Uint8Array | null] => [
                decodeStr(k, hex),
                v === null ? null : decodeStr(v, hex),
              ])
              ok = await runTrieCase(t, backend, ops, c.root, secure)
            } else {
              ok = t.fail(`unknown TrieTests file format: ${file}`)
            }
            if (ok) passed[backend.name]!++
          })
        }
      }
    })
    const counts = backends.map((b) => `${b.name} ${passed[b.name]}/${cases.length}`).join(', ')
    summary.push(`# TrieTests ${file}: ${counts} (${loc.source})`)
  }
  for (const line of summary) console.log(line)
}
