// What subscriptions (eth_subscribe) and polled filters (eth_newFilter & co.) follow: the chain's head
// changes and the pool's new transactions, turned into RPC events once for every listener. A head
// change becomes one HeadsEvent: the blocks that became canonical (oldest first: each new head once,
// in order, also across a reorg) and the logs of the move — the logs of the blocks reorged out first,
// oldest block first, flagged `removed: true` (geth's order), then those of the new blocks. Each
// header and log is serialized once, however many listeners get it. The chain's listener only queues
// the change: receipts are read afterwards, one change at a time in commit order, off the import path.
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Logger } from 'pino'
import type { HeadChange } from '../chain/chain.ts'
import { Emitter } from '../chain/events.ts'
import type { ChainStore } from '../db/chain-store.ts'
import type { LogTuple } from '../db/receipts.ts'
import { formatHeader, formatLog, formatTx } from './eth/format.ts'

export interface FeedLog {
  log: LogTuple
  blockNumber: bigint
  removed: boolean
  /** The log's JSON (geth's field set, `removed` included), serialized. */
  json: string
}

export interface FeedHead {
  block: Block
  /** The header's JSON (eth_subscribe newHeads), serialized. */
  json: string
}

export interface HeadsEvent {
  heads: FeedHead[]
  /** Empty when no listener wants logs (see `wantLogs`). */
  logs: FeedLog[]
}

export interface PendingEvent {
  tx: TypedTransaction
  hash: `0x${string}`
  /** The pending transaction's JSON, serialized on first use. */
  fullJson(): string
}

/** What the feed reads of the chain (the Chain itself in the node). */
export interface FeedChain {
  headChanges: Emitter<HeadChange>
  store: Pick<ChainStore, 'getReceipts'>
}

export interface FeedOptions {
  chain: FeedChain
  /** The transaction pool's `added` emitter (absent: no pending transaction events). */
  pending?: Emitter<TypedTransaction>
  logger: Logger
}

export class RpcFeed {
  readonly heads: Emitter<HeadsEvent>
  readonly pending: Emitter<PendingEvent>
  /** Listeners that want logs say so; otherwise no receipts are read. */
  private readonly logWanters = new Set<() => boolean>()
  private readonly chain: FeedOptions['chain']
  private readonly logger: Logger
  private queue: Promise<void> = Promise.resolve()
  private readonly offs: (() => void)[] = []
  private closed = false

  constructor(opts: FeedOptions) {
    this.chain = opts.chain
    this.logger = opts.logger
    const onError = (err: unknown): void => this.logger.warn({ err }, 'RPC event listener failed')
    this.heads = new Emitter(onError)
    this.pending = new Emitter(onError)
    this.offs.push(opts.chain.headChanges.on((change) => this.enqueue(change)))
    if (opts.pending !== undefined) this.offs.push(opts.pending.on((tx) => this.onPending(tx)))
  }

  /** Registers a predicate saying whether logs are wanted now; the returned function removes it. */
  wantLogs(fn: () => boolean): () => void {
    this.logWanters.add(fn)
    return () => void this.logWanters.delete(fn)
  }

  /** Resolves when every head change queued so far has been delivered (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue
  }

  close(): void {
    this.closed = true
    for (const off of this.offs.splice(0)) off()
  }

  private enqueue(change: HeadChange): void {
    this.queue = this.queue.then(
      () => this.deliver(change),
      () => this.deliver(change),
    )
  }

  private async deliver(change: HeadChange): Promise<void> {
    if (this.closed || this.heads.size === 0) return
    try {
      const logs = [...this.logWanters].some((f) => f()) ? await this.logsOf(change) : []
      const heads = change.added.map((block) => ({ block, json: JSON.stringify(formatHeader(block.header)) }))
      this.heads.emit({ heads, logs })
    } catch (err) {
      this.logger.error({ err }, 'Failed to deliver a head change to RPC subscribers')
    }
  }

  private async logsOf(change: HeadChange): Promise<FeedLog[]> {
    const out: FeedLog[] = []
    for (const block of [...change.removed].reverse()) await this.blockLogs(block, true, out)
    for (const block of change.added) await this.blockLogs(block, false, out)
    return out
  }

  private async blockLogs(block: Block, removed: boolean, out: FeedLog[]): Promise<void> {
    const receipts = await this.chain.store.getReceipts(block.hash())
    if (receipts === undefined) return
    const h = block.header
    let logIndex = 0
    receipts.forEach((r, txIndex) => {
      for (const log of r.logs) {
        const loc = { blockHash: block.hash(), blockNumber: h.number, blockTimestamp: h.timestamp, txHash: block.transactions[txIndex]!.hash(), txIndex, logIndex: logIndex++ }
        out.push({ log, blockNumber: h.number, removed, json: JSON.stringify(formatLog(log, loc, removed)) })
      }
    })
  }

  private onPending(tx: TypedTransaction): void {
    if (this.closed || this.pending.size === 0) return
    let full: string | undefined
    const hash = `0x${Buffer.from(tx.hash()).toString('hex')}` as const
    this.pending.emit({ tx, hash, fullJson: () => (full ??= JSON.stringify(formatTx(tx))) })
  }
}
