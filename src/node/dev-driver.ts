// The built-in consensus driver of `--dev`: drives the node through its own Engine API method table
// (forkchoiceUpdated with attributes → getPayload → newPayload → forkchoiceUpdated), a block every
// `period` seconds, or one per incoming transaction when the period is 0. Safe and finalized trail
// the head by 2 and 4 blocks.
import { randomBytes } from 'node:crypto'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import { runSlot, type Call } from './engine-client.ts'

export interface DevDriverOptions {
  call: Call
  chain: Chain
  common: Common
  logger: Logger
  /** Seconds between blocks; 0 = build when `poke()` is called (a transaction arrived). */
  period: number
  feeRecipient?: string
}

export class DevDriver {
  private readonly o: DevDriverOptions
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor(opts: DevDriverOptions) {
    this.o = opts
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

  /** A transaction arrived: with period 0, build a block now (coalescing bursts). */
  poke(): void {
    if (this.o.period !== 0 || this.stopped) return
    if (this.running !== undefined) {
      this.again = true
      return
    }
    void this.produce().then(() => {
      if (this.again) {
        this.again = false
        this.poke()
      }
    })
  }

  /** Produces one block. */
  produce(): Promise<void> {
    if (this.running !== undefined) return this.running
    this.running = this.slot().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async slot(): Promise<void> {
    const chain = this.o.chain
    const head = chain.head
    const trailing = async (behind: bigint): Promise<string> => {
      const n = head.number + 1n > behind ? head.number + 1n - behind : 0n
      return bytesToHex((await chain.store.getCanonicalHash(n)) ?? chain.genesis.hash())
    }
    const now = BigInt(Math.floor(Date.now() / 1000))
    try {
      await runSlot(this.o.call, this.o.common, {
        head: { hash: bytesToHex(head.hash()), number: head.number, timestamp: head.timestamp },
        safe: await trailing(2n),
        finalized: await trailing(4n),
        timestamp: now > head.timestamp ? now : head.timestamp + 1n,
        feeRecipient: this.o.feeRecipient ?? `0x${'00'.repeat(20)}`,
        prevRandao: bytesToHex(randomBytes(32)),
        parentBeaconBlockRoot: bytesToHex(randomBytes(32)),
      })
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, 'Dev block production failed')
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    await this.running
  }
}
