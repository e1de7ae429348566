// In-process p2p nodes on 127.0.0.1 (port 0), each with its own in-memory chain on the dev genesis:
// A produces blocks, B follows A, C knows only B. Gossip must carry A's blocks to C through B;
// invalid gossip must be rejected (and not relayed), its sender penalised and disconnected; a
// block with unknown ancestors must pull them from peers; a restarted node must catch up.
import t from 'tap'
import { createBlock } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { noise } from '@chainsafe/libp2p-noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { startP2P, type GossipVerdict, type P2PLimits, type P2PNode } from '../../src/p2p/index.ts'
import { BLOCKS_BY_RANGE_PROTOCOL, decodeResponseChunk, encodeFrame, FrameDecoder, ResponseCode } from '../../src/p2p/codec.ts'
import { BlockFactory, devChain, silent, tempDir, waitFor, type DevChain } from '../unit/p2p/fixture.ts'

interface TestNode {
  name: string
  dev: DevChain
  p2p: P2PNode
  dir: string
  gossip: Record<GossipVerdict, number>
}

const FAST: Partial<P2PLimits> = { statusIntervalMs: 1000, redialMinMs: 200, redialMaxMs: 2000 }
const cleanup: (() => Promise<void> | void)[] = []
t.teardown(async () => {
  for (const fn of cleanup.reverse()) await fn()
})

async function node(name: string, dev: DevChain, o: { bootnodes?: string[]; follow?: boolean; autoSync?: boolean; limits?: Partial<P2PLimits>; dir?: string } = {}): Promise<TestNode> {
  let dir = o.dir
  if (dir === undefined) {
    const tmp = tempDir(`parallax-p2p-${name}-`)
    cleanup.push(tmp.remove)
    dir = tmp.path
  }
  const gossip: Record<GossipVerdict, number> = { accept: 0, reject: 0, ignore: 0 }
  const p2p = await startP2P({
    chain: dev.chain,
    datadir: dir,
    listen: { addr: '127.0.0.1', port: 0 },
    bootnodes: o.bootnodes ?? [],
    maxPeers: 10,
    nodiscover: true,
    follow: o.follow ?? false,
    autoSync: o.autoSync ?? true,
    logger: silent.child({ node: name }),
    onGossip: (v) => gossip[v]++,
    limits: { ...FAST, ...o.limits },
  })
  cleanup.push(() => p2p.stop())
  return { name, dev, p2p, dir, gossip }
}

const meshed = (a: TestNode, b: TestNode) => a.p2p.peers().some((p) => p.id === b.p2p.peerId && p.inMesh)
const headOf = (n: TestNode) => bytesToHex(n.dev.chain.head.hash())
const sameHead = (a: TestNode, b: TestNode) => headOf(a) === headOf(b)

t.test('three nodes, gossip, invalid gossip, ancestors, restart', async (t) => {
  const aDev = await devChain()
  const factory = new BlockFactory(aDev)
  // A and B exchange status rarely, so B learns A's blocks from gossip (and the ancestor fetch it
  // triggers), not from status-driven range sync; C polls B every second.
  const A = await node('A', aDev, { limits: { statusIntervalMs: 600_000 } })
  const B = await node('B', await devChain(), { bootnodes: [A.p2p.multiaddrs()[0]!], follow: true, limits: { maxGossipSize: 256 * 1024, maxRejectsPerPeer: 4, statusIntervalMs: 600_000 } })
  const C = await node('C', await devChain(), { bootnodes: [B.p2p.multiaddrs()[0]!], follow: true })

  t.test('identity and node info', async (t) => {
    const st = statSync(join(A.dir, 'nodekey'))
    t.equal(st.mode & 0o777, 0o600, 'nodekey is mode 0600')
    const info = A.p2p.nodeInfo()
    t.equal(info.id, A.p2p.peerId)
    t.match(info.enode, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${A.p2p.peerId}$`))
    t.ok(info.ports.listener > 0, 'real port reported for port 0')
    t.equal(info.listenAddr, `127.0.0.1:${info.ports.listener}`)
    t.equal(info.protocols.eth.network, 1337)
    t.equal(info.protocols.eth.genesis, bytesToHex(aDev.chain.genesis.hash()))
    t.match(info.protocols.eth.topic, /^\/parallax\/[0-9a-f]{8}\/[0-9a-f]{8}\/blocks\/rlp$/)
  })

  t.ok(await waitFor(() => meshed(A, B) && meshed(B, A) && meshed(B, C) && meshed(C, B), 20_000), 'A–B and B–C meshes formed')
  t.equal(C.p2p.peers().length, 1, 'C knows only B')

  t.test('A builds 50 blocks; B and C follow through gossip', async (t) => {
    for (let i = 0; i < 50; i++) await A.p2p.publishBlock(await factory.extend())
    t.equal(aDev.chain.head.number, 50n)
    t.ok(await waitFor(() => sameHead(A, B) && sameHead(A, C), 45_000), 'B and C reach A’s head', { A: headOf(A), B: headOf(B), C: headOf(C) })
    t.equal(bytesToHex(C.dev.chain.head.stateRoot), bytesToHex(aDev.chain.head.stateRoot), 'same state root')
    t.equal(C.gossip.reject + B.gossip.reject, 0, 'no rejects on honest traffic')
    t.ok(C.gossip.accept > 0, 'C accepted blocks relayed by B')
    t.equal(C.p2p.peers().length, 1, 'C still knows only B')
  })

  t.test('invalid gossip is rejected, not relayed, and its sender penalised', async (t) => {
    const E = await node('E', await devChain(), { bootnodes: [B.p2p.multiaddrs()[0]!] })
    t.ok(await waitFor(() => meshed(E, B) && meshed(B, E), 20_000), 'E in the mesh with B')
    const next = await factory.build()
    // Bad hash: a body that does not match the header's roots (the header hash claims other txs).
    const badBody = createBlock({ header: next.header, transactions: [], withdrawals: [] }, { common: next.common })
    // Bad state root: a well-formed block on a known parent that does not execute to its header.
    const badRoot = createBlock({ header: { ...next.header.toJSON(), stateRoot: new Uint8Array(32).fill(9) }, transactions: next.transactions, withdrawals: [] }, { common: next.common })
    const bRejects = B.gossip.reject
    const cBefore = { ...C.gossip }
    await E.p2p.publishRaw(badBody.serialize())
    await E.p2p.publishRaw(badRoot.serialize())
    await E.p2p.publishRaw(randomBytes(1000))
    t.ok(await waitFor(() => B.gossip.reject - bRejects >= 3, 20_000), 'B rejected bad hash, bad state root, garbage')
    const eAtB = () => B.p2p.peers().find((p) => p.id === E.p2p.peerId)
    t.equal(eAtB()?.rejects, 3, 'B counted 3 rejects for E')
    // gossipsub caches scores for a heartbeat (1 s).
    t.ok(await waitFor(() => (eAtB()?.score ?? 0) < 0, 3000), `E's score at B dropped below zero (${eAtB()?.score})`)
    const honest = B.p2p.peers().find((p) => p.id === A.p2p.peerId)
    t.ok(honest !== undefined && honest.score >= 0, `A's score at B is not negative (${honest?.score})`)
    t.ok(B.dev.chain.invalid.get(badRoot.hash()) !== undefined, 'bad state root block is in the invalid cache')
    await E.p2p.publishRaw(randomBytes(300 * 1024))
    t.ok(await waitFor(() => B.gossip.reject - bRejects >= 4, 20_000), 'B rejected the oversize message')
    t.ok(await waitFor(() => !B.p2p.peers().some((p) => p.id === E.p2p.peerId) && E.p2p.peerCount() === 0, 20_000), 'E disconnected at the reject threshold')
    await new Promise((r) => setTimeout(r, 1500))
    t.notOk(B.p2p.peers().some((p) => p.id === E.p2p.peerId), 'E stays banned (its redials are refused)')
    t.same(C.gossip.reject, cBefore.reject, 'C never saw the invalid messages (not relayed)')
    // Honest traffic continues.
    t.equal((await aDev.chain.insertBlock(next, { setHead: true })).status, 'imported')
    t.equal(bytesToHex(badBody.hash()), bytesToHex(next.hash()), 'the honest block has the hash the bad body claimed')
    await A.p2p.publishBlock(next)
    t.ok(await waitFor(() => sameHead(A, B) && sameHead(A, C), 20_000), 'B and C take the honest block')
    await E.p2p.stop()
  })

  t.test('a block whose parents only a peer has: ancestors are fetched and inserted', async (t) => {
    // A builds 5 blocks without gossiping them, then gossips the 6th: B must fetch 5 ancestors from A.
    for (let i = 0; i < 5; i++) await factory.extend()
    const tip = await factory.extend()
    const ignored = B.gossip.ignore
    await A.p2p.publishBlock(tip)
    t.ok(await waitFor(() => sameHead(A, B), 20_000), 'B fetched the ancestors and took the tip')
    t.ok(B.gossip.ignore > ignored, 'the tip was IGNOREd at first (unknown parent), not rejected')
    t.ok(await waitFor(() => sameHead(A, C), 20_000), 'C caught up from B (status + range sync)')

    // The Engine API path: a consensus-driven node (no follow) gets a payload with unknown parent.
    // No status-driven range sync here, so only fetchAncestors can bring the blocks.
    const D = await node('D', await devChain(), { bootnodes: [A.p2p.multiaddrs()[0]!], autoSync: false })
    t.ok(await waitFor(() => D.p2p.peers().some((p) => p.head !== undefined), 20_000), 'D has A’s status')
    const target = (await aDev.chain.store.getBlock(aDev.chain.head.hash()))!
    t.notOk(await D.dev.chain.store.hasBlock(target.header.parentHash), 'D lacks the parent')
    D.p2p.fetchAncestors(target)
    t.ok(await waitFor(() => D.dev.chain.store.hasBlock(target.hash()), 30_000), 'D inserted the block and its ancestors')
    for (const n of [1n, 30n, target.header.number - 1n]) {
      t.ok(await D.dev.chain.store.hasBlock((await aDev.chain.store.getCanonicalHash(n))!), `D has #${n}`)
    }
    t.equal(D.dev.chain.head.number, 0n, 'consensus-driven node: gossip/fetch never moved its head')
    await D.p2p.stop()
  })

  t.test('malformed requests get an error answer and do not hurt the node', async (t) => {
    const raw = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    cleanup.push(() => raw.stop())
    await raw.dial(multiaddr(B.p2p.multiaddrs()[0]!))
    const stream = await raw.dialProtocol(multiaddr(B.p2p.multiaddrs()[0]!), BLOCKS_BY_RANGE_PROTOCOL)
    stream.send(encodeFrame(Uint8Array.of(0xc5, 1, 2)))
    await stream.close()
    const dec = new FrameDecoder(1 << 20)
    const frames: Uint8Array[] = []
    for await (const chunk of stream) frames.push(...dec.push(chunk instanceof Uint8Array ? chunk : chunk.subarray()))
    t.equal(frames.length, 1)
    t.equal(decodeResponseChunk(frames[0]!).code, ResponseCode.InvalidRequest, 'INVALID_REQUEST answer')
    // an oversize length prefix: the stream is closed with an error answer
    const s2 = await raw.dialProtocol(multiaddr(B.p2p.multiaddrs()[0]!), BLOCKS_BY_RANGE_PROTOCOL)
    s2.send(Uint8Array.of(0xff, 0xff, 0xff, 0x7f))
    await s2.close()
    const frames2: Uint8Array[] = []
    const dec2 = new FrameDecoder(1 << 20)
    for await (const chunk of s2) frames2.push(...dec2.push(chunk instanceof Uint8Array ? chunk : chunk.subarray()))
    t.equal(decodeResponseChunk(frames2[0]!).code, ResponseCode.InvalidRequest, 'oversize request refused')
    const before = headOf(B)
    await A.p2p.publishBlock(await factory.extend())
    t.ok(await waitFor(() => sameHead(A, B) && headOf(B) !== before, 20_000), 'B still follows A')
    await raw.stop()
  })

  t.test('a node with another genesis is disconnected', async (t) => {
    const F = await node('F', await devChain((s) => ({ ...s, extraData: Uint8Array.of(1, 2, 3) })), { bootnodes: [B.p2p.multiaddrs()[0]!] })
    t.not(bytesToHex(F.dev.chain.genesis.hash()), bytesToHex(aDev.chain.genesis.hash()), 'different genesis')
    t.ok(await waitFor(() => F.p2p.peerCount() === 0 && !B.p2p.peers().some((p) => p.id === F.p2p.peerId), 20_000), 'disconnected after the status exchange')
    await F.p2p.stop()
  })

  t.test('a restarted node catches up by range sync, with the same peer id', async (t) => {
    const id = C.p2p.peerId
    await C.p2p.stop()
    for (let i = 0; i < 70; i++) {
      const b = await factory.extend()
      if (i % 10 === 0 || i === 69) await A.p2p.publishBlock(b)
    }
    t.ok(await waitFor(() => sameHead(A, B), 30_000), 'B follows A meanwhile')
    t.not(headOf(C), headOf(A), 'C is behind')
    const C2 = await node('C2', C.dev, { bootnodes: [B.p2p.multiaddrs()[0]!], follow: true, dir: C.dir })
    t.equal(C2.p2p.peerId, id, 'same peer id across restarts (persistent nodekey)')
    t.ok(await waitFor(() => sameHead(A, C2), 40_000), 'C caught up', { A: Number(aDev.chain.head.number), C: Number(C2.dev.chain.head.number) })
    t.equal(bytesToHex(C2.dev.chain.head.stateRoot), bytesToHex(aDev.chain.head.stateRoot))
  })
})
