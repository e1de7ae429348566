import t, { type Test } from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { createBlock, type Block } from '@ethereumjs/block'
import { bytesToHex, hexToBytes, privateToAddress } from '@ethereumjs/util'
import pino from 'pino'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../../config/index.ts'
import { Chain } from '../../../src/chain/chain.ts'
import { initGenesis } from '../../../src/chain/genesis.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import { LevelKV } from '../../../src/db/level.ts'
import { StorageError } from '../../../src/db/errors.ts'
import type { KVStore } from '../../../src/db/interface.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { flatOpsFromTrie } from '../../../src/db/flat-state.ts'
import { Overlay } from '../../../src/db/overlay.ts'
import { Prefix, key, u64be } from '../../../src/db/keys.ts'
import { buildOnParent } from '../../../src/exec/build.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { openTrie } from '../../../src/exec/state.ts'
import type { Common } from '@ethereumjs/common'

const KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const SENDER = bytesToHex(privateToAddress(KEY))
const silent = pino({ level: 'silent' })

const genesisJson = {
  config: {
    chainId: 1337, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
    constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0,
    mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0,
  },
  gasLimit: '0x1c9c380', difficulty: '0x0', timestamp: '0x0', extraData: '0x',
  alloc: { [SENDER]: { balance: '0x3635c9adc5dea00000' } },
}

async function setup<K extends KVStore = MemoryKV>(store?: K) {
  const spec = parseGenesis(genesisJson)
  const common = commonFromGenesis(spec)
  const kv = store ?? (new MemoryKV() as unknown as K)
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  const chain = await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
  return { kv, chain, common }
}

let nonceSeq = 0
async function build(chain: Chain, common: Common, parent: Block['header'], opts: { to: string; nonce: number; salt: number }): Promise<Block> {
  const tx = createFeeMarket1559Tx(
    { nonce: BigInt(opts.nonce), to: opts.to as `0x${string}`, value: 1000n + BigInt(opts.salt), gasLimit: 21000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, chainId: 1337n },
    { common },
  ).sign(KEY)
  nonceSeq++
  const built = await buildOnParent({
    parent,
    base: chain.store.kv,
    headerByHash: (h) => chain.store.getHeader(h),
    common,
    attributes: { timestamp: parent.timestamp + 12n, feeRecipient: new Uint8Array(20).fill(opts.salt), prevRandao: new Uint8Array(32), withdrawals: [] },
    txs: [tx],
  })
  t.equal(built.skipped.length, 0, 'built block includes the tx', { skipped: built.skipped.map((s) => s.error) })
  return built.block
}

/** Hashes of the blocks the chain's store decodes from now on (until the test ends). */
function spyGetBlock(t: Test, chain: Chain): string[] {
  const store = chain.store
  const getBlock = store.getBlock.bind(store)
  const read: string[] = []
  store.getBlock = async (h: Uint8Array) => {
    read.push(bytesToHex(h))
    return getBlock(h)
  }
  t.teardown(() => {
    store.getBlock = getBlock
  })
  return read
}

/** Flat tables equal what a walk of the head's state trie gives. */
async function flatMatchesTrie(kv: MemoryKV, chain: Chain): Promise<boolean> {
  const ops: { type: string; key: Uint8Array; value?: Uint8Array }[] = []
  await flatOpsFromTrie((root) => openTrie(new Overlay(kv), root), chain.head.stateRoot, ops as never)
  const fromTrie = new Map(ops.map((o) => [bytesToHex(o.key), bytesToHex(o.value!)]))
  const flat = new Map<string, string>()
  for (const [k, v] of kv.map) if (k.startsWith('0x03') || k.startsWith('0x04')) flat.set(k, bytesToHex(v))
  if (flat.size !== fromTrie.size) return false
  for (const [k, v] of fromTrie) if (flat.get(k) !== v) return false
  return true
}

function snapshot(kv: MemoryKV): string {
  return [...kv.map.entries()].map(([k, v]) => `${k}=${bytesToHex(v)}`).sort().join('\n')
}

t.test('extend, side chain, reorg and back', async (t) => {
  const { kv, chain, common } = await setup()
  const g = chain.head
  const a1 = await build(chain, common, g, { to: '0x' + '11'.repeat(20), nonce: 0, salt: 1 })
  t.equal((await chain.insertBlock(a1, { setHead: true })).status, 'imported')
  const a2 = await build(chain, common, a1.header, { to: '0x' + '12'.repeat(20), nonce: 1, salt: 2 })
  t.equal((await chain.insertBlock(a2, { setHead: true })).status, 'imported')
  const a3 = await build(chain, common, a2.header, { to: '0x' + '13'.repeat(20), nonce: 2, salt: 3 })
  t.equal((await chain.insertBlock(a3, { setHead: true })).status, 'imported')
  t.equal(bytesToHex(chain.head.hash()), bytesToHex(a3.hash()))
  t.ok(await flatMatchesTrie(kv, chain), 'flat state matches trie at A3')

  // side chain from A1: B2, B3, B4 (not head yet)
  const b2 = await build(chain, common, a1.header, { to: '0x' + '22'.repeat(20), nonce: 1, salt: 4 })
  t.equal((await chain.insertBlock(b2)).status, 'imported')
  const b3 = await build(chain, common, b2.header, { to: '0x' + '23'.repeat(20), nonce: 2, salt: 5 })
  t.equal((await chain.insertBlock(b3)).status, 'imported')
  const b4 = await build(chain, common, b3.header, { to: '0x' + '24'.repeat(20), nonce: 3, salt: 6 })
  t.equal((await chain.insertBlock(b4)).status, 'imported')
  t.equal(bytesToHex(chain.head.hash()), bytesToHex(a3.hash()), 'side chain does not move the head')
  t.equal(bytesToHex((await chain.store.getCanonicalHash(2n))!), bytesToHex(a2.hash()))

  await chain.setHead(b4.hash())
  t.equal(bytesToHex(chain.head.hash()), bytesToHex(b4.hash()), 'reorg to B4')
  t.equal(bytesToHex((await chain.store.getCanonicalHash(2n))!), bytesToHex(b2.hash()), 'canonical #2 is B2')
  t.equal(bytesToHex((await chain.store.getCanonicalHash(4n))!), bytesToHex(b4.hash()))
  t.equal(await chain.store.getTxLocation(a2.transactions[0]!.hash()), undefined, 'A2 tx no longer indexed')
  t.same((await chain.store.getTxLocation(b2.transactions[0]!.hash()))?.index, 0, 'B2 tx indexed')
  t.ok(await flatMatchesTrie(kv, chain), 'flat state matches trie after reorg')

  await chain.setHead(a3.hash())
  t.equal(await chain.store.getCanonicalHash(4n), undefined, 'no canonical #4 after reorg back to a shorter chain')
  t.equal(bytesToHex((await chain.store.getCanonicalHash(3n))!), bytesToHex(a3.hash()))
  t.ok(await flatMatchesTrie(kv, chain), 'flat state matches trie after reorg back')
  t.equal(kv.map.get(bytesToHex(key(Prefix.Canonical, u64be(4n)))), undefined)
})

t.test('invalid blocks leave the store untouched; descendants are rejected without execution', async (t) => {
  const { kv, chain, common } = await setup()
  const good = await build(chain, common, chain.head, { to: '0x' + '11'.repeat(20), nonce: 0, salt: 1 })
  const bad = createBlock(
    { header: { ...good.header.toJSON(), stateRoot: new Uint8Array(32).fill(9) }, transactions: good.transactions, withdrawals: [] },
    { common: good.common },
  )
  const before = snapshot(kv)
  const res = await chain.insertBlock(bad, { setHead: true })
  t.equal(res.status, 'invalid')
  t.equal(res.reason, 'execution')
  t.equal(bytesToHex(res.latestValidHash!), bytesToHex(chain.genesis.hash()), 'latest valid is the parent')
  t.equal(snapshot(kv), before, 'store byte-for-byte unchanged')
  const child = createBlock({ header: { parentHash: bad.hash(), number: 2n, timestamp: bad.header.timestamp + 12n, gasLimit: bad.header.gasLimit, baseFeePerGas: 7n }, withdrawals: [] }, { common: good.common })
  const res2 = await chain.insertBlock(child)
  t.equal(res2.status, 'invalid')
  t.equal(res2.reason, 'invalid-ancestor')
  t.equal(snapshot(kv), before, 'still unchanged')
  t.equal((await chain.insertBlock(good, { setHead: true })).status, 'imported', 'the honest sibling imports')
})

t.test('unknown parent', async (t) => {
  const { chain, common } = await setup()
  const orphan = createBlock({ header: { parentHash: new Uint8Array(32).fill(1), number: 5n, timestamp: 100n, gasLimit: 30_000_000n, baseFeePerGas: 7n }, withdrawals: [] }, { common })
  t.equal((await chain.insertBlock(orphan)).status, 'unknown-parent')
})

t.test('a wrong body does not poison the header hash', async (t) => {
  const { chain, common } = await setup()
  const good = await build(chain, common, chain.head, { to: '0x' + '11'.repeat(20), nonce: 0, salt: 1 })
  // Same header, no transactions: the body does not match transactionsRoot, the hash is the same.
  const wrongBody = createBlock({ header: good.header, transactions: [], withdrawals: [] }, { common: good.common })
  t.equal(bytesToHex(wrongBody.hash()), bytesToHex(good.hash()), 'same hash')
  const res = await chain.insertBlock(wrongBody, { setHead: true })
  t.equal(res.status, 'invalid')
  t.equal(res.reason, 'bodyMismatch')
  t.equal((await chain.insertBlock(good, { setHead: true })).status, 'imported', 'the right body for that hash still imports')
})

t.test('extending the head reads no stored block body (the canonical check walks headers)', async (t) => {
  const { chain, common } = await setup()
  const a1 = await build(chain, common, chain.head, { to: '0x' + '31'.repeat(20), nonce: 0, salt: 7 })
  t.equal((await chain.insertBlock(a1, { setHead: true })).status, 'imported')
  const a2 = await build(chain, common, a1.header, { to: '0x' + '32'.repeat(20), nonce: 1, salt: 8 })
  const read = spyGetBlock(t, chain)
  t.equal((await chain.insertBlock(a2, { setHead: true })).status, 'imported')
  t.same(read, [], 'no block decoded to extend the chain')
  t.equal(bytesToHex(chain.head.hash()), bytesToHex(a2.hash()))
})

t.test('a head move to a block just inserted (newPayload, then forkchoiceUpdated) decodes no stored block', async (t) => {
  const { chain, common } = await setup()
  const a1 = await build(chain, common, chain.head, { to: '0x' + '51'.repeat(20), nonce: 0, salt: 11 })
  t.equal((await chain.insertBlock(a1)).status, 'imported')
  const read = spyGetBlock(t, chain)
  const added: Block[] = []
  chain.onHeadChange((a) => added.push(...a))
  await chain.setHead(a1.hash())
  t.same(read, [], 'the inserted block is taken as decoded for its import')
  t.equal(added.length, 1, 'head listeners get it')
  t.equal(bytesToHex(added[0]!.hash()), bytesToHex(a1.hash()))
  t.equal((await chain.store.getTxLocation(a1.transactions[0]!.hash()))?.index, 0, 'its transactions are indexed')
})

t.test('on LevelDB, a block inserted without a head move is written behind; the head move after it waits for it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-chain-behind-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const kv = await LevelKV.open(dir)
  const { chain, common } = await setup(kv)
  const a1 = await build(chain, common, chain.head, { to: '0x' + '41'.repeat(20), nonce: 0, salt: 9 })
  const headerKey = key(Prefix.Header, a1.hash())
  t.equal((await chain.insertBlock(a1)).status, 'imported')
  t.equal(kv.db.getSync(headerKey), undefined, 'VALID before the block is in LevelDB (its batch is issued after the answer)')
  t.ok(await chain.store.hasBlock(a1.hash()), 'but the store has it')
  t.equal((await chain.insertBlock(a1)).status, 'known', 'a second newPayload of it is "known"')
  // The next block executes on A1's state (its executor's threads read LevelDB: it waits for A1 to land).
  const a2 = await build(chain, common, a1.header, { to: '0x' + '42'.repeat(20), nonce: 1, salt: 10 })
  t.equal((await chain.insertBlock(a2)).status, 'imported')
  await chain.setHead(a2.hash())
  t.ok(kv.db.getSync(headerKey) !== undefined && kv.db.getSync(key(Prefix.Header, a2.hash())) !== undefined, 'after the head move both blocks are in LevelDB')
  t.equal(bytesToHex((await chain.store.getCanonicalHash(2n))!), bytesToHex(a2.hash()))
  const head = chain.head.hash()
  await kv.close()
  const again = await LevelKV.open(dir)
  const reopened = await Chain.open({ kv: again, common, executor: new SequentialExecutor(), logger: silent })
  t.equal(bytesToHex(reopened.head.hash()), bytesToHex(head), 'reopened at the same head')
  await again.close()
})

t.test('on LevelDB, a block whose write behind failed: the next insert is an error, never VALID', async (t) => {
  const mem = await setup()
  const a1 = await build(mem.chain, mem.common, mem.chain.head, { to: '0x' + '61'.repeat(20), nonce: 0, salt: 12 })
  t.equal((await mem.chain.insertBlock(a1, { setHead: true })).status, 'imported')
  const a2 = await build(mem.chain, mem.common, a1.header, { to: '0x' + '62'.repeat(20), nonce: 1, salt: 13 })
  const dir = mkdtempSync(join(tmpdir(), 'parallax-chain-fail-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const kv = await LevelKV.open(dir)
  const { chain } = await setup(kv)
  t.equal((await chain.insertBlock(a1)).status, 'imported')
  // LevelDB goes away before A1's batch is issued (as a failing disk would make it fail).
  void kv.db.close()
  await t.rejects(chain.insertBlock(a2), StorageError, 'an error (the Engine API answers it as one), not imported and not INVALID')
  t.equal(chain.invalid.get(a2.hash()), undefined, 'A2 is not remembered as invalid')
})

t.test('on LevelDB with sync (fsync per batch), an inserted block is on disk when the insert resolves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-chain-sync-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const kv = await LevelKV.open(dir, { sync: true })
  t.teardown(() => kv.close())
  const { chain, common } = await setup(kv)
  const a1 = await build(chain, common, chain.head, { to: '0x' + '71'.repeat(20), nonce: 0, salt: 14 })
  t.equal((await chain.insertBlock(a1)).status, 'imported')
  t.ok(kv.db.getSync(key(Prefix.Header, a1.hash())) !== undefined, 'nothing written behind: its owner asked for every write on disk first')
})
