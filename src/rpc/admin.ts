// geth's admin_nodeInfo / admin_peers (Kurtosis waits on admin_nodeInfo's `enode` for readiness).
import type { Chain } from '../chain/chain.ts'
import type { P2PNode } from '../p2p/index.ts'
import { bytesToHex } from '@ethereumjs/util'
import type { RpcHandler } from './types.ts'

export interface AdminContext {
  chain: Chain
  clientVersion: string
  p2p: () => P2PNode | undefined
}

export function createAdminMethods(ctx: AdminContext): Map<string, RpcHandler> {
  const m = new Map<string, RpcHandler>()
  m.set('admin_nodeInfo', () => {
    const p2p = ctx.p2p()
    if (p2p !== undefined) return { ...p2p.nodeInfo(), name: ctx.clientVersion }
    // Networking off (--maxpeers 0, dev mode): the same shape with no listener.
    return {
      id: '',
      name: ctx.clientVersion,
      enode: '',
      ip: '',
      ports: { discovery: 0, listener: 0 },
      listenAddr: '',
      protocols: {
        eth: { network: Number(ctx.chain.common.chainId()), genesis: bytesToHex(ctx.chain.genesis.hash()), head: bytesToHex(ctx.chain.head.hash()) },
      },
    }
  })
  m.set('admin_peers', () => {
    const p2p = ctx.p2p()
    if (p2p === undefined) return []
    return p2p.peers().map((p) => ({
      id: p.id,
      name: '',
      network: { remoteAddress: p.remoteAddr, inbound: p.direction === 'inbound' },
      protocols: { eth: p.head === undefined ? {} : { head: p.head.hash, number: Number(p.head.number) } },
      score: p.score,
    }))
  })
  return m
}
