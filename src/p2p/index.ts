// p2p: block gossip and block sync between Parallax nodes over libp2p 3 (TCP, noise, yamux, identify,
// gossipsub). Pure pieces (topic names, fork id, req/resp codecs, limits) are separate from the
// libp2p wiring (node.ts), so they can be tested without a network.
import './polyfill.ts'

export { startP2P, type P2PNode, type P2POptions, type P2PNodeInfo, type PeerInfo, type GossipVerdict } from './node.ts'
export { DEFAULT_P2P_LIMITS, resolveLimits, type P2PLimits } from './limits.ts'
export { blockTopic, parseBlockTopic, forkId, forkScheduleOf, messageId } from './topic.ts'
export { parseBootnodes } from './bootnodes.ts'
export type { SyncResult } from './sync.ts'
