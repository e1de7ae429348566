// Engine API codecs: wire JSON (hex strings) <-> internal structures (bigint / Uint8Array). Pure.
// Decoders check the exact shape of each structure version and throw InvalidParamsError (-32602)
// naming the field (`params[0].withdrawals[3].amount: expected a hex quantity, got "0x01"`); a
// `null` field counts as missing (cancun.md). Checks that need the fork schedule (-38005, or
// newPayloadV2's "V1 before Shanghai, V2 from Shanghai on") are the handler's: see block.ts.
// Encoders throw RpcError(-32603) when asked to encode a structure the payload does not fit: that is
// a bug of ours, not of the caller.
import { InvalidParamsError, RpcCode, RpcError } from '../rpc/errors.ts'
import { address, array, data, describe, hash32, object, quantity, required, toData, toQuantity, uint64 } from '../rpc/wire.ts'
import type { Hex } from '../rpc/wire.ts'
import type {
  BlobsBundle,
  BlobsBundleRpc,
  BlobsBundleVersion,
  ExecutionPayload,
  ExecutionPayloadBody,
  ExecutionPayloadBodyV1Rpc,
  ExecutionPayloadBodyV2Rpc,
  ExecutionPayloadRpc,
  ExecutionPayloadV1Rpc,
  ExecutionPayloadVersion,
  ForkchoiceState,
  ForkchoiceStateRpc,
  NewPayloadVersion,
  PayloadAttributes,
  PayloadAttributesRpc,
  PayloadAttributesV1Rpc,
  PayloadAttributesVersion,
  PayloadStatus,
  PayloadStatusKind,
  PayloadStatusRpc,
  Withdrawal,
  WithdrawalRpc,
} from './types.ts'
import { BYTES_PER_BLOB, CELLS_PER_EXT_BLOB } from './types.ts'

/** The ExecutionPayload structure each `engine_newPayloadVn` takes (V2 also takes a V1 structure). */
export const NEW_PAYLOAD_STRUCTURE: Readonly<Record<NewPayloadVersion, ExecutionPayloadVersion>> = { 1: 1, 2: 2, 3: 3, 4: 3, 5: 4 }

/** The ExecutionPayload structure each `engine_getPayloadVn` returns (V2 returns V1 before Shanghai). */
export const GET_PAYLOAD_STRUCTURE: Readonly<Record<1 | 2 | 3 | 4 | 5 | 6, ExecutionPayloadVersion>> = { 1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 4 }

/** Fields that structures after V1 add, with the structure version that adds them. */
const PAYLOAD_LATER_FIELDS = [
  ['withdrawals', 2],
  ['blobGasUsed', 3],
  ['excessBlobGas', 3],
  ['blockAccessList', 4],
  ['slotNumber', 4],
] as const

const ATTRIBUTES_LATER_FIELDS = [
  ['withdrawals', 2],
  ['parentBeaconBlockRoot', 3],
  ['slotNumber', 4],
  ['targetGasLimit', 4],
] as const

const present = (o: Record<string, unknown>, key: string): boolean => o[key] !== undefined && o[key] !== null

function rejectLaterFields(
  o: Record<string, unknown>,
  fields: readonly (readonly [string, number])[],
  max: number,
  field: string,
  structure: string,
  method: string,
): void {
  for (const [key, since] of fields) {
    if (since > max && present(o, key)) {
      throw new InvalidParamsError(`${field}.${key}: not allowed in ${method} (a field of ${structure}V${since})`)
    }
  }
}

// ---- withdrawals ----

export function decodeWithdrawal(json: unknown, field: string): Withdrawal {
  const o = object(json, field)
  return {
    index: uint64(required(o, 'index', field), `${field}.index`),
    validatorIndex: uint64(required(o, 'validatorIndex', field), `${field}.validatorIndex`),
    address: address(required(o, 'address', field), `${field}.address`),
    amount: uint64(required(o, 'amount', field), `${field}.amount`),
  }
}

export function decodeWithdrawals(json: unknown, field: string): Withdrawal[] {
  return array(json, field).map((w, i) => decodeWithdrawal(w, `${field}[${i}]`))
}

export function encodeWithdrawal(w: Withdrawal): WithdrawalRpc {
  return { index: toQuantity(w.index), validatorIndex: toQuantity(w.validatorIndex), address: toData(w.address), amount: toQuantity(w.amount) }
}

// ---- execution payload ----

/** A list of opaque DATA items (transactions, execution requests). */
function dataList(json: unknown, field: string): Uint8Array[] {
  return array(json, field).map((v, i) => data(v, `${field}[${i}]`))
}

/**
 * The `executionPayload` param of `engine_newPayload<version>`: ExecutionPayloadV1 for V1, V1 or V2
 * for V2 (which one the fork demands is the handler's check), V3 for V3 and V4, V4 for V5.
 */
export function decodeExecutionPayload(version: NewPayloadVersion, json: unknown, field = 'params[0]'): ExecutionPayload {
  const structure = NEW_PAYLOAD_STRUCTURE[version]
  const o = object(json, field)
  rejectLaterFields(o, PAYLOAD_LATER_FIELDS, structure, field, 'ExecutionPayload', `engine_newPayloadV${version}`)
  const get = (key: string): unknown => required(o, key, field)
  const f = (key: string): string => `${field}.${key}`
  const payload: ExecutionPayload = {
    parentHash: hash32(get('parentHash'), f('parentHash')),
    feeRecipient: address(get('feeRecipient'), f('feeRecipient')),
    stateRoot: hash32(get('stateRoot'), f('stateRoot')),
    receiptsRoot: hash32(get('receiptsRoot'), f('receiptsRoot')),
    logsBloom: data(get('logsBloom'), f('logsBloom'), 256),
    prevRandao: hash32(get('prevRandao'), f('prevRandao')),
    blockNumber: uint64(get('blockNumber'), f('blockNumber')),
    gasLimit: uint64(get('gasLimit'), f('gasLimit')),
    gasUsed: uint64(get('gasUsed'), f('gasUsed')),
    timestamp: uint64(get('timestamp'), f('timestamp')),
    // 0 to 32 bytes by the spec; a longer one makes an invalid block (INVALID), not a bad param.
    extraData: data(get('extraData'), f('extraData')),
    baseFeePerGas: quantity(get('baseFeePerGas'), f('baseFeePerGas')),
    blockHash: hash32(get('blockHash'), f('blockHash')),
    transactions: dataList(get('transactions'), f('transactions')),
  }
  // V2 takes ExecutionPayloadV1 | ExecutionPayloadV2: withdrawals optional there, required after.
  if (structure >= 3 || (structure === 2 && present(o, 'withdrawals'))) {
    payload.withdrawals = decodeWithdrawals(get('withdrawals'), f('withdrawals'))
  }
  if (structure >= 3) {
    payload.blobGasUsed = uint64(get('blobGasUsed'), f('blobGasUsed'))
    payload.excessBlobGas = uint64(get('excessBlobGas'), f('excessBlobGas'))
  }
  if (structure >= 4) {
    payload.blockAccessList = data(get('blockAccessList'), f('blockAccessList'))
    payload.slotNumber = uint64(get('slotNumber'), f('slotNumber'))
  }
  return payload
}

function encodingBug(message: string): RpcError {
  return new RpcError(RpcCode.Internal, `cannot encode: ${message}`)
}

/**
 * ExecutionPayloadV<structure> (see GET_PAYLOAD_STRUCTURE). Structure 2 gives the V1 shape for a
 * payload without withdrawals (getPayloadV2 before Shanghai). Throws RpcError(-32603) when the
 * payload lacks a field of the structure or has one of a later structure.
 */
export function encodeExecutionPayload(structure: ExecutionPayloadVersion, p: ExecutionPayload): ExecutionPayloadRpc {
  for (const [key, since] of PAYLOAD_LATER_FIELDS) {
    const has = p[key] !== undefined
    if (has && since > structure) throw encodingBug(`payload has ${key}, which ExecutionPayloadV${structure} lacks`)
    const optional = structure === 2 && key === 'withdrawals'
    if (!has && since <= structure && !optional) throw encodingBug(`ExecutionPayloadV${structure} needs ${key}`)
  }
  const out: ExecutionPayloadV1Rpc & Partial<Record<(typeof PAYLOAD_LATER_FIELDS)[number][0], unknown>> = {
    parentHash: toData(p.parentHash),
    feeRecipient: toData(p.feeRecipient),
    stateRoot: toData(p.stateRoot),
    receiptsRoot: toData(p.receiptsRoot),
    logsBloom: toData(p.logsBloom),
    prevRandao: toData(p.prevRandao),
    blockNumber: toQuantity(p.blockNumber),
    gasLimit: toQuantity(p.gasLimit),
    gasUsed: toQuantity(p.gasUsed),
    timestamp: toQuantity(p.timestamp),
    extraData: toData(p.extraData),
    baseFeePerGas: toQuantity(p.baseFeePerGas),
    blockHash: toData(p.blockHash),
    transactions: p.transactions.map(toData),
  }
  if (p.withdrawals !== undefined) out.withdrawals = p.withdrawals.map(encodeWithdrawal)
  if (p.blobGasUsed !== undefined) out.blobGasUsed = toQuantity(p.blobGasUsed)
  if (p.excessBlobGas !== undefined) out.excessBlobGas = toQuantity(p.excessBlobGas)
  if (p.blockAccessList !== undefined) out.blockAccessList = toData(p.blockAccessList)
  if (p.slotNumber !== undefined) out.slotNumber = toQuantity(p.slotNumber)
  return out as ExecutionPayloadRpc
}

// ---- newPayload's other params ----

/** `expectedBlobVersionedHashes` (newPayloadV3+): an array of 32-byte hashes; null is missing. */
export function decodeVersionedHashes(json: unknown, field = 'params[1]'): Uint8Array[] {
  if (json === undefined || json === null) throw new InvalidParamsError(`${field}: missing`)
  return array(json, field).map((h, i) => hash32(h, `${field}[${i}]`))
}

/** `parentBeaconBlockRoot` (newPayloadV3+): 32 bytes; null is missing. */
export function decodeParentBeaconBlockRoot(json: unknown, field = 'params[2]'): Uint8Array {
  if (json === undefined || json === null) throw new InvalidParamsError(`${field}: missing`)
  return hash32(json, field)
}

/**
 * `executionRequests` (newPayloadV4+, prague.md): each element is `request_type ‖ request_data`
 * with non-empty data (so at least 2 bytes), types strictly ascending (so each at most once);
 * anything else, or null, is -32602.
 */
export function decodeExecutionRequests(json: unknown, field = 'params[3]'): Uint8Array[] {
  if (json === undefined || json === null) throw new InvalidParamsError(`${field}: missing`)
  const requests = dataList(json, field)
  for (const [i, r] of requests.entries()) {
    if (r.length < 2) {
      throw new InvalidParamsError(`${field}[${i}]: expected a request type byte and non-empty request data, got ${r.length} byte${r.length === 1 ? '' : 's'}`)
    }
    const prev = i > 0 ? requests[i - 1]![0]! : -1
    if (r[0]! <= prev) {
      const what = r[0] === prev ? 'repeats request type' : 'is out of order: request type'
      throw new InvalidParamsError(`${field}[${i}]: ${what} ${toQuantity(r[0]!)} after ${toQuantity(prev)} (types must be strictly ascending)`)
    }
  }
  return requests
}

export function encodeExecutionRequests(requests: readonly Uint8Array[]): Hex[] {
  return requests.map(toData)
}

/** The params of `engine_newPayload<version>`, decoded. */
export interface NewPayloadParams {
  payload: ExecutionPayload
  /** V3+. */
  expectedBlobVersionedHashes?: Uint8Array[]
  /** V3+. */
  parentBeaconBlockRoot?: Uint8Array
  /** V4+. */
  executionRequests?: Uint8Array[]
}

/**
 * All params of `engine_newPayload<version>`: [payload] for V1/V2, + expectedBlobVersionedHashes and
 * parentBeaconBlockRoot for V3, + executionRequests for V4/V5. More params than that is -32602.
 */
export function decodeNewPayloadParams(version: NewPayloadVersion, params: unknown): NewPayloadParams {
  const list = array(params, 'params')
  const want = version <= 2 ? 1 : version === 3 ? 3 : 4
  if (list.length > want) throw new InvalidParamsError(`params: engine_newPayloadV${version} takes ${want} param${want === 1 ? '' : 's'}, got ${list.length}`)
  const out: NewPayloadParams = { payload: decodeExecutionPayload(version, list[0], 'params[0]') }
  if (version >= 3) {
    out.expectedBlobVersionedHashes = decodeVersionedHashes(list[1], 'params[1]')
    out.parentBeaconBlockRoot = decodeParentBeaconBlockRoot(list[2], 'params[2]')
  }
  if (version >= 4) out.executionRequests = decodeExecutionRequests(list[3], 'params[3]')
  return out
}

export function decodePayloadStatus(json: unknown, field = 'result'): PayloadStatus {
  const o = object(json, field)
  const status = required(o, 'status', field)
  const kinds: readonly PayloadStatusKind[] = ['VALID', 'INVALID', 'SYNCING', 'ACCEPTED', 'INVALID_BLOCK_HASH']
  if (typeof status !== 'string' || !(kinds as readonly string[]).includes(status)) {
    throw new InvalidParamsError(`${field}.status: expected one of ${kinds.join(', ')}, got ${describe(status)}`)
  }
  const lvh = o['latestValidHash']
  const err = o['validationError']
  if (err !== undefined && err !== null && typeof err !== 'string') {
    throw new InvalidParamsError(`${field}.validationError: expected a string or null, got ${describe(err)}`)
  }
  return {
    status: status as PayloadStatusKind,
    latestValidHash: lvh === undefined || lvh === null ? null : hash32(lvh, `${field}.latestValidHash`),
    validationError: err === undefined || err === null ? null : err,
  }
}

export function encodePayloadStatus(s: PayloadStatus): PayloadStatusRpc {
  return {
    status: s.status,
    latestValidHash: s.latestValidHash === null ? null : toData(s.latestValidHash),
    validationError: s.validationError,
  }
}

// ---- forkchoiceUpdated ----

export function decodeForkchoiceState(json: unknown, field = 'params[0]'): ForkchoiceState {
  const o = object(json, field)
  return {
    headBlockHash: hash32(required(o, 'headBlockHash', field), `${field}.headBlockHash`),
    safeBlockHash: hash32(required(o, 'safeBlockHash', field), `${field}.safeBlockHash`),
    finalizedBlockHash: hash32(required(o, 'finalizedBlockHash', field), `${field}.finalizedBlockHash`),
  }
}

export function encodeForkchoiceState(s: ForkchoiceState): ForkchoiceStateRpc {
  return { headBlockHash: toData(s.headBlockHash), safeBlockHash: toData(s.safeBlockHash), finalizedBlockHash: toData(s.finalizedBlockHash) }
}

/**
 * `payloadAttributes` of `engine_forkchoiceUpdated<version>`: null/absent gives null. PayloadAttributesV1
 * for V1, V1 or V2 for V2, V3 for V3, V4 for V4. A wrong shape is InvalidParamsError here; the
 * spec wants -38003 for some of those (V2 wrong structure, V3+ mismatch), and it must be raised only
 * after the forkchoice state was applied: the handler re-codes it.
 */
export function decodePayloadAttributes(version: PayloadAttributesVersion, json: unknown, field = 'params[1]'): PayloadAttributes | null {
  if (json === undefined || json === null) return null
  const o = object(json, field)
  rejectLaterFields(o, ATTRIBUTES_LATER_FIELDS, version, field, 'PayloadAttributes', `engine_forkchoiceUpdatedV${version}`)
  const get = (key: string): unknown => required(o, key, field)
  const f = (key: string): string => `${field}.${key}`
  const attrs: PayloadAttributes = {
    timestamp: uint64(get('timestamp'), f('timestamp')),
    prevRandao: hash32(get('prevRandao'), f('prevRandao')),
    suggestedFeeRecipient: address(get('suggestedFeeRecipient'), f('suggestedFeeRecipient')),
  }
  if (version >= 3 || (version === 2 && present(o, 'withdrawals'))) {
    attrs.withdrawals = decodeWithdrawals(get('withdrawals'), f('withdrawals'))
  }
  if (version >= 3) attrs.parentBeaconBlockRoot = hash32(get('parentBeaconBlockRoot'), f('parentBeaconBlockRoot'))
  if (version >= 4) {
    attrs.slotNumber = uint64(get('slotNumber'), f('slotNumber'))
    attrs.targetGasLimit = uint64(get('targetGasLimit'), f('targetGasLimit'))
  }
  return attrs
}

/** PayloadAttributesV<version> (for tests and tools that play the consensus client). */
export function encodePayloadAttributes(version: PayloadAttributesVersion, a: PayloadAttributes): PayloadAttributesRpc {
  for (const [key, since] of ATTRIBUTES_LATER_FIELDS) {
    const has = a[key] !== undefined
    if (has && since > version) throw encodingBug(`attributes have ${key}, which PayloadAttributesV${version} lacks`)
    if (!has && since <= version && !(version === 2 && key === 'withdrawals')) throw encodingBug(`PayloadAttributesV${version} needs ${key}`)
  }
  const out: PayloadAttributesV1Rpc & Partial<Record<(typeof ATTRIBUTES_LATER_FIELDS)[number][0], unknown>> = {
    timestamp: toQuantity(a.timestamp),
    prevRandao: toData(a.prevRandao),
    suggestedFeeRecipient: toData(a.suggestedFeeRecipient),
  }
  if (a.withdrawals !== undefined) out.withdrawals = a.withdrawals.map(encodeWithdrawal)
  if (a.parentBeaconBlockRoot !== undefined) out.parentBeaconBlockRoot = toData(a.parentBeaconBlockRoot)
  if (a.slotNumber !== undefined) out.slotNumber = toQuantity(a.slotNumber)
  if (a.targetGasLimit !== undefined) out.targetGasLimit = toQuantity(a.targetGasLimit)
  return out as PayloadAttributesRpc
}

// ---- getPayloadBodies ----

/** ExecutionPayloadBodyV1 (getPayloadBodiesV1) or V2 (V2, Amsterdam: + blockAccessList, null when absent). */
export function encodePayloadBody(version: 1, body: ExecutionPayloadBody): ExecutionPayloadBodyV1Rpc
export function encodePayloadBody(version: 2, body: ExecutionPayloadBody): ExecutionPayloadBodyV2Rpc
export function encodePayloadBody(version: 1 | 2, body: ExecutionPayloadBody): ExecutionPayloadBodyV1Rpc | ExecutionPayloadBodyV2Rpc
export function encodePayloadBody(version: 1 | 2, body: ExecutionPayloadBody): ExecutionPayloadBodyV1Rpc | ExecutionPayloadBodyV2Rpc {
  const v1: ExecutionPayloadBodyV1Rpc = {
    transactions: body.transactions.map(toData),
    withdrawals: body.withdrawals === null ? null : body.withdrawals.map(encodeWithdrawal),
  }
  if (version === 1) return v1
  const bal = body.blockAccessList
  return { ...v1, blockAccessList: bal === undefined || bal === null ? null : toData(bal) }
}

// ---- blobs bundle ----

function checkBundle(version: BlobsBundleVersion, n: { commitments: number; proofs: number; blobs: number }): string | undefined {
  if (n.commitments !== n.blobs) return `${n.commitments} commitments for ${n.blobs} blobs`
  const want = version === 1 ? n.blobs : n.blobs * CELLS_PER_EXT_BLOB
  if (n.proofs !== want) return `${n.proofs} proofs for ${n.blobs} blobs (BlobsBundleV${version} needs ${want})`
  return undefined
}

/** BlobsBundleV1 (one proof per blob) or V2 (CELLS_PER_EXT_BLOB cell proofs per blob). */
export function encodeBlobsBundle(version: BlobsBundleVersion, b: BlobsBundle): BlobsBundleRpc {
  const bad = checkBundle(version, { commitments: b.commitments.length, proofs: b.proofs.length, blobs: b.blobs.length })
  if (bad !== undefined) throw encodingBug(bad)
  return { commitments: b.commitments.map(toData), proofs: b.proofs.map(toData), blobs: b.blobs.map(toData) }
}

/** The inverse of encodeBlobsBundle (for tests and tools that play the consensus client). */
export function decodeBlobsBundle(version: BlobsBundleVersion, json: unknown, field = 'result.blobsBundle'): BlobsBundle {
  const o = object(json, field)
  const list = (key: string, len?: number): Uint8Array[] =>
    array(required(o, key, field), `${field}.${key}`).map((v, i) => data(v, `${field}.${key}[${i}]`, len))
  const bundle = { commitments: list('commitments', 48), proofs: list('proofs', 48), blobs: list('blobs', BYTES_PER_BLOB) }
  const bad = checkBundle(version, { commitments: bundle.commitments.length, proofs: bundle.proofs.length, blobs: bundle.blobs.length })
  if (bad !== undefined) throw new InvalidParamsError(`${field}: ${bad}`)
  return bundle
}
