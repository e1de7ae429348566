// A scripted consensus client with a real slot clock, proposing every slot in Lodestar's call order:
// at 2/3 of slot s-1 forkchoiceUpdated with attributes for slot s; at the start of slot s getPayload,
// newPayload of that payload, forkchoiceUpdated to it. Every call is timed; nothing here asserts
// (tests and the benchmark judge the records).
import { randomBytes } from 'node:crypto'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { versionsAt, type EngineVersions } from '../../src/node/engine-client.ts'
import type { RpcClient, RpcReply } from './rpc-client.ts'

/** The CL's getPayload deadline (execution-apis: 1 s); a later answer misses the slot. */
export const GET_PAYLOAD_DEADLINE_MS = 1000

export type EngineStep = 'forkchoiceUpdatedWithAttributes' | 'getPayload' | 'newPayload' | 'forkchoiceUpdated'
export const ENGINE_STEPS: readonly EngineStep[] = ['forkchoiceUpdatedWithAttributes', 'getPayload', 'newPayload', 'forkchoiceUpdated']

export interface SlotRecord {
  slot: number
  /** Milliseconds per Engine call made in this slot (the fcU with attributes is the one that prepared it). */
  ms: Partial<Record<EngineStep, number>>
  /** Transactions in the payload (-1: no payload). */
  txs: number
  gasUsed: bigint
  blockHash?: string
  blockNumber?: bigint
  /** Pending pool transactions just before getPayload (when `pendingProbe` is given). */
  pendingBefore?: number
  /** No canonical block for this slot: an error, or a status other than VALID. */
  missed: boolean
  /** getPayload answered after GET_PAYLOAD_DEADLINE_MS (a real CL would have given up). */
  late: boolean
  error?: string
}

export interface ConsensusClientOptions {
  engine: RpcClient
  common: Common
  /** Slot length (rounded up to whole seconds). */
  slotMs: number
  /** Fraction of the slot at which the next slot is prepared (Lodestar: 2/3). */
  prepareAt?: number
  feeRecipient?: string
  /** Number of pending pool transactions (read just before getPayload). */
  pendingProbe?: () => Promise<number>
  /** Called after every slot. */
  onSlot?: (r: SlotRecord) => void
}

interface Payload {
  blockHash: string
  blockNumber: string
  timestamp: string
  gasUsed: string
  transactions: string[]
}
interface Head {
  hash: string
  number: bigint
  timestamp: bigint
}

const hex = (n: bigint): string => `0x${n.toString(16)}`
const sleepUntil = (t: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())))

export class ConsensusClient {
  private readonly o: ConsensusClientOptions
  private readonly hashes: string[] = []
  private head: Head = { hash: '', number: 0n, timestamp: 0n }

  constructor(o: ConsensusClientOptions) {
    this.o = o
  }

  /** Runs `slots` slots from the node's current head; one record per slot. */
  async run(slots: number): Promise<SlotRecord[]> {
    const latest = (await this.o.engine.call('eth_getBlockByNumber', ['latest', false])) as { hash: string; number: string; timestamp: string }
    this.head = { hash: latest.hash, number: BigInt(latest.number), timestamp: BigInt(latest.timestamp) }
    this.hashes.push(latest.hash)
    // Slots start on whole seconds and each payload's timestamp is its slot's start, as on a real
    // chain (the builder times its seals by it); slot lengths round up to whole seconds.
    const slotSeconds = BigInt(Math.max(1, Math.ceil(this.o.slotMs / 1000)))
    const slotMs = Number(slotSeconds) * 1000
    const nowSeconds = BigInt(Math.ceil(Date.now() / 1000))
    const base = nowSeconds > this.head.timestamp ? nowSeconds : this.head.timestamp
    const start = (slot: number): number => Number(base + BigInt(slot) * slotSeconds) * 1000
    const prepareAt = this.o.prepareAt ?? 2 / 3
    const records: SlotRecord[] = []
    let prepared = await this.prepare(base + slotSeconds)
    for (let slot = 1; slot <= slots; slot++) {
      await sleepUntil(start(slot))
      const r = await this.propose(slot, prepared)
      records.push(r)
      this.o.onSlot?.(r)
      if (slot === slots) break
      await sleepUntil(start(slot) + prepareAt * slotMs)
      prepared = await this.prepare(base + BigInt(slot + 1) * slotSeconds)
    }
    return records
  }

  private forkchoice(): { headBlockHash: string; safeBlockHash: string; finalizedBlockHash: string } {
    const back = (n: number): string => this.hashes[Math.max(0, this.hashes.length - 1 - n)]!
    return { headBlockHash: this.head.hash, safeBlockHash: back(2), finalizedBlockHash: back(4) }
  }

  private async timed(method: string, params: unknown[]): Promise<{ reply: RpcReply; ms: number }> {
    const t = performance.now()
    const reply = await this.o.engine.raw(method, params)
    return { reply, ms: performance.now() - t }
  }

  private async prepare(timestamp: bigint): Promise<Prepared> {
    const v = versionsAt(this.o.common, this.head.number + 1n, timestamp)
    const attrs: Record<string, unknown> = { timestamp: hex(timestamp), prevRandao: bytesToHex(randomBytes(32)), suggestedFeeRecipient: this.o.feeRecipient ?? `0x${'fe'.repeat(20)}` }
    if (v.forkchoiceUpdated >= 2) attrs['withdrawals'] = []
    const beaconRoot = bytesToHex(randomBytes(32))
    if (v.forkchoiceUpdated >= 3) attrs['parentBeaconBlockRoot'] = beaconRoot
    if (v.forkchoiceUpdated >= 4) {
      attrs['slotNumber'] = hex(this.head.number + 1n)
      attrs['targetGasLimit'] = hex(60_000_000n)
    }
    try {
      const { reply, ms } = await this.timed(`engine_forkchoiceUpdatedV${v.forkchoiceUpdated}`, [this.forkchoice(), attrs])
      const result = reply.result as { payloadId: string | null } | undefined
      if (result?.payloadId == null) return { v, beaconRoot, ms, error: `fcU with attributes: ${JSON.stringify(reply).slice(0, 300)}` }
      return { v, beaconRoot, ms, payloadId: result.payloadId }
    } catch (err) {
      return { v, beaconRoot, ms: 0, error: `fcU with attributes: ${(err as Error).message}` }
    }
  }

  private async propose(slot: number, p: Prepared): Promise<SlotRecord> {
    const r: SlotRecord = { slot, ms: { forkchoiceUpdatedWithAttributes: p.ms }, txs: -1, gasUsed: 0n, missed: true, late: false }
    if (p.payloadId === undefined) return { ...r, error: p.error ?? 'no payload id' }
    try {
      if (this.o.pendingProbe !== undefined) r.pendingBefore = await this.o.pendingProbe()
      const got = await this.timed(`engine_getPayloadV${p.v.getPayload}`, [p.payloadId])
      r.ms.getPayload = got.ms
      r.late = got.ms > GET_PAYLOAD_DEADLINE_MS
      const built = got.reply.result as { executionPayload: Payload; executionRequests?: string[] } | undefined
      if (built === undefined) return { ...r, error: `getPayload: ${JSON.stringify(got.reply.error)}` }
      const payload = built.executionPayload
      r.txs = payload.transactions.length
      r.gasUsed = BigInt(payload.gasUsed)
      r.blockHash = payload.blockHash
      r.blockNumber = BigInt(payload.blockNumber)
      const params: unknown[] = [payload]
      if (p.v.newPayload >= 3) params.push([], p.beaconRoot)
      if (p.v.newPayload >= 4) params.push(built.executionRequests ?? [])
      const np = await this.timed(`engine_newPayloadV${p.v.newPayload}`, params)
      r.ms.newPayload = np.ms
      const status = (np.reply.result as { status?: string } | undefined)?.status
      if (status !== 'VALID') return { ...r, error: `newPayload: ${JSON.stringify(np.reply).slice(0, 300)}` }
      const previous = this.head
      this.head = { hash: payload.blockHash, number: BigInt(payload.blockNumber), timestamp: BigInt(payload.timestamp) }
      const fcu = await this.timed(`engine_forkchoiceUpdatedV${p.v.forkchoiceUpdated}`, [this.forkchoice(), null])
      r.ms.forkchoiceUpdated = fcu.ms
      const fs = (fcu.reply.result as { payloadStatus?: { status: string } } | undefined)?.payloadStatus?.status
      if (fs !== 'VALID') {
        this.head = previous
        return { ...r, error: `forkchoiceUpdated: ${JSON.stringify(fcu.reply).slice(0, 300)}` }
      }
      this.hashes.push(payload.blockHash)
      return { ...r, missed: false }
    } catch (err) {
      return { ...r, error: (err as Error).message }
    }
  }
}

interface Prepared {
  v: EngineVersions
  beaconRoot: string
  ms: number
  payloadId?: string
  error?: string
}
