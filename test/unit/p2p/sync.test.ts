// The gossip validator and the syncer over real in-memory chains, without a network: the peer is a
// fake BlockSource serving another chain's blocks, counting requests.
import t from 'tap'
import type { Block } from '@ethereumjs/block'
import { createBlock } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { randomBytes } from 'node:crypto'
import type { Status } from '../../../src/p2p/codec.ts'
import { BlockGossipValidator } from '../../../src/p2p/gossip.ts'
import { resolveLimits, type P2PLimits } from '../../../src/p2p/limits.ts'
import { PeerBook } from '../../../src/p2p/peers.ts'
import { Syncer, type BlockSource } from '../../../src/p2p/sync.ts'
import { BlockFactory, devChain, silent, waitFor, type DevChain } from './fixture.ts'

const source = await devChain()
const factory = new BlockFactory(source)
const blocks: Block[] = []
for (let i = 0; i < 80; i++) blocks.push(await factory.extend())

function fakeSource(dev: DevChain, tamper?: (b: Block) => Block): BlockSource & { calls: { range: number; hash: number } } {
  const calls = { range: 0, hash: 0 }
  return {
    calls,
    async blocksByHash(_peer, hashes) {
      calls.hash++
      const out: Block[] = []
      for (const h of hashes) {
        const b = await dev.chain.store.getBlock(h)
        if (b !== undefined) out.push(tamper?.(b) ?? b)
      }
      return out
    },
    async blocksByRange(_peer, start, count) {
      calls.range++
      const out: Block[] = []
      for (let n = start; n < start + BigInt(count) && n <= dev.chain.head.number; n++) out.push(tamper?.((await dev.chain.store.getBlock((await dev.chain.store.getCanonicalHash(n))!))!) ?? (await dev.chain.store.getBlock((await dev.chain.store.getCanonicalHash(n))!))!)
      return out
    },
  }
}

function statusOf(dev: DevChain): Status {
  return { genesisHash: dev.chain.genesis.hash(), forkId: '00000000', headHash: dev.chain.head.hash(), headNumber: dev.chain.head.number, safeHash: new Uint8Array(32), finalizedHash: new Uint8Array(32) }
}

async function syncer(opts: { follow?: boolean; limits?: Partial<P2PLimits>; tamper?: (b: Block) => Block } = {}) {
  const dev = await devChain()
  const limits = resolveLimits(opts.limits)
  const peers = new PeerBook(limits)
  peers.connected('peer', 'outbound', '')
  peers.setStatus('peer', statusOf(source))
  const src = fakeSource(source, opts.tamper)
  const bad: string[] = []
  const s = new Syncer({ chain: dev.chain, source: src, peers, limits, logger: silent, follow: opts.follow ?? false, onBadPeer: (p, r) => bad.push(`${p}: ${r}`) })
  return { dev, s, src, bad }
}

t.test('fetchAncestors walks back by range, inserts ascending, leaves the head alone', async (t) => {
  const { dev, s, src } = await syncer()
  const tip = blocks[79]!
  s.fetchAncestors(tip, 'peer')
  await s.idle()
  t.ok(await dev.chain.store.hasBlock(tip.hash()), 'tip inserted')
  for (const b of blocks) if (!(await dev.chain.store.hasBlock(b.hash()))) t.fail(`missing #${b.header.number}`)
  t.equal(src.calls.range, 2, '79 ancestors in two range requests (64 + 15)')
  t.equal(src.calls.hash, 0)
  t.equal(dev.chain.head.number, 0n, 'no follow: head unchanged')
})

t.test('fetchAncestors falls back to by-hash when the peer’s canonical chain lacks them', async (t) => {
  const { dev, s, src } = await syncer()
  // A side block on #9: not canonical at the source, so range answers do not end at it.
  const sideFactory = new BlockFactory(source, 3)
  const side = await sideFactory.build({ parent: blocks[8]!.header })
  t.equal((await source.chain.insertBlock(side)).status, 'imported')
  const child = await sideFactory.build({ parent: side.header })
  s.fetchAncestors(child, 'peer')
  await s.idle()
  t.ok(await dev.chain.store.hasBlock(child.hash()), 'side child inserted')
  t.ok(await dev.chain.store.hasBlock(side.hash()), 'side parent fetched by hash')
  t.ok(await dev.chain.store.hasBlock(blocks[0]!.hash()), 'down to #1')
  t.ok(src.calls.hash >= 1, 'used blocks_by_hash')
})

t.test('follow mode: fetched blocks become the head; a too-deep walk hands over to range sync', async (t) => {
  const { dev, s } = await syncer({ follow: true, limits: { maxAncestors: 10 } })
  s.fetchAncestors(blocks[79]!, 'peer')
  await s.idle()
  t.ok(await waitFor(() => dev.chain.head.number === 80n, 10_000), 'range sync brought the head to #80')
  t.ok(equalsBytes(dev.chain.head.stateRoot, source.chain.head.stateRoot), 'same state root as the source')
})

t.test('an invalid block from a peer stops the fetch and reports the peer', async (t) => {
  const tamper = (b: Block): Block =>
    b.header.number === 5n ? createBlock({ header: { ...b.header.toJSON(), stateRoot: new Uint8Array(32).fill(7) }, transactions: b.transactions, withdrawals: [] }, { common: b.common }) : b
  const { dev, s, bad } = await syncer({ tamper })
  s.fetchAncestors(blocks[20]!, 'peer')
  await s.idle()
  t.notOk(await dev.chain.store.hasBlock(blocks[20]!.hash()), 'nothing above the bad block imported')
  t.ok(await dev.chain.store.hasBlock(blocks[3]!.hash()), 'blocks below it did import')
  t.ok(bad.some((b) => b.startsWith('peer: invalid block #5')), 'peer reported', { bad })
})

t.test('range sync: setHead moves the head; without it the blocks are stored only', async (t) => {
  const a = await syncer()
  const r = await a.s.sync({ setHead: false })
  t.equal(r.imported, 80)
  t.equal(a.dev.chain.head.number, 0n)
  t.ok(await a.dev.chain.store.hasBlock(blocks[79]!.hash()))
  t.equal((await a.s.sync()).imported, 0, 'a second sync starts from where the first stopped')
  const b = await syncer()
  await b.s.sync({ setHead: true })
  t.equal(bytesToHex(b.dev.chain.head.hash()), bytesToHex(source.chain.head.hash()))
})

t.test('gossip validator verdicts', async (t) => {
  const dev = await devChain()
  const unknown: number[] = []
  const imported: number[] = []
  const v = new BlockGossipValidator({ chain: dev.chain, limits: { maxGossipSize: 4096 }, logger: silent, follow: false, onUnknownParent: (b) => unknown.push(Number(b.header.number)), onImported: (b) => imported.push(Number(b.header.number)) })
  t.equal(await v.validate('p', randomBytes(5000)), 'reject', 'oversize')
  t.equal(await v.validate('p', randomBytes(100)), 'reject', 'garbage')
  t.equal(await v.validate('p', Uint8Array.of(0xc0)), 'reject', 'empty list')
  t.equal(await v.validate('p', (await dev.chain.store.getBlock(dev.chain.genesis.hash()))!.serialize()), 'reject', 'genesis')
  t.equal(await v.validate('p', blocks[2]!.serialize()), 'ignore', 'unknown parent')
  t.same(unknown, [3], 'ancestor fetch requested')
  // Blocks 1 and 2 validated concurrently: 2 waits for 1's import instead of being ignored.
  const [r1, r2] = await Promise.all([v.validate('p', blocks[0]!.serialize()), v.validate('p', blocks[1]!.serialize())])
  t.same([r1, r2], ['accept', 'accept'], 'a child arriving during its parent’s import waits for it')
  t.same(imported, [1, 2])
  t.equal(dev.chain.head.number, 0n, 'no follow: the head does not move')
  t.equal(await v.validate('p', blocks[1]!.serialize()), 'ignore', 'known')
  const bad = createBlock({ header: { ...blocks[2]!.header.toJSON(), stateRoot: new Uint8Array(32).fill(7) }, transactions: blocks[2]!.transactions, withdrawals: [] }, { common: blocks[2]!.common })
  t.equal(await v.validate('p', bad.serialize()), 'reject', 'bad state root')
  t.equal(await v.validate('p', bad.serialize()), 'reject', 'invalid cache')
  const nonCanonical = Buffer.concat([bad.serialize(), Uint8Array.of(0)])
  t.equal(await v.validate('p', nonCanonical), 'reject', 'trailing bytes')
  t.equal(await v.validate('p', blocks[2]!.serialize()), 'accept', 'the honest block still imports')

  const f = await devChain()
  const fv = new BlockGossipValidator({ chain: f.chain, limits: { maxGossipSize: 1 << 20 }, logger: silent, follow: true, onUnknownParent: () => undefined })
  t.equal(await fv.validate('p', blocks[0]!.serialize()), 'accept')
  t.equal(f.chain.head.number, 1n, 'follow: the head moves')
})
