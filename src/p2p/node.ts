// The p2p node: libp2p 3 (TCP, noise, yamux, identify, gossipsub) wired to the chain. It gossips
// blocks on the chain's topic (validated before relay, see gossip.ts), serves and uses the req/resp
// protocols (reqresp.ts), exchanges status with every peer, and syncs (sync.ts).
import './polyfill.ts'
import type { Block } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import { MetaKey } from '../db/keys.ts'
import { clientVersion } from '../util/version.ts'
import { BootnodeDialer, parseBootnodes } from './bootnodes.ts'
import type { Status } from './codec.ts'
import { BlockGossipValidator, type GossipVerdict } from './gossip.ts'
import { resolveLimits, type P2PLimits } from './limits.ts'
import { loadOrCreateNodeKey } from './nodekey.ts'
import { PeerBook, type PeerInfo } from './peers.ts'
import { OutboundSlots, registerHandlers, requestBlocksByHash, requestBlocksByRange, requestStatus, type ClientDeps } from './reqresp.ts'
import { PEER_SCORE_THRESHOLDS, peerScoreParams } from './scoring.ts'
import { Syncer, type SyncResult } from './sync.ts'
import { blockTopic, forkId, forkScheduleOf, messageId } from './topic.ts'
import { explainStartFailure } from './listen-error.ts'

export interface P2POptions {
  chain: Chain
  /** Holds `nodekey` (created on first start). */
  datadir: string
  listen: { addr: string; port: number }
  /** Multiaddrs, ideally with /p2p/<peer id>. */
  bootnodes: string[]
  maxPeers: number
  /** No peer exchange: only bootnodes and peers that dial us. */
  nodiscover: boolean
  /** No consensus client: the head follows the highest valid block peers give us. */
  follow: boolean
  /** Range sync whenever a peer's status shows a head above ours that we lack (default true). */
  autoSync?: boolean
  logger: Logger
  onPeerCount?: (n: number) => void
  onGossip?: (result: GossipVerdict) => void
  limits?: Partial<P2PLimits>
}

/** What admin_nodeInfo answers. */
export interface P2PNodeInfo {
  id: string
  name: string
  /** The first listen multiaddr, with /p2p/<id> (the libp2p counterpart of an enode URL). */
  enode: string
  ip: string
  ports: { discovery: number; listener: number }
  listenAddr: string
  protocols: { eth: { network: number; genesis: `0x${string}`; head: `0x${string}`; forkId: string; topic: string } }
}

export interface P2PNode {
  peerId: string
  multiaddrs(): string[]
  peers(): PeerInfo[]
  peerCount(): number
  /** Gossips a block (ours, or one the consensus client gave us); blocks that came from peers are skipped. */
  publishBlock(block: Block): Promise<void>
  /** For tools and tests: gossips bytes as they are; returns the number of recipients. */
  publishRaw(data: Uint8Array): Promise<number>
  /** Background: fetches the missing ancestors of `block` from peers and inserts them (and it). */
  fetchAncestors(block: Block): void
  /** Range sync from the best peer ahead of us; `setHead` moves the head as blocks import. */
  sync(opts?: { setHead?: boolean }): Promise<SyncResult>
  nodeInfo(): P2PNodeInfo
  stop(): Promise<void>
}

export type { PeerInfo, GossipVerdict }

/** gossipsub's class has these beyond the GossipSub interface. */
interface ScoredGossipSub extends GossipSub {
  getScore(peerId: string): number
  getMeshPeers(topic: string): string[]
}

const ZERO32 = new Uint8Array(32)

export async function startP2P(opts: P2POptions): Promise<P2PNode> {
  const { chain, logger } = opts
  const limits = resolveLimits(opts.limits)
  const { key, created } = await loadOrCreateNodeKey(opts.datadir)
  const genesisHash = chain.genesis.hash()
  const fork = forkId(forkScheduleOf(chain.common, genesisHash, chain.genesis.timestamp))
  const topic = blockTopic(genesisHash, fork)
  const peers = new PeerBook(limits)
  const ip = opts.listen.addr.includes(':') ? 'ip6' : 'ip4'

  // Started only once the protocol handlers and the gossip validator are in place.
  const libp2p = await createLibp2p({
    start: false,
    privateKey: key,
    nodeInfo: { userAgent: clientVersion() },
    addresses: { listen: [`/${ip}/${opts.listen.addr}/tcp/${opts.listen.port}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: Math.max(1, opts.maxPeers) },
    connectionGater: {
      denyDialPeer: (p: PeerId) => peers.isBanned(p.toString()),
      denyInboundEncryptedConnection: (p: PeerId) => peers.isBanned(p.toString()),
      denyOutboundEncryptedConnection: (p: PeerId) => peers.isBanned(p.toString()),
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        fallbackToFloodsub: false,
        emitSelf: false,
        doPX: !opts.nodiscover,
        allowedTopics: [topic],
        msgIdFn: (msg) => messageId(msg.data),
        maxInboundDataLength: limits.maxGossipSize * 2 + 65536,
        maxOutboundBufferSize: limits.maxGossipSize * 4 + 65536,
        scoreParams: peerScoreParams(topic),
        scoreThresholds: PEER_SCORE_THRESHOLDS,
      }),
    },
  })
  const pubsub = libp2p.services.pubsub as ScoredGossipSub
  const selfId = libp2p.peerId.toString()
  let stopped = false

  /** Blocks that came from peers (bounded): publishBlock does not echo them back. */
  const fromNetwork = new Set<string>()
  const fromPeers = (block: Block): void => {
    fromNetwork.add(bytesToHex(block.hash()))
    if (fromNetwork.size > 1024) fromNetwork.delete(fromNetwork.values().next().value!)
  }
  const client: ClientDeps = { libp2p, chain, limits, slots: new OutboundSlots(Math.max(1, limits.maxConcurrentStreamsPerPeer)) }
  const byId = (id: string): PeerId => peerIdFromString(id)
  const syncer = new Syncer({
    chain,
    limits,
    logger: logger.child({ module: 'sync' }),
    follow: opts.follow,
    peers,
    source: {
      blocksByHash: (peer, hashes) => requestBlocksByHash(client, byId(peer), hashes),
      blocksByRange: (peer, start, count) => requestBlocksByRange(client, byId(peer), start, count),
    },
    onBadPeer: (peer, reason) => void disconnect(peer, reason),
    onImported: fromPeers,
  })
  const validator = new BlockGossipValidator({
    chain,
    limits,
    logger: logger.child({ module: 'gossip' }),
    follow: opts.follow,
    onUnknownParent: (block, peer) => syncer.fetchAncestors(block, peer),
    onImported: fromPeers,
  })

  async function disconnect(peer: string, reason: string, banMs = limits.banMs): Promise<void> {
    logger.info({ peer, reason }, 'Disconnecting peer')
    peers.ban(peer, banMs)
    try {
      await libp2p.hangUp(byId(peer))
    } catch {
      // already gone
    }
  }

  async function localStatus(): Promise<Status> {
    const safe = (await chain.store.getMeta(MetaKey.Safe)) ?? ZERO32
    const finalized = (await chain.store.getMeta(MetaKey.Finalized)) ?? ZERO32
    const head = chain.head
    return { genesisHash, forkId: fork, headHash: head.hash(), headNumber: head.number, safeHash: safe, finalizedHash: finalized }
  }

  /** Follow mode: take safe/finalized from a peer when they are on our head's chain and newer. */
  async function adoptFinality(status: Status): Promise<void> {
    const pointers: { safe?: Uint8Array; finalized?: Uint8Array } = {}
    for (const [name, hash] of [['safe', status.safeHash], ['finalized', status.finalizedHash]] as const) {
      if (equalsBytes(hash, ZERO32)) continue
      const current = await chain.store.getMeta(name === 'safe' ? MetaKey.Safe : MetaKey.Finalized)
      if (current !== undefined && equalsBytes(current, hash)) continue
      const n = await chain.store.getNumber(hash)
      const currentN = current === undefined ? undefined : await chain.store.getNumber(current)
      if (n === undefined || (currentN !== undefined && n <= currentN)) continue
      if (await chain.isAncestor(chain.head, hash)) pointers[name] = hash
    }
    if (pointers.safe !== undefined || pointers.finalized !== undefined) await chain.setHead(chain.head.hash(), pointers)
  }

  async function onStatus(peer: string, status: Status): Promise<void> {
    if (!equalsBytes(status.genesisHash, genesisHash) || status.forkId !== fork) {
      await disconnect(peer, `different chain: genesis ${bytesToHex(status.genesisHash)} fork ${status.forkId}`)
      return
    }
    peers.setStatus(peer, status)
    if (opts.follow) await adoptFinality(status)
    if (opts.autoSync !== false && status.headNumber > chain.head.number && !(await chain.store.hasBlock(status.headHash))) {
      void syncer.sync().catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Sync failed'))
    }
  }

  async function exchangeStatus(peer: string): Promise<void> {
    if (stopped || peers.get(peer) === undefined) return
    try {
      const theirs = await requestStatus(client, byId(peer), await localStatus())
      await onStatus(peer, theirs)
    } catch (err) {
      logger.debug({ peer, err: err instanceof Error ? err.message : String(err) }, 'Status exchange failed')
      if (peers.malformedRequest(peer)) await disconnect(peer, 'status exchange keeps failing')
    }
  }

  await registerHandlers(libp2p, {
    chain,
    limits,
    logger,
    localStatus,
    onStatus: (peer, status) => void onStatus(peer, status).catch(() => undefined),
    admit: (peer) => peers.admit(peer),
    release: (peer) => peers.release(peer),
    onMalformed: (peer, err) => {
      logger.debug({ peer, err: err.message }, 'Malformed request')
      if (peers.malformedRequest(peer)) void disconnect(peer, 'malformed requests')
    },
  })

  pubsub.topicValidators.set(topic, async (from, msg) => {
    const peer = from.toString()
    let verdict: GossipVerdict
    try {
      verdict = await validator.validate(peer, msg.data)
    } catch (err) {
      logger.error({ peer, err: err instanceof Error ? err.message : String(err) }, 'Gossip validation failed')
      verdict = 'ignore'
    }
    opts.onGossip?.(verdict)
    if (verdict === 'reject' && peers.reject(peer)) void disconnect(peer, 'too many invalid gossip messages')
    return verdict === 'accept' ? TopicValidatorResult.Accept : verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  })

  const bootnodes = new BootnodeDialer(libp2p, parseBootnodes(opts.bootnodes), { minMs: limits.redialMinMs, maxMs: limits.redialMaxMs, logger })
  libp2p.addEventListener('peer:connect', (evt) => {
    const id = evt.detail.toString()
    const conn = libp2p.getConnections(evt.detail)[0]
    peers.connected(id, conn?.direction ?? 'inbound', conn?.remoteAddr.toString() ?? '')
    logger.debug({ peer: id, addr: conn?.remoteAddr.toString() }, 'Peer connected')
    opts.onPeerCount?.(peers.size)
    void exchangeStatus(id)
  })
  libp2p.addEventListener('peer:disconnect', (evt) => {
    const id = evt.detail.toString()
    peers.disconnected(id)
    logger.debug({ peer: id }, 'Peer disconnected')
    opts.onPeerCount?.(peers.size)
    bootnodes.onDisconnect(id)
  })
  async function publishRaw(data: Uint8Array): Promise<number> {
    if (stopped) return 0
    try {
      const res = await pubsub.publish(topic, data)
      return res.recipients.length
    } catch (err) {
      logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'Gossip publish failed')
      return 0
    }
  }

  const multiaddrs = (): string[] => libp2p.getMultiaddrs().map((m) => m.toString())
  try {
    await libp2p.start()
  } catch (err) {
    await Promise.resolve(libp2p.stop()).catch(() => undefined)
    throw await explainStartFailure(opts.listen, err)
  }
  pubsub.subscribe(topic)
  const statusTimer = setInterval(() => {
    for (const p of peers.all()) void exchangeStatus(p.id)
  }, limits.statusIntervalMs)
  statusTimer.unref?.()

  logger.info({ peerId: selfId, addrs: multiaddrs(), topic, newKey: created, follow: opts.follow }, 'P2P networking started')
  bootnodes.start()

  return {
    peerId: selfId,
    multiaddrs,
    peers() {
      const mesh = new Set(pubsub.getMeshPeers(topic))
      return peers.all().map((p) => peers.info(p.id, pubsub.getScore(p.id), mesh.has(p.id))!)
    },
    peerCount: () => peers.size,
    async publishBlock(block) {
      if (fromNetwork.has(bytesToHex(block.hash()))) return
      const data = block.serialize()
      if (data.length > limits.maxGossipSize) {
        logger.warn({ number: Number(block.header.number), size: data.length }, 'Block too large to gossip')
        return
      }
      await publishRaw(data)
    },
    publishRaw,
    fetchAncestors(block) {
      syncer.fetchAncestors(block)
    },
    sync: (o) => syncer.sync(o),
    nodeInfo() {
      const first = libp2p.getMultiaddrs()[0]
      const comps = first?.getComponents() ?? []
      const host = comps.find((c) => c.name === 'ip4' || c.name === 'ip6')?.value ?? opts.listen.addr
      const port = Number(comps.find((c) => c.name === 'tcp')?.value ?? opts.listen.port)
      return {
        id: selfId,
        name: clientVersion(),
        enode: first?.toString() ?? '',
        ip: host,
        ports: { discovery: opts.nodiscover ? 0 : port, listener: port },
        listenAddr: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
        protocols: { eth: { network: Number(chain.common.chainId()), genesis: bytesToHex(genesisHash) as `0x${string}`, head: bytesToHex(chain.head.hash()) as `0x${string}`, forkId: fork, topic } },
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(statusTimer)
      bootnodes.stop()
      syncer.stop()
      await libp2p.stop()
      logger.info({ peerId: selfId }, 'P2P networking stopped')
    },
  }
}
