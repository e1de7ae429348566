// Resource limits of the p2p layer, with their defaults in one place, and the token bucket that
// rate-limits each peer's requests. Every queue and buffer in src/p2p is bounded by one of these.

export interface P2PLimits {
  /** Largest gossiped block (bytes of RLP); bigger ones are REJECTed. */
  maxGossipSize: number
  /** Largest single req/resp frame (a block in a response, a request). */
  maxFrameSize: number
  /** Most blocks one blocks_by_hash / blocks_by_range request may ask for. */
  maxBlocksPerRequest: number
  /** Most bytes one response may carry in all (the server stops early, the client aborts). */
  maxResponseBytes: number
  /** Requests a peer may make per second, sustained (token bucket refill rate). */
  requestsPerSecond: number
  /** Requests a peer may make in a burst (token bucket capacity). */
  requestBurst: number
  /** Concurrent inbound req/resp streams per peer (beyond that: RATE_LIMITED). */
  maxConcurrentStreamsPerPeer: number
  /** Time a request (dial, write, whole response) may take. */
  requestTimeoutMs: number
  /** Gossip REJECTs from one peer before it is disconnected and banned. */
  maxRejectsPerPeer: number
  /** How long a peer disconnected for misbehaviour may not reconnect. */
  banMs: number
  /** Most ancestors one fetchAncestors walk fetches by hash before it hands over to range sync. */
  maxAncestors: number
  /** Most ancestor fetches in flight or queued; further requests are dropped (and logged). */
  maxAncestorTasks: number
  /** Blocks whose ancestors are being fetched, kept to be inserted after them. */
  maxPendingBlocks: number
  /** Period of the status re-exchange with every peer. */
  statusIntervalMs: number
  /** Bootnode redial backoff: first delay and cap. */
  redialMinMs: number
  redialMaxMs: number
}

export const DEFAULT_P2P_LIMITS: Readonly<P2PLimits> = {
  maxGossipSize: 10 * 1024 * 1024,
  maxFrameSize: 10 * 1024 * 1024 + 1024,
  maxBlocksPerRequest: 64,
  maxResponseBytes: 64 * 1024 * 1024,
  requestsPerSecond: 20,
  requestBurst: 40,
  maxConcurrentStreamsPerPeer: 4,
  requestTimeoutMs: 15_000,
  maxRejectsPerPeer: 8,
  banMs: 10 * 60_000,
  maxAncestors: 1024,
  maxAncestorTasks: 16,
  maxPendingBlocks: 256,
  statusIntervalMs: 15_000,
  redialMinMs: 1_000,
  redialMaxMs: 60_000,
}

export function resolveLimits(partial: Partial<P2PLimits> | undefined): P2PLimits {
  const out: P2PLimits = { ...DEFAULT_P2P_LIMITS, ...partial }
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`p2p limit ${k} must be a non-negative number`)
  }
  if (out.maxBlocksPerRequest < 1) throw new RangeError('p2p limit maxBlocksPerRequest must be at least 1')
  return out
}

/** A token bucket: `capacity` tokens, refilled at `ratePerSec`; `take()` is false when empty. */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly ratePerSec: number,
    private readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity
    this.last = now()
  }

  take(n = 1): boolean {
    const t = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.ratePerSec)
    this.last = t
    if (this.tokens < n) return false
    this.tokens -= n
    return true
  }
}
