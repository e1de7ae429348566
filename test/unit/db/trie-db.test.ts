// TrieNodeDB: the @ethereumjs DB adapter. Node hashes go to the TrieNode table; MerkleStateManager's
// 'c'-prefixed code hashes go to the Code table.
import t from 'tap'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, bytesToHex, hexToBytes, utf8ToBytes, ValueEncoding } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { Prefix } from '../../../src/db/keys.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import { Overlay } from '../../../src/db/overlay.ts'
import { TrieNodeDB } from '../../../src/db/trie-db.ts'

const H32 = 'ab'.repeat(32)

t.test('mapKey', async (t) => {
  t.equal(bytesToHex(TrieNodeDB.mapKey(H32)), `0x01${H32}`, '64 hex → TrieNode ‖ hash')
  t.equal(bytesToHex(TrieNodeDB.mapKey(`63${H32}`)), `0x02${H32}`, "66 hex starting 'c' (0x63) → Code ‖ hash")
  t.equal(bytesToHex(TrieNodeDB.mapKey(`64${H32}`)), `0x0164${H32}`, '66 hex with another first byte stays a trie key')
  t.equal(bytesToHex(TrieNodeDB.mapKey(`63${H32.slice(2)}`)), `0x0163${H32.slice(2)}`, "a 32-byte hash that starts with 0x63 is a node, not code")
  t.equal(TrieNodeDB.mapKey(H32)[0], Prefix.TrieNode)
  t.equal(TrieNodeDB.mapKey(`63${H32}`)[0], Prefix.Code)
  t.equal(bytesToHex(TrieNodeDB.mapKey('AB'.repeat(32))), `0x01${H32}`, 'upper-case hex reads the same')
  t.equal(bytesToHex(TrieNodeDB.mapKey('abc')), bytesToHex(Uint8Array.of(Prefix.TrieNode, ...hexToBytes('0xabc'))), "an odd-length key is decoded as ethereumjs' hexToBytes does")
  t.throws(() => TrieNodeDB.mapKey('zz'.repeat(32)), 'a key that is not hex is an error')
})

t.test('a put of a node the store has is dropped, answered synchronously over a synchronous sink', async (t) => {
  const base = new MemoryKV()
  await base.put(hexToBytes(`0x01${H32}`), Uint8Array.of(1, 2))
  const ov = new Overlay(base)
  const db = new TrieNodeDB(ov)
  t.equal(db.putKey(H32, Uint8Array.of(1, 2)), undefined, 'no promise: the sink answered at once')
  t.equal(db.putKey('cd'.repeat(32), Uint8Array.of(3)), undefined)
  t.same(
    ov.ops().map((op) => bytesToHex(op.key)),
    [`0x01${'cd'.repeat(32)}`],
    'only the node the store lacked is written',
  )
})

t.test('nodes the batched flush created are written without asking the store, once', async (t) => {
  const base = new MemoryKV()
  await base.put(hexToBytes(`0x01${H32}`), Uint8Array.of(1, 2))
  let asked = 0
  const ov = new Overlay(base)
  const getSync = ov.getSync!
  const sink = Object.assign(Object.create(ov) as Overlay, { getSync: (k: Uint8Array) => (asked++, getSync(k)) })
  const db = new TrieNodeDB(sink)
  const hash = hexToBytes(`0x${H32}`)
  t.equal(db.putNode(hash, Uint8Array.of(1, 2)), undefined)
  t.equal(db.putNode(hash, Uint8Array.of(1, 2)), undefined)
  t.equal(asked, 0, 'putNode never asks the store')
  t.same(ov.ops().map((op) => bytesToHex(op.key)), [`0x01${H32}`], 'a node equal to a stored one is written again (same bytes), kept once by the overlay')
  // The account trie's fresh nodes wait in the library's checkpoint and come back through putKey.
  const other = 'cd'.repeat(32)
  await base.put(hexToBytes(`0x01${other}`), Uint8Array.of(3))
  db.markFresh(hexToBytes(`0x${other}`))
  t.equal(db.putKey(other, Uint8Array.of(3)), undefined)
  t.equal(asked, 0, 'a key marked fresh is not looked up')
  t.equal(ov.ops().length, 2, 'and is written')
  const read = 'ef'.repeat(32)
  await base.put(hexToBytes(`0x01${read}`), Uint8Array.of(4))
  t.equal(db.putKey(read, Uint8Array.of(4)), undefined)
  t.equal(asked, 1, 'an unmarked key is looked up')
  t.equal(ov.ops().length, 2, 'and dropped: the store has it')
  t.equal(db.putKey(other, Uint8Array.of(3)), undefined)
  t.equal(ov.ops().length, 2, 'a fresh key is written once')
})

t.test('get / put / del / batch go through the sink', async (t) => {
  const base = new MemoryKV()
  const ov = new Overlay(base)
  const db = new TrieNodeDB(ov)
  await db.put(H32, Uint8Array.of(1, 2))
  await db.put(`63${H32}`, Uint8Array.of(0x60, 0x00))
  t.same(await ov.get(hexToBytes(`0x01${H32}`)), Uint8Array.of(1, 2), 'node stored under TrieNode prefix')
  t.same(await ov.get(hexToBytes(`0x02${H32}`)), Uint8Array.of(0x60, 0x00), 'code stored under Code prefix')
  t.same(await db.get(H32), Uint8Array.of(1, 2))
  t.equal(await db.get('cd'.repeat(32)), undefined)
  await db.del(H32)
  t.same(await db.get(H32), Uint8Array.of(1, 2), 'del is a no-op (content-addressed nodes are never pruned)')
  const other = 'ef'.repeat(32)
  await db.batch([
    { type: 'put', key: other, value: Uint8Array.of(9) },
    { type: 'del', key: H32 },
  ])
  t.same(await db.get(other), Uint8Array.of(9), 'batch puts applied')
  t.same(await db.get(H32), Uint8Array.of(1, 2), 'batch dels ignored')
  const copy = db.shallowCopy()
  t.same(await copy.get(other), Uint8Array.of(9), 'shallowCopy shares the sink')
  t.equal(await base.get(hexToBytes(`0x01${other}`)), undefined, 'nothing reached the base store')
})

t.test('a trie over TrieNodeDB: every stored node is TrieNode ‖ keccak(node)', async (t) => {
  const ov = new Overlay(new MemoryKV())
  const trie = new MerklePatriciaTrie({ db: new TrieNodeDB(ov), useKeyHashing: true, valueEncoding: ValueEncoding.Bytes })
  for (let i = 0; i < 50; i++) await trie.put(utf8ToBytes(`key-${i}`), utf8ToBytes(`value-${i}-${'z'.repeat(i)}`))
  const ops = ov.ops()
  t.ok(ops.length > 10, `${ops.length} nodes written`)
  const bad = ops.filter(
    (op) => op.type !== 'put' || op.key[0] !== Prefix.TrieNode || bytesToHex(op.key.subarray(1)) !== bytesToHex(keccak_256(op.value)),
  )
  t.equal(bad.length, 0, 'keys are the prefixed keccak of the node RLP')
  t.ok(
    ops.some((op) => bytesToHex(op.key.subarray(1)) === bytesToHex(trie.root())),
    'the root node is stored',
  )
})

t.test('MerkleStateManager code lands in the Code table and reads back after commit', async (t) => {
  const base = new MemoryKV()
  const ov = new Overlay(base)
  const trie = new MerklePatriciaTrie({ db: new TrieNodeDB(ov), useKeyHashing: true, valueEncoding: ValueEncoding.Bytes })
  const sm = new MerkleStateManager({ trie })
  const addr = new Address(hexToBytes('0x00000000000000000000000000000000000000aa'))
  const code = hexToBytes('0x6001600055')
  const slot = new Uint8Array(32).fill(1)
  await sm.checkpoint()
  await sm.putCode(addr, code)
  await sm.putStorage(addr, slot, hexToBytes('0x05'))
  await sm.commit()
  const root = await sm.getStateRoot()

  const ops = ov.ops()
  const codeKey = `0x02${bytesToHex(keccak_256(code)).slice(2)}`
  const codeOps = ops.filter((op) => op.key[0] === Prefix.Code)
  t.same(codeOps.map((op) => bytesToHex(op.key)), [codeKey], 'one Code entry: Code ‖ keccak(code)')
  t.ok(ops.every((op) => op.key[0] === Prefix.TrieNode || op.key[0] === Prefix.Code), 'only TrieNode and Code keys written')

  await base.batch(ops)
  const reopened = new MerkleStateManager({
    trie: new MerklePatriciaTrie({ db: new TrieNodeDB(base), useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, root }),
  })
  t.equal(bytesToHex(await reopened.getCode(addr)), bytesToHex(code), 'code read back from the committed store')
  t.equal(bytesToHex(await reopened.getStorage(addr, slot)), '0x05', 'storage read back')
})

t.test('a node already stored is not written again (checkpoint write-back of read nodes)', async (t) => {
  const base = new MemoryKV()
  await base.put(TrieNodeDB.mapKey(H32), Uint8Array.of(7))
  const ov = new Overlay(base)
  const db = new TrieNodeDB(ov)
  t.same(await db.get(H32), Uint8Array.of(7), 'read from the base')
  await db.batch([{ type: 'put', key: H32, value: Uint8Array.of(7) }])
  t.same(ov.ops(), [], 'the read node written back by a commit is dropped')
  const fresh = 'cd'.repeat(32)
  await db.put(fresh, Uint8Array.of(8))
  await db.put(fresh, Uint8Array.of(8))
  t.equal(ov.ops().length, 1, 'a new node is written once')
})

t.test('code or a node the store already has, never read through this adapter, is not written again', async (t) => {
  const base = new MemoryKV()
  await base.put(TrieNodeDB.mapKey(`63${H32}`), Uint8Array.of(0x60, 0x00))
  const ov = new Overlay(base)
  const db = new TrieNodeDB(ov)
  await db.put(`63${H32}`, Uint8Array.of(0x60, 0x00))
  t.same(ov.ops(), [], 'code already stored is not written')
})
