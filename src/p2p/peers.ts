// What we know about each connected peer: its last status, gossip rejects, request budget (token
// bucket and concurrent streams), plus the ban list for peers disconnected for misbehaviour.
// Pure bookkeeping: the node decides what to do with it (disconnect, ban, sync).
import { bytesToHex } from '@ethereumjs/util'
import type { Status } from './codec.ts'
import { TokenBucket, type P2PLimits } from './limits.ts'

export interface PeerState {
  id: string
  direction: 'inbound' | 'outbound'
  remoteAddr: string
  connectedAt: number
  status: Status | undefined
  statusAt: number
  rejects: number
  malformed: number
  inflight: number
  bucket: TokenBucket
}

/** One peer, as `peers()` reports it. */
export interface PeerInfo {
  id: string
  remoteAddr: string
  direction: 'inbound' | 'outbound'
  /** From the peer's last status; undefined until the first exchange. */
  head: { hash: `0x${string}`; number: bigint } | undefined
  /** gossipsub's score of the peer. */
  score: number
  /** Gossip messages from this peer we REJECTed. */
  rejects: number
  /** In our gossipsub mesh for the block topic. */
  inMesh: boolean
}

export class PeerBook {
  private readonly peers = new Map<string, PeerState>()
  private readonly banned = new Map<string, number>()

  constructor(
    private readonly limits: P2PLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.peers.size
  }

  all(): PeerState[] {
    return [...this.peers.values()]
  }

  get(id: string): PeerState | undefined {
    return this.peers.get(id)
  }

  connected(id: string, direction: 'inbound' | 'outbound', remoteAddr: string): PeerState {
    let p = this.peers.get(id)
    if (p === undefined) {
      p = { id, direction, remoteAddr, connectedAt: this.now(), status: undefined, statusAt: 0, rejects: 0, malformed: 0, inflight: 0, bucket: new TokenBucket(this.limits.requestsPerSecond, this.limits.requestBurst) }
      this.peers.set(id, p)
    }
    return p
  }

  disconnected(id: string): void {
    this.peers.delete(id)
  }

  setStatus(id: string, status: Status): void {
    const p = this.peers.get(id)
    if (p === undefined) return
    p.status = status
    p.statusAt = this.now()
  }

  /** Counts a REJECT; true when the peer crossed the threshold and must go. */
  reject(id: string): boolean {
    const p = this.peers.get(id)
    if (p === undefined) return false
    p.rejects++
    return p.rejects >= this.limits.maxRejectsPerPeer
  }

  /** Counts a malformed request; true when the peer crossed the threshold and must go. */
  malformedRequest(id: string): boolean {
    const p = this.peers.get(id)
    if (p === undefined) return false
    p.malformed++
    return p.malformed >= this.limits.maxRejectsPerPeer
  }

  /** Admission of one inbound request: a token and a free stream slot. */
  admit(id: string): boolean {
    const p = this.peers.get(id)
    if (p === undefined) return false
    if (p.inflight >= this.limits.maxConcurrentStreamsPerPeer) return false
    if (!p.bucket.take()) return false
    p.inflight++
    return true
  }

  release(id: string): void {
    const p = this.peers.get(id)
    if (p !== undefined && p.inflight > 0) p.inflight--
  }

  ban(id: string, ms = this.limits.banMs): void {
    this.banned.set(id, this.now() + ms)
    // Bounded: forget the oldest ban when the list grows past a few thousand entries.
    if (this.banned.size > 4096) this.banned.delete(this.banned.keys().next().value!)
  }

  isBanned(id: string): boolean {
    const until = this.banned.get(id)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.banned.delete(id)
    return false
  }

  /** Peers whose status says they have a head above `number`, best first. */
  ahead(number: bigint): PeerState[] {
    return this.all()
      .filter((p) => p.status !== undefined && p.status.headNumber > number)
      .sort((a, b) => (a.status!.headNumber > b.status!.headNumber ? -1 : a.status!.headNumber < b.status!.headNumber ? 1 : 0))
  }

  info(id: string, score: number, inMesh: boolean): PeerInfo | undefined {
    const p = this.peers.get(id)
    if (p === undefined) return undefined
    return {
      id,
      remoteAddr: p.remoteAddr,
      direction: p.direction,
      head: p.status === undefined ? undefined : { hash: bytesToHex(p.status.headHash) as `0x${string}`, number: p.status.headNumber },
      score,
      rejects: p.rejects,
      inMesh,
    }
  }
}
