// A minimal consensus-client side of the Engine API: picks the method versions a real CL would use
// for a timestamp (Paris → Amsterdam) and runs one slot (fcU with attributes → getPayload →
// newPayload → fcU). The dev driver uses it in-process; tests use it over HTTP with a JWT.
import { Hardfork, type Common } from '@ethereumjs/common'

export type Call = (method: string, params: unknown[]) => Promise<unknown>

export interface EngineVersions {
  newPayload: number
  forkchoiceUpdated: number
  getPayload: number
}

export function versionsAt(common: Common, blockNumber: bigint, timestamp: bigint): EngineVersions {
  const c = common.copy()
  c.setHardforkBy({ blockNumber, timestamp })
  if (c.gteHardfork(Hardfork.Amsterdam)) return { newPayload: 5, forkchoiceUpdated: 4, getPayload: 6 }
  if (c.gteHardfork(Hardfork.Osaka)) return { newPayload: 4, forkchoiceUpdated: 3, getPayload: 5 }
  if (c.gteHardfork(Hardfork.Prague)) return { newPayload: 4, forkchoiceUpdated: 3, getPayload: 4 }
  if (c.gteHardfork(Hardfork.Cancun)) return { newPayload: 3, forkchoiceUpdated: 3, getPayload: 3 }
  if (c.gteHardfork(Hardfork.Shanghai)) return { newPayload: 2, forkchoiceUpdated: 2, getPayload: 2 }
  return { newPayload: 1, forkchoiceUpdated: 1, getPayload: 1 }
}

export interface SlotInput {
  head: { hash: string; number: bigint; timestamp: bigint }
  safe: string
  finalized: string
  timestamp: bigint
  feeRecipient: string
  prevRandao: string
  parentBeaconBlockRoot: string
  /** Amsterdam's targetGasLimit (default 60M, the dev chain's). */
  targetGasLimit?: bigint
}

export interface SlotResult {
  blockHash: string
  number: bigint
  txs: number
  status: string
}

interface FcuResult {
  payloadStatus: { status: string; validationError?: string | null }
  payloadId: string | null
}
interface GetPayloadResult {
  executionPayload: { blockHash: string; blockNumber: string; transactions: string[]; blobGasUsed?: string }
  blobsBundle?: { commitments: string[] }
  executionRequests?: string[]
}

export async function runSlot(call: Call, common: Common, s: SlotInput): Promise<SlotResult> {
  const v = versionsAt(common, s.head.number + 1n, s.timestamp)
  const attrs: Record<string, unknown> = {
    timestamp: `0x${s.timestamp.toString(16)}`,
    prevRandao: s.prevRandao,
    suggestedFeeRecipient: s.feeRecipient,
  }
  if (v.forkchoiceUpdated >= 2) attrs['withdrawals'] = []
  if (v.forkchoiceUpdated >= 3) attrs['parentBeaconBlockRoot'] = s.parentBeaconBlockRoot
  if (v.forkchoiceUpdated >= 4) {
    attrs['slotNumber'] = `0x${(s.head.number + 1n).toString(16)}`
    attrs['targetGasLimit'] = `0x${(s.targetGasLimit ?? 60_000_000n).toString(16)}`
  }
  const fcState = { headBlockHash: s.head.hash, safeBlockHash: s.safe, finalizedBlockHash: s.finalized }
  const fcu = (await call(`engine_forkchoiceUpdatedV${v.forkchoiceUpdated}`, [fcState, attrs])) as FcuResult
  if (fcu.payloadId === null) throw new Error(`forkchoiceUpdated started no build: ${fcu.payloadStatus.status} ${fcu.payloadStatus.validationError ?? ''}`)
  const got = (await call(`engine_getPayloadV${v.getPayload}`, [fcu.payloadId])) as GetPayloadResult
  const payload = got.executionPayload
  const params: unknown[] = [payload]
  if (v.newPayload >= 3) {
    const hashes = (got.blobsBundle?.commitments ?? []).map(versionedHashOfCommitment)
    params.push(await Promise.all(hashes), s.parentBeaconBlockRoot)
  }
  if (v.newPayload >= 4) params.push(got.executionRequests ?? [])
  const status = (await call(`engine_newPayloadV${v.newPayload}`, params)) as { status: string; validationError?: string | null }
  if (status.status !== 'VALID') throw new Error(`newPayload ${status.status}: ${status.validationError ?? ''}`)
  const fcu2 = (await call(`engine_forkchoiceUpdatedV${v.forkchoiceUpdated}`, [{ ...fcState, headBlockHash: payload.blockHash }, null])) as FcuResult
  if (fcu2.payloadStatus.status !== 'VALID') throw new Error(`forkchoiceUpdated to new head: ${fcu2.payloadStatus.status}`)
  return { blockHash: payload.blockHash, number: BigInt(payload.blockNumber), txs: payload.transactions.length, status: status.status }
}

async function versionedHashOfCommitment(commitmentHex: string): Promise<string> {
  const { createHash } = await import('node:crypto')
  const digest = createHash('sha256').update(Buffer.from(commitmentHex.slice(2), 'hex')).digest()
  digest[0] = 0x01
  return `0x${digest.toString('hex')}`
}
