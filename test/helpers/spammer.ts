// Keeps a node's pool full: signed transfers from several funded keys, pre-signed up front (so the
// signing cost does not land in the measured slots), sent in JSON-RPC batches of eth_sendRawTransaction.
// Refusals (pool full, underpriced) are counted, not fatal: a real spammer sees them too.
import type { Common } from '@ethereumjs/common'
import { bytesToHex, createAddressFromString } from '@ethereumjs/util'
import type { RpcClient } from './rpc-client.ts'
import type { Signer } from './workloads/keys.ts'
import { signedTx } from './workloads/txs.ts'

export interface SpamStats {
  sent: number
  accepted: number
  refused: number
  /** The first few refusal messages (distinct). */
  refusals: string[]
  hashes: string[]
}

export class Spammer {
  private readonly queue: string[] = []
  private at = 0
  readonly stats: SpamStats = { sent: 0, accepted: 0, refused: 0, refusals: [], hashes: [] }

  /** Pre-signs `count` transfers round-robin over `signers` (their nonces advance). */
  constructor(
    private readonly rpc: RpcClient,
    common: Common,
    signers: Signer[],
    count: number,
  ) {
    const to = createAddressFromString(`0x${'5a'.repeat(20)}`)
    for (let i = 0; i < count; i++) {
      const from = signers[i % signers.length]!
      this.queue.push(bytesToHex(signedTx(common, from, { to, value: 1n, gasLimit: 21_000n }).serialize()))
    }
  }

  get remaining(): number {
    return this.queue.length - this.at
  }

  /** Sends the next `n` transactions in batches of `batchSize` (one batch in flight at a time). */
  async send(n: number, batchSize = 100): Promise<void> {
    const end = Math.min(this.queue.length, this.at + n)
    while (this.at < end) {
      const chunk = this.queue.slice(this.at, Math.min(end, this.at + batchSize))
      this.at += chunk.length
      const replies = await this.rpc.batch(chunk.map((raw) => ({ method: 'eth_sendRawTransaction', params: [raw] })))
      this.stats.sent += chunk.length
      for (const r of replies) {
        if (r.error === undefined) {
          this.stats.accepted++
          this.stats.hashes.push(r.result as string)
        } else {
          this.stats.refused++
          if (this.stats.refusals.length < 5 && !this.stats.refusals.includes(r.error.message)) this.stats.refusals.push(r.error.message)
        }
      }
    }
  }
}
