// Catching up from peers. Range sync: ask the best peer for its canonical blocks above ours, in
// batches, and insert them in order. Ancestor fetch: for a block whose parent we lack (a gossip hint
// or an Engine API payload answered SYNCING), walk back from its parent until a known block
// (by range when the peer's canonical chain has them, by hash otherwise), then insert ascending.
// Only one range sync runs at a time; ancestor fetches are bounded in number and size.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import type { P2PLimits } from './limits.ts'
import type { PeerBook } from './peers.ts'

/** The requests sync needs, by peer id (the node binds them to libp2p; tests may fake them). */
export interface BlockSource {
  blocksByHash(peer: string, hashes: Uint8Array[]): Promise<Block[]>
  blocksByRange(peer: string, start: bigint, count: number): Promise<Block[]>
}

export interface SyncDeps {
  chain: Chain
  source: BlockSource
  peers: PeerBook
  limits: P2PLimits
  logger: Logger
  /** Follow mode: inserted blocks above the head become the head. */
  follow: boolean
  /** A peer served an invalid block (or garbage): the node penalises it. */
  onBadPeer(peer: string, reason: string): void
  /** A block was imported from a peer. */
  onImported?(block: Block): void
}

export interface SyncResult {
  imported: number
  head: BlockHeader
}

type Outcome = 'ok' | 'invalid' | 'failed'

export class Syncer {
  private ranging: Promise<SyncResult> | undefined
  /** Blocks waiting for their ancestors, by hash; `running` are being walked back now. */
  private readonly pending = new Map<string, { block: Block; preferred: string | undefined }>()
  private readonly running = new Set<string>()
  private draining = false
  private drainAgain = false
  /** The highest block range sync inserted (the head does not move without setHead). */
  private cursor: BlockHeader | undefined
  private stopped = false

  constructor(private readonly deps: SyncDeps) {}

  stop(): void {
    this.stopped = true
  }

  /** Range sync from the best peer ahead of us; joins a sync already running. */
  sync(opts: { setHead?: boolean } = {}): Promise<SyncResult> {
    if (this.ranging !== undefined) return this.ranging
    const run = this.rangeSync(opts.setHead ?? this.deps.follow).finally(() => {
      this.ranging = undefined
    })
    this.ranging = run
    return run
  }

  get syncing(): boolean {
    return this.ranging !== undefined
  }

  private async rangeSync(setHead: boolean): Promise<SyncResult> {
    const { chain, logger, limits } = this.deps
    let imported = 0
    const tried = new Set<string>()
    while (!this.stopped) {
      const from = this.from()
      const peer = this.deps.peers.ahead(from.number).find((p) => !tried.has(p.id))
      if (peer === undefined) break
      tried.add(peer.id)
      let start = from.number + 1n
      let stepBack = BigInt(limits.maxBlocksPerRequest)
      logger.info({ peer: peer.id, from: Number(start), target: Number(peer.status!.headNumber) }, 'Range sync started')
      // One batch is fetched ahead while the previous one imports (a pipeline of depth one).
      const fetchBatch = (from: bigint): Promise<Block[] | Error> | undefined => {
        const target = this.deps.peers.get(peer.id)?.status?.headNumber
        if (target === undefined || from > target) return undefined
        const count = Number(min(BigInt(limits.maxBlocksPerRequest), target - from + 1n))
        return this.deps.source.blocksByRange(peer.id, from, count).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
      }
      let next = fetchBatch(start)
      while (!this.stopped && next !== undefined) {
        const blocks = await next
        next = undefined
        if (blocks instanceof Error) {
          logger.debug({ peer: peer.id, err: blocks.message }, 'Range request failed')
          break
        }
        if (blocks.length === 0) break
        if (!(await chain.store.hasBlock(blocks[0]!.header.parentHash))) {
          // The peer's chain forks below our cursor: step back (doubling) until it links.
          if (start <= 1n) {
            this.deps.onBadPeer(peer.id, 'range sync: chain does not link to genesis')
            break
          }
          start = max(1n, start - stepBack)
          stepBack *= 2n
          next = fetchBatch(start)
          continue
        }
        start = blocks[blocks.length - 1]!.header.number + 1n
        next = fetchBatch(start)
        const res = await this.insertAll(blocks, setHead, peer.id)
        imported += res.imported
        if (res.outcome !== 'ok') break
      }
    }
    if (imported > 0) logger.info({ imported, head: Number(chain.head.number), cursor: Number(this.from().number) }, 'Range sync done')
    return { imported, head: chain.head }
  }

  /** Where range sync goes on from: the head, or the last block it inserted when that is higher. */
  private from(): BlockHeader {
    const head = this.deps.chain.head
    return this.cursor !== undefined && this.cursor.number > head.number ? this.cursor : head
  }

  /**
   * Fetches the missing ancestors of `block` (from `preferred` first, then any peer with a status)
   * and inserts them and `block` in ascending order. Background work: errors are logged, never
   * thrown. At most `maxAncestorTasks` walks run at once; blocks beyond that wait (at most
   * `maxPendingBlocks`, the lowest dropped first) and are taken up as walks finish: most of them
   * then find their parent already there and import without a request.
   */
  fetchAncestors(block: Block, preferred?: string): void {
    const key = bytesToHex(block.hash())
    if (this.pending.has(key) || this.stopped) return
    this.pending.set(key, { block, preferred })
    if (this.pending.size > this.deps.limits.maxPendingBlocks) {
      let lowest: string | undefined
      let lowestN: bigint | undefined
      for (const [k, p] of this.pending) {
        if (this.running.has(k)) continue
        if (lowestN === undefined || p.block.header.number < lowestN) [lowest, lowestN] = [k, p.block.header.number]
      }
      if (lowest !== undefined) this.pending.delete(lowest)
      this.deps.logger.debug({ dropped: Number(lowestN) }, 'Too many blocks waiting for ancestors; dropped the lowest')
    }
    void this.drain()
  }

  /** Resolves when no ancestor fetch is running or waiting (for tests and the benchmark). */
  async idle(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) await new Promise((r) => setTimeout(r, 20))
  }

  private runningBelow(n: bigint): boolean {
    for (const k of this.running) {
      const p = this.pending.get(k)
      if (p !== undefined && p.block.header.number < n) return true
    }
    return false
  }

  /** Imports waiting blocks whose parent is now known (lowest first); starts walks for the others. */
  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true
      return
    }
    this.draining = true
    try {
      do {
        this.drainAgain = false
        const waiting = [...this.pending].filter(([k]) => !this.running.has(k)).sort(([, a], [, b]) => (a.block.header.number < b.block.header.number ? -1 : 1))
        for (const [key, { block, preferred }] of waiting) {
          if (this.stopped) return
          const { chain } = this.deps
          if (await chain.store.hasBlock(block.hash())) {
            this.pending.delete(key)
          } else if (await chain.store.hasBlock(block.header.parentHash)) {
            this.pending.delete(key)
            await this.insertAll([block], this.deps.follow, preferred ?? '')
          } else if (this.pending.has(bytesToHex(block.header.parentHash))) {
            // its parent is waiting too: it goes right after it
          } else if (this.runningBelow(block.header.number)) {
            // most likely its ancestors are being fetched right now: wait for that walk
          } else if (this.running.size < this.deps.limits.maxAncestorTasks) {
            this.running.add(key)
            void this.fetchInner(block, preferred)
              .catch((err: unknown) => {
                this.deps.logger.warn({ hash: key, err: err instanceof Error ? err.message : String(err) }, 'Ancestor fetch failed')
                return false
              })
              .then(() => {
                this.running.delete(key)
                this.pending.delete(key)
                void this.drain()
              })
          }
        }
      } while (this.drainAgain)
    } finally {
      this.draining = false
    }
  }

  private async fetchInner(block: Block, preferred: string | undefined): Promise<boolean> {
    const { chain, logger, limits } = this.deps
    const candidates = [...new Set([...(preferred !== undefined ? [preferred] : []), ...this.deps.peers.all().filter((p) => p.status !== undefined).map((p) => p.id)])]
    for (const peer of candidates) {
      if (this.stopped) return false
      if (this.deps.peers.get(peer) === undefined) continue
      const collected: Block[] = [] // descending
      let need = block.header.parentHash
      let needNumber = block.header.number - 1n
      let complete = true
      while (!(await chain.store.hasBlock(need))) {
        if (chain.invalid.get(need) !== undefined) return false
        if (collected.length >= limits.maxAncestors || needNumber < 1n) {
          complete = false
          break
        }
        const got = await this.walkBack(peer, need, needNumber)
        if (got === undefined || got.length === 0) {
          complete = false
          break
        }
        collected.push(...got)
        const last = got[got.length - 1]!
        need = last.header.parentHash
        needNumber = last.header.number - 1n
      }
      if (!complete) {
        // Too far behind for a walk (or this peer lacks them): let range sync close the gap.
        if (collected.length >= limits.maxAncestors) void this.sync()
        continue
      }
      collected.reverse().push(block)
      logger.debug({ peer, number: Number(block.header.number), ancestors: collected.length - 1 }, 'Fetched ancestors')
      const res = await this.insertAll(collected, this.deps.follow, peer)
      return res.outcome === 'ok'
    }
    return false
  }

  /**
   * The next blocks going back from `need` (number `needNumber`), newest first, each the parent of
   * the one before, stopping after the first whose parent we have. Tries the peer's canonical
   * range first (64 blocks a request), then the single block by hash.
   */
  private async walkBack(peer: string, need: Uint8Array, needNumber: bigint): Promise<Block[] | undefined> {
    const { chain, limits, source } = this.deps
    const count = Number(min(BigInt(limits.maxBlocksPerRequest), needNumber))
    try {
      const range = await source.blocksByRange(peer, needNumber - BigInt(count) + 1n, count)
      if (range.length === count && equalsBytes(range[range.length - 1]!.hash(), need)) {
        const out: Block[] = []
        for (let i = range.length - 1; i >= 0; i--) {
          out.push(range[i]!)
          if (await chain.store.hasBlock(range[i]!.header.parentHash)) break
        }
        return out
      }
    } catch {
      // fall back to by-hash
    }
    try {
      const [b] = await source.blocksByHash(peer, [need])
      return b === undefined ? undefined : [b]
    } catch (err) {
      this.deps.logger.debug({ peer, err: err instanceof Error ? err.message : String(err) }, 'Ancestor request failed')
      return undefined
    }
  }

  /** Inserts blocks in order; stops at the first that does not import. */
  private async insertAll(blocks: Block[], setHead: boolean, peer: string): Promise<{ imported: number; outcome: Outcome }> {
    const { chain, logger } = this.deps
    let imported = 0
    for (const b of blocks) {
      if (this.stopped) return { imported, outcome: 'failed' }
      const res = await chain.insertBlock(b, { setHead: setHead && b.header.number > chain.head.number })
      if (res.status === 'invalid') {
        logger.warn({ peer, number: Number(b.header.number), hash: bytesToHex(res.hash), reason: res.reason }, 'Peer served an invalid block')
        if (peer !== '') this.deps.onBadPeer(peer, `invalid block #${b.header.number}: ${res.reason ?? ''}`)
        return { imported, outcome: 'invalid' }
      }
      if (res.status === 'unknown-parent') return { imported, outcome: 'failed' }
      if (res.status === 'imported') {
        imported++
        this.deps.onImported?.(b)
      }
      if (this.cursor === undefined || b.header.number > this.cursor.number) this.cursor = b.header
    }
    return { imported, outcome: 'ok' }
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}
function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}
