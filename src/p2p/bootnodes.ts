// Bootnodes: dialled at start and re-dialled with exponential backoff (capped) whenever the dial
// fails or the connection drops, for as long as the node runs.
import type { Libp2p } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import { UsageError } from '../util/errors.ts'

interface Bootnode {
  addr: Multiaddr
  /** From the address's /p2p/ part, or learnt on the first connection. */
  peerId: string | undefined
  delay: number
  timer: NodeJS.Timeout | undefined
  dialling: boolean
}

/** Parses `--bootnodes` entries (multiaddrs, ideally with /p2p/<peer id>). Throws UsageError. */
export function parseBootnodes(list: readonly string[]): Multiaddr[] {
  return list.map((s) => {
    try {
      const ma = multiaddr(s.trim())
      if (!ma.getComponents().some((c) => c.name === 'tcp')) throw new Error('not a TCP address')
      return ma
    } catch (err) {
      throw new UsageError(`invalid bootnode ${JSON.stringify(s)}: ${err instanceof Error ? err.message : String(err)}`)
    }
  })
}

export function peerIdOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.name === 'p2p')?.value
}

export class BootnodeDialer {
  private readonly nodes: Bootnode[]
  private stopped = false

  constructor(
    private readonly libp2p: Libp2p,
    addrs: Multiaddr[],
    private readonly opts: { minMs: number; maxMs: number; logger: Logger },
  ) {
    this.nodes = addrs.map((addr) => ({ addr, peerId: peerIdOf(addr), delay: opts.minMs, timer: undefined, dialling: false }))
  }

  start(): void {
    for (const n of this.nodes) void this.dial(n)
  }

  stop(): void {
    this.stopped = true
    for (const n of this.nodes) clearTimeout(n.timer)
  }

  /** A peer disconnected: re-dial it if it is a bootnode. */
  onDisconnect(peerId: string): void {
    for (const n of this.nodes) if (n.peerId === peerId) this.schedule(n)
  }

  private schedule(n: Bootnode): void {
    if (this.stopped || n.timer !== undefined || n.dialling) return
    const delay = n.delay
    n.delay = Math.min(this.opts.maxMs, n.delay * 2)
    n.timer = setTimeout(() => {
      n.timer = undefined
      void this.dial(n)
    }, delay)
    n.timer.unref?.()
  }

  private async dial(n: Bootnode): Promise<void> {
    if (this.stopped || n.dialling) return
    n.dialling = true
    try {
      const conn = await this.libp2p.dial(n.addr, { signal: AbortSignal.timeout(10_000) })
      n.peerId = conn.remotePeer.toString()
      n.delay = this.opts.minMs
      this.opts.logger.debug({ bootnode: n.addr.toString() }, 'Connected to bootnode')
    } catch (err) {
      if (this.stopped) return
      this.opts.logger.debug({ bootnode: n.addr.toString(), retryMs: n.delay, err: err instanceof Error ? err.message : String(err) }, 'Bootnode dial failed')
      n.dialling = false
      this.schedule(n)
      return
    } finally {
      n.dialling = false
    }
  }
}
