// The built-in consensus driver of `--dev`: drives the node through its own Engine API method table
// (forkchoiceUpdated with attributes → getPayload → newPayload → forkchoiceUpdated), a block every
// `period` seconds and, with automine (period 0 by default, or evm_setAutomine), one per incoming
// transaction. Safe and finalized trail the head by 2 and 4 blocks, but never pass the oldest live
// snapshot, so reverting to it stays a legal forkchoice move. The dev-chain helpers (src/rpc/evm-dev.ts)
// act through it: mine now, time offsets and the next timestamp, snapshots and reverts (a forkchoice
// back to the snapshot's block; the txpool re-pools the dropped transactions as after any reorg).
import { randomBytes } from 'node:crypto'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import { runSlot, versionsAt, type Call } from './engine-client.ts'
import { DevChainError } from './dev-errors.ts'

export interface DevDriverOptions {
  call: Call
  chain: Chain
  common: Common
  logger: Logger
  /** Seconds between blocks; 0 = only automine and evm_mine. */
  period: number
  feeRecipient?: string
  /** Clock in ms (tests); default Date.now. */
  now?: () => number
}

interface Snapshot {
  hash: string
  number: bigint
}

export class DevDriver {
  private readonly o: DevDriverOptions
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined
  private again = false
  private stopped = false
  private automineOn: boolean
  /** Seconds added to the clock (evm_increaseTime, evm_setNextBlockTimestamp). */
  private offset = 0n
  private nextTimestamp: bigint | undefined
  private readonly snapshots = new Map<bigint, Snapshot>()
  private nextSnapshotId = 1n

  constructor(opts: DevDriverOptions) {
    this.o = opts
    this.automineOn = opts.period === 0
  }

  start(): void {
    if (this.o.period > 0) this.schedule()
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      void this.produce().finally(() => this.schedule())
    }, this.o.period * 1000)
  }

  /** A transaction arrived: with automine on, build a block now (coalescing bursts). */
  poke(): void {
    if (!this.automineOn || this.stopped) return
    if (this.running !== undefined) {
      this.again = true // picked up when the block production in progress (of any origin) is done
      return
    }
    void this.automineBlock()
  }

  /**
   * One automine block, when the pool holds executable transactions (asked in the block's own turn,
   * so the later pokes of a burst that one block took in whole make no empty block); if it came out
   * empty while the pool still holds some (the payload was sealed before the pool had taken in the
   * transaction that asked for it), another, at most three times in a row.
   */
  private async automineBlock(retries = 3): Promise<void> {
    let txs: number | undefined
    try {
      txs = await this.exclusive(async () => ((await this.poolHasPending()) ? (await this.slot()).txs : undefined))
    } catch (err) {
      if (!this.stopped) this.o.logger.error({ err: (err as Error).message }, 'Dev block production failed')
      return
    }
    if (txs === undefined || txs > 0 || retries === 0 || this.stopped || !this.automineOn) return
    await this.automineBlock(retries - 1)
  }

  /** Does the pool hold executable transactions? (true when it cannot tell: mining then is harmless) */
  private async poolHasPending(): Promise<boolean> {
    const status = (await this.o.call('txpool_status', []).catch(() => undefined)) as { pending?: string } | undefined
    return status?.pending === undefined || BigInt(status.pending) > 0n
  }

  get automine(): boolean {
    return this.automineOn
  }

  /** evm_setAutomine: on, a block per incoming transaction; off, only the period's blocks and evm_mine. */
  setAutomine(on: boolean): void {
    this.automineOn = on
  }

  /** Produces one block (at `timestamp` when given); never rejects (failures are logged). */
  async produce(timestamp?: bigint): Promise<void> {
    if (this.stopped) return
    try {
      await this.mine(timestamp)
    } catch (err) {
      if (this.stopped) return // a block queued behind the one in progress when the node stopped
      this.o.logger.error({ err: (err as Error).message }, 'Dev block production failed')
    }
  }

  /** evm_mine: one block now, at `timestamp` when given (later than the head's). Rejects on failure. */
  mine(timestamp?: bigint): Promise<{ hash: string; number: bigint }> {
    return this.exclusive(() => this.slot(timestamp)).then(({ hash, number }) => ({ hash, number }))
  }

  /** The clock the next block would use: now plus the offset, and at least the head's timestamp + 1. */
  nextBlockTimestamp(): bigint {
    const head = this.o.chain.head.timestamp
    if (this.nextTimestamp !== undefined) return this.nextTimestamp
    const now = BigInt(Math.floor((this.o.now ?? Date.now)() / 1000)) + this.offset
    return now > head ? now : head + 1n
  }

  /** evm_increaseTime: moves the clock forward; returns the total offset in seconds. */
  increaseTime(seconds: bigint): bigint {
    if (seconds < 0n) throw new DevChainError('evm_increaseTime: seconds must not be negative (a chain cannot go back in time)')
    this.offset += seconds
    if (this.nextTimestamp !== undefined) this.nextTimestamp += seconds
    return this.offset
  }

  /** evm_setNextBlockTimestamp: the next block gets exactly `ts`; the clock carries on from there. */
  setNextBlockTimestamp(ts: bigint): void {
    const head = this.o.chain.head.timestamp
    if (ts <= head) throw new DevChainError(`timestamp ${ts} is not after the head's (${head}): a block must be later than its parent`)
    this.nextTimestamp = ts
    this.offset = ts - BigInt(Math.floor((this.o.now ?? Date.now)() / 1000))
  }

  /** evm_snapshot: remembers the head; returns the snapshot's id. */
  snapshot(): bigint {
    const head = this.o.chain.head
    const id = this.nextSnapshotId++
    this.snapshots.set(id, { hash: bytesToHex(head.hash()), number: head.number })
    return id
  }

  /**
   * evm_revert: forkchoice back to the snapshot's block (which must still be canonical); the
   * snapshot and every later one are used up. false for an unknown id.
   */
  async revert(id: bigint): Promise<boolean> {
    const snap = this.snapshots.get(id)
    if (snap === undefined) return false
    for (const k of [...this.snapshots.keys()]) if (k >= id) this.snapshots.delete(k)
    await this.exclusive(async () => {
      const chain = this.o.chain
      const head = chain.head
      const canon = await chain.store.getCanonicalHash(snap.number)
      if (canon === undefined || bytesToHex(canon) !== snap.hash) throw new DevChainError(`snapshot block ${snap.hash} is no longer canonical`)
      if (head.number === snap.number) return
      const v = versionsAt(this.o.common, snap.number, head.timestamp)
      const state = { headBlockHash: snap.hash, safeBlockHash: await this.trailing(snap.number, 2n), finalizedBlockHash: await this.trailing(snap.number, 4n) }
      const res = (await this.o.call(`engine_forkchoiceUpdatedV${v.forkchoiceUpdated}`, [state, null])) as { payloadStatus: { status: string } }
      if (res.payloadStatus.status !== 'VALID' || bytesToHex(chain.head.hash()) !== snap.hash) {
        throw new DevChainError(`forkchoice back to ${snap.hash} answered ${res.payloadStatus.status}`)
      }
      this.o.logger.info({ number: Number(snap.number), hash: snap.hash, dropped: Number(head.number - snap.number) }, 'Dev chain reverted to snapshot')
    })
    return true
  }

  /** Runs `job` after the block production or revert in progress, one at a time. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const prev = this.running ?? Promise.resolve()
    const run = prev.then(job, job)
    const settled = run.then(() => undefined, () => undefined)
    this.running = settled
    void settled.then(() => {
      if (this.running !== settled) return
      this.running = undefined
      // A transaction that arrived during this block (whoever asked for it) gets its own.
      if (this.again) {
        this.again = false
        this.poke()
      }
    })
    return run
  }

  /** The canonical block `behind` blocks below number `n`, never past the oldest live snapshot. */
  private async trailing(n: bigint, behind: bigint): Promise<string> {
    let target = n > behind ? n - behind : 0n
    for (const s of this.snapshots.values()) if (s.number < target) target = s.number
    return bytesToHex((await this.o.chain.store.getCanonicalHash(target)) ?? this.o.chain.genesis.hash())
  }

  private async slot(timestamp?: bigint): Promise<{ hash: string; number: bigint; txs: number }> {
    const head = this.o.chain.head
    if (this.stopped) throw new DevChainError('the dev driver is stopped')
    if (timestamp !== undefined && timestamp <= head.timestamp) {
      throw new DevChainError(`timestamp ${timestamp} is not after the head's (${head.timestamp}): a block must be later than its parent`)
    }
    const ts = timestamp ?? this.nextBlockTimestamp()
    const r = await runSlot(this.o.call, this.o.common, {
      head: { hash: bytesToHex(head.hash()), number: head.number, timestamp: head.timestamp },
      safe: await this.trailing(head.number + 1n, 2n),
      finalized: await this.trailing(head.number + 1n, 4n),
      timestamp: ts,
      feeRecipient: this.o.feeRecipient ?? `0x${'00'.repeat(20)}`,
      prevRandao: bytesToHex(randomBytes(32)),
      parentBeaconBlockRoot: bytesToHex(randomBytes(32)),
    })
    this.nextTimestamp = undefined
    if (timestamp !== undefined) this.offset = timestamp - BigInt(Math.floor((this.o.now ?? Date.now)() / 1000))
    return { hash: r.blockHash, number: r.number, txs: r.txs }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    await this.running
  }
}
