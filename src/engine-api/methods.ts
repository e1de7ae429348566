// The ONE table of Engine API methods: name → (decode params, check the fork window, call the
// engine service, encode the result). The server dispatches on it and engine_exchangeCapabilities
// is built from it. Nothing here executes blocks or touches the database.
import { Hardfork, type Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { BuiltPayload } from '../chain/builder.ts'
import type { EngineService, PayloadStatus as ServiceStatus } from '../chain/engine.ts'
import type { PayloadAttributes as BuildAttributes } from '../exec/build.ts'
import { InvalidParamsError, RpcCode, RpcError } from '../rpc/errors.ts'
import type { RpcHandler } from '../rpc/types.ts'
import { array, data, hash32, object, uint64, toQuantity, toData } from '../rpc/wire.ts'
import { InvalidPayloadError, blockToPayload, blockToPayloadBody, forkFieldMismatch, payloadToBlock, versionedHashesOf } from './block.ts'
import {
  GET_PAYLOAD_STRUCTURE,
  decodeForkchoiceState,
  decodeNewPayloadParams,
  decodePayloadAttributes,
  encodeBlobsBundle,
  encodeExecutionPayload,
  encodeExecutionRequests,
  encodePayloadBody,
  encodePayloadStatus,
} from './codec.ts'
import type { NewPayloadVersion, PayloadAttributes, PayloadAttributesVersion, PayloadStatus } from './types.ts'

/** Blobs of pooled transactions, by versioned hash (the txpool implements it). */
export interface BlobSource {
  getBlobs(versionedHashes: Uint8Array[]): ({ blob: Uint8Array; proof: Uint8Array } | null)[]
  getBlobsAndCellProofs(versionedHashes: Uint8Array[]): ({ blob: Uint8Array; proofs: Uint8Array[] } | null)[]
  /** Commitment of a pooled blob (for the blobs bundle of a built payload). */
  getCommitment?(versionedHash: Uint8Array): Uint8Array | undefined
}

export interface EngineMethodsOptions {
  engine: EngineService
  blobs?: BlobSource
  clientVersion: { code: string; name: string; version: string; commit: string }
}

/** Fork windows: [first fork (inclusive), first fork no longer served (exclusive)]. */
type Window = [Hardfork | null, Hardfork | null]

/**
 * The latest timestamp whose fork this node can place: @ethereumjs/common compares timestamps as
 * JavaScript numbers, and above 2^53 it throws (a plain Error, which would answer -32603). No fork is
 * scheduled that late, so a later payload is of a fork this node does not know: -38005.
 */
export const MAX_FORK_TIMESTAMP = BigInt(Number.MAX_SAFE_INTEGER)

function forkAt(common: Common, number: bigint, timestamp: bigint): Common {
  if (timestamp > MAX_FORK_TIMESTAMP) throw unsupportedFork(`timestamp ${timestamp} is past every fork this node knows (the last it can place is ${MAX_FORK_TIMESTAMP})`)
  const c = common.copy()
  c.setHardforkBy({ blockNumber: number, timestamp })
  return c
}

function inWindow(c: Common, [from, until]: Window): boolean {
  if (from !== null && !c.gteHardfork(from)) return false
  if (until !== null && c.gteHardfork(until)) return false
  return true
}

function unsupportedFork(what: string): RpcError {
  return new RpcError(RpcCode.UnsupportedFork, `Unsupported fork: ${what}`)
}

const NEW_PAYLOAD_WINDOW: Record<NewPayloadVersion, Window> = {
  1: [null, Hardfork.Shanghai],
  2: [null, Hardfork.Cancun],
  3: [Hardfork.Cancun, Hardfork.Prague],
  4: [Hardfork.Prague, Hardfork.Amsterdam],
  5: [Hardfork.Amsterdam, null],
}
const FCU_WINDOW: Record<PayloadAttributesVersion, Window> = {
  1: [null, Hardfork.Shanghai],
  2: [null, Hardfork.Cancun],
  3: [Hardfork.Cancun, Hardfork.Amsterdam],
  4: [Hardfork.Amsterdam, null],
}
const GET_PAYLOAD_WINDOW: Record<1 | 2 | 3 | 4 | 5 | 6, Window> = {
  1: [null, Hardfork.Shanghai],
  2: [null, Hardfork.Cancun],
  3: [Hardfork.Cancun, Hardfork.Prague],
  4: [Hardfork.Prague, Hardfork.Osaka],
  5: [Hardfork.Osaka, Hardfork.Amsterdam],
  6: [Hardfork.Amsterdam, null],
}

const MAX_BODIES = 1024n
const MAX_BLOBS = 128

function toWire(s: ServiceStatus): PayloadStatus {
  return { status: s.status, latestValidHash: s.latestValidHash, validationError: s.validationError }
}

export function createEngineMethods(opts: EngineMethodsOptions): Map<string, RpcHandler> {
  const { engine } = opts
  const common = engine.chain.common
  const m = new Map<string, RpcHandler>()

  // ---- newPayload ----
  const newPayload = (version: NewPayloadVersion): RpcHandler => async (params) => {
    const p = decodeNewPayloadParams(version, params)
    const payload = p.payload
    const fork = forkAt(common, payload.blockNumber, payload.timestamp)
    if (!inWindow(fork, NEW_PAYLOAD_WINDOW[version])) {
      throw unsupportedFork(`engine_newPayloadV${version} does not serve a ${fork.hardfork()} payload`)
    }
    const ctx = {
      common,
      ...(p.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: p.parentBeaconBlockRoot } : {}),
      ...(p.executionRequests !== undefined ? { executionRequests: p.executionRequests } : {}),
    }
    const misfit = forkFieldMismatch(payload, ctx)
    if (misfit !== undefined) throw new InvalidParamsError(`params[0].${misfit}`)
    const invalid = (message: string, lvh: Uint8Array | null): PayloadStatus => ({ status: 'INVALID', latestValidHash: lvh, validationError: message })
    let status: PayloadStatus
    try {
      const { block, hashMatches } = payloadToBlock(payload, ctx)
      if (!hashMatches) {
        status = {
          status: version === 1 ? 'INVALID_BLOCK_HASH' : 'INVALID',
          latestValidHash: null,
          validationError: `block hash mismatch: payload says ${bytesToHex(payload.blockHash)}, header hashes to ${bytesToHex(block.hash())}`,
        }
      } else if (p.expectedBlobVersionedHashes !== undefined && !sameHashes(versionedHashesOf(block), p.expectedBlobVersionedHashes)) {
        status = invalid('blob versioned hashes do not match the transactions', null)
      } else {
        status = toWire(await engine.newPayload(block, payload.blockAccessList !== undefined ? { blockAccessList: payload.blockAccessList } : {}))
      }
    } catch (err) {
      if (!(err instanceof InvalidPayloadError)) throw err
      if (err.hashMatches === false) {
        status = { status: version === 1 ? 'INVALID_BLOCK_HASH' : 'INVALID', latestValidHash: null, validationError: err.message }
      } else {
        const parentKnown = await engine.chain.store.hasBlock(payload.parentHash)
        const lvh = parentKnown ? payload.parentHash : null
        if (err.hashMatches === true) engine.chain.invalid.add(payload.blockHash, { reason: err.reason, message: err.message, latestValidHash: lvh })
        status = invalid(err.message, lvh)
      }
    }
    return encodePayloadStatus(status)
  }
  m.set('engine_newPayloadV1', newPayload(1))
  m.set('engine_newPayloadV2', newPayload(2))
  m.set('engine_newPayloadV3', newPayload(3))
  m.set('engine_newPayloadV4', newPayload(4))
  m.set('engine_newPayloadV5', newPayload(5))

  // ---- forkchoiceUpdated ----
  const forkchoiceUpdated = (version: PayloadAttributesVersion): RpcHandler => async (params) => {
    const list = array(params, 'params')
    if (list.length > 2) throw new InvalidParamsError(`params: engine_forkchoiceUpdatedV${version} takes 2 params, got ${list.length}`)
    const state = decodeForkchoiceState(list[0], 'params[0]')
    const rawAttrs = list[1]
    const prepare =
      rawAttrs === undefined || rawAttrs === null
        ? undefined
        : (head: { timestamp: bigint; number: bigint }): { attributes: BuildAttributes; version: number } => {
            let attrs: PayloadAttributes | null
            try {
              attrs = decodePayloadAttributes(version, rawAttrs, 'params[1]')
            } catch (err) {
              if (err instanceof InvalidParamsError) throw new RpcError(RpcCode.InvalidPayloadAttributes, `Invalid payload attributes: ${err.message}`)
              throw err
            }
            if (attrs === null) throw new RpcError(RpcCode.InvalidPayloadAttributes, 'Invalid payload attributes')
            const fork = forkAt(common, head.number + 1n, attrs.timestamp)
            if (!inWindow(fork, FCU_WINDOW[version])) {
              throw unsupportedFork(`engine_forkchoiceUpdatedV${version} cannot build a ${fork.hardfork()} payload`)
            }
            // V2: the structure must match the fork (V1 before Shanghai, V2 from Shanghai).
            if (fork.isActivatedEIP(4895) !== (attrs.withdrawals !== undefined)) {
              throw new RpcError(RpcCode.InvalidPayloadAttributes, `Invalid payload attributes: withdrawals ${attrs.withdrawals === undefined ? 'missing' : 'not allowed'} at this timestamp`)
            }
            if (attrs.timestamp <= head.timestamp) {
              throw new RpcError(RpcCode.InvalidPayloadAttributes, `Invalid payload attributes: timestamp ${attrs.timestamp} is not after the head's ${head.timestamp}`)
            }
            return {
              attributes: {
                timestamp: attrs.timestamp,
                feeRecipient: attrs.suggestedFeeRecipient,
                prevRandao: attrs.prevRandao,
                ...(attrs.withdrawals !== undefined
                  ? { withdrawals: attrs.withdrawals.map((w) => ({ index: w.index, validatorIndex: w.validatorIndex, address: w.address, amount: w.amount })) }
                  : {}),
                ...(attrs.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: attrs.parentBeaconBlockRoot } : {}),
                ...(attrs.targetGasLimit !== undefined ? { targetGasLimit: attrs.targetGasLimit } : {}),
                ...(attrs.slotNumber !== undefined ? { slotNumber: attrs.slotNumber } : {}),
              },
              version,
            }
          }
    const res = await engine.forkchoiceUpdated(state, prepare)
    return { payloadStatus: encodePayloadStatus(toWire(res.payloadStatus)), payloadId: res.payloadId === null ? null : toData(res.payloadId) }
  }
  m.set('engine_forkchoiceUpdatedV1', forkchoiceUpdated(1))
  m.set('engine_forkchoiceUpdatedV2', forkchoiceUpdated(2))
  m.set('engine_forkchoiceUpdatedV3', forkchoiceUpdated(3))
  m.set('engine_forkchoiceUpdatedV4', forkchoiceUpdated(4))

  // ---- getPayload ----
  const getPayload = (version: 1 | 2 | 3 | 4 | 5 | 6): RpcHandler => async (params) => {
    const list = array(params, 'params')
    if (list.length !== 1) throw new InvalidParamsError(`params: engine_getPayloadV${version} takes 1 param, got ${list.length}`)
    const id = data(list[0], 'params[0]', 8)
    const built = await engine.getPayload(id)
    const h = built.block.header
    const fork = forkAt(common, h.number, h.timestamp)
    if (!inWindow(fork, GET_PAYLOAD_WINDOW[version])) throw unsupportedFork(`engine_getPayloadV${version} does not serve a ${fork.hardfork()} payload`)
    const payload = encodeExecutionPayload(GET_PAYLOAD_STRUCTURE[version], blockToPayload(built.block, built.blockAccessList !== undefined ? { blockAccessList: built.blockAccessList } : {}))
    if (version === 1) return payload
    const out: Record<string, unknown> = { executionPayload: payload, blockValue: toQuantity(built.blockValue) }
    if (version >= 3) {
      out['blobsBundle'] = blobsBundle(built, version >= 5 ? 2 : 1, opts.blobs)
      out['shouldOverrideBuilder'] = false
    }
    if (version >= 4) out['executionRequests'] = encodeExecutionRequests(nonEmptyRequests(built))
    return out
  }
  for (const v of [1, 2, 3, 4, 5, 6] as const) m.set(`engine_getPayloadV${v}`, getPayload(v))

  // ---- payload bodies ----
  m.set('engine_getPayloadBodiesByHashV1', async (params) => {
    const list = array(params, 'params')
    const hashes = array(list[0], 'params[0]').map((h, i) => hash32(h, `params[0][${i}]`))
    if (BigInt(hashes.length) > MAX_BODIES) throw new RpcError(RpcCode.TooLargeRequest, `Too large request: at most ${MAX_BODIES} hashes`)
    const blocks = await engine.payloadBodiesByHash(hashes)
    return blocks.map((b) => (b === null ? null : encodePayloadBody(1, blockToPayloadBody(b))))
  })
  m.set('engine_getPayloadBodiesByRangeV1', async (params) => {
    const list = array(params, 'params')
    const start = uint64(list[0], 'params[0]')
    const count = uint64(list[1], 'params[1]')
    if (start < 1n || count < 1n) throw new InvalidParamsError('params: start and count must be at least 1')
    if (count > MAX_BODIES) throw new RpcError(RpcCode.TooLargeRequest, `Too large request: count above ${MAX_BODIES}`)
    const blocks = await engine.payloadBodiesByRange(start, count)
    return blocks.map((b) => (b === null ? null : encodePayloadBody(1, blockToPayloadBody(b))))
  })

  // ---- blobs ----
  m.set('engine_getBlobsV1', async (params) => {
    const hashes = blobHashesParam(params)
    const found = opts.blobs?.getBlobs(hashes) ?? hashes.map(() => null)
    return found.map((b) => (b === null ? null : { blob: toData(b.blob), proof: toData(b.proof) }))
  })
  m.set('engine_getBlobsV2', async (params) => {
    const hashes = blobHashesParam(params)
    const osaka = forkAt(common, engine.chain.head.number + 1n, BigInt(Math.floor(Date.now() / 1000)))
    if (!osaka.gteHardfork(Hardfork.Osaka)) throw unsupportedFork('engine_getBlobsV2 is served from Osaka on')
    const found = opts.blobs?.getBlobsAndCellProofs(hashes) ?? hashes.map(() => null)
    // V2 is all or nothing: null when any blob is missing.
    if (found.some((b) => b === null)) return null
    return found.map((b) => ({ blob: toData(b!.blob), proofs: b!.proofs.map(toData) }))
  })

  // ---- identification and capabilities ----
  m.set('engine_getClientVersionV1', async (params) => {
    const list = array(params, 'params')
    object(list[0], 'params[0]')
    const v = opts.clientVersion
    return [{ code: v.code, name: v.name, version: v.version, commit: v.commit }]
  })
  m.set('engine_exchangeCapabilities', async (params) => {
    const list = array(params, 'params')
    array(list[0], 'params[0]').forEach((s, i) => {
      if (typeof s !== 'string') throw new InvalidParamsError(`params[0][${i}]: expected a method name`)
    })
    return [...m.keys()].filter((k) => k !== 'engine_exchangeCapabilities')
  })
  return m
}

function sameHashes(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((h, i) => equalsBytes(h, b[i]!))
}

function blobHashesParam(params: unknown[]): Uint8Array[] {
  const list = array(params, 'params')
  const hashes = array(list[0], 'params[0]').map((h, i) => hash32(h, `params[0][${i}]`))
  if (hashes.length > MAX_BLOBS) throw new RpcError(RpcCode.TooLargeRequest, `Too large request: at most ${MAX_BLOBS} versioned hashes`)
  return hashes
}

function nonEmptyRequests(built: BuiltPayload): Uint8Array[] {
  // EIP-7685 over the Engine API: `type ‖ data`, leaving out types with empty data.
  return (built.requests ?? []).filter((r) => r.data.length > 0).map((r) => r.bytes)
}

function blobsBundle(built: BuiltPayload, version: 1 | 2, blobs: BlobSource | undefined) {
  const hashes = versionedHashesOf(built.block)
  const commitments: Uint8Array[] = []
  const proofs: Uint8Array[] = []
  const out: Uint8Array[] = []
  // Pooled blob transactions keep their network wrapper (blobs, commitments, proofs).
  const commitmentsInBlock = new Map<string, Uint8Array>()
  for (const tx of built.block.transactions) {
    const w = tx as { blobVersionedHashes?: Uint8Array[]; kzgCommitments?: Uint8Array[] }
    w.blobVersionedHashes?.forEach((h, i) => {
      const c = w.kzgCommitments?.[i]
      if (c !== undefined) commitmentsInBlock.set(bytesToHex(h), c)
    })
  }
  if (hashes.length > 0) {
    if (blobs === undefined) throw new RpcError(RpcCode.Internal, 'built payload has blob transactions but no blob source')
    const got = version === 1 ? blobs.getBlobs(hashes) : blobs.getBlobsAndCellProofs(hashes)
    got.forEach((b, i) => {
      if (b === null) throw new RpcError(RpcCode.Internal, `blob ${bytesToHex(hashes[i]!)} of the built payload is no longer pooled`)
      const c = commitmentsInBlock.get(bytesToHex(hashes[i]!)) ?? blobs.getCommitment?.(hashes[i]!)
      if (c === undefined) throw new RpcError(RpcCode.Internal, 'blob commitment unavailable')
      commitments.push(c)
      out.push(b.blob)
      if ('proof' in b) proofs.push(b.proof)
      else proofs.push(...b.proofs)
    })
  }
  return encodeBlobsBundle(version, { commitments, proofs, blobs: out })
}
