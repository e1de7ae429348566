// Engine API structures, twice: the internal form (bigint numbers, Uint8Array bytes) that the rest of
// Parallax sees, and the `...Rpc` wire form (hex strings) that codec.ts decodes and encodes.
// Field lists follow ethereum/execution-apis src/engine/{paris,shanghai,cancun,prague,osaka,amsterdam}.md.
import type { Hex } from '../rpc/wire.ts'

export type { Hex }

/** `engine_newPayloadV1..V5`: the method version (not the structure version) of a newPayload call. */
export type NewPayloadVersion = 1 | 2 | 3 | 4 | 5

/**
 * The ExecutionPayload structure version as the spec names it: V1 (Paris), V2 (+withdrawals,
 * Shanghai), V3 (+blobGasUsed, excessBlobGas; Cancun, Prague, Osaka), V4 (+blockAccessList,
 * slotNumber; Amsterdam).
 */
export type ExecutionPayloadVersion = 1 | 2 | 3 | 4

/** `engine_forkchoiceUpdatedV1..V4`; PayloadAttributesVn goes with forkchoiceUpdatedVn. */
export type PayloadAttributesVersion = 1 | 2 | 3 | 4

/** WithdrawalV1 (shanghai.md). `amount` is in Gwei. */
export interface Withdrawal {
  index: bigint
  validatorIndex: bigint
  address: Uint8Array
  amount: bigint
}

export interface WithdrawalRpc {
  index: Hex
  validatorIndex: Hex
  address: Hex
  amount: Hex
}

/**
 * ExecutionPayloadV1..V4 in one shape: the fields of later versions are present exactly when the
 * structure of that version was given (a V1 payload has no `withdrawals`, not an empty list).
 */
export interface ExecutionPayload {
  parentHash: Uint8Array
  feeRecipient: Uint8Array
  stateRoot: Uint8Array
  receiptsRoot: Uint8Array
  logsBloom: Uint8Array
  prevRandao: Uint8Array
  blockNumber: bigint
  gasLimit: bigint
  gasUsed: bigint
  timestamp: bigint
  extraData: Uint8Array
  baseFeePerGas: bigint
  blockHash: Uint8Array
  /** Opaque EIP-2718 encodings (`type ‖ payload`, or the RLP list of a legacy transaction). */
  transactions: Uint8Array[]
  /** V2+ (Shanghai). */
  withdrawals?: Withdrawal[]
  /** V3+ (Cancun). */
  blobGasUsed?: bigint
  /** V3+ (Cancun). */
  excessBlobGas?: bigint
  /** V4 (Amsterdam): the RLP-encoded EIP-7928 block access list; the header commits to its keccak256. */
  blockAccessList?: Uint8Array
  /** V4 (Amsterdam, EIP-7843). */
  slotNumber?: bigint
}

export interface ExecutionPayloadV1Rpc {
  parentHash: Hex
  feeRecipient: Hex
  stateRoot: Hex
  receiptsRoot: Hex
  logsBloom: Hex
  prevRandao: Hex
  blockNumber: Hex
  gasLimit: Hex
  gasUsed: Hex
  timestamp: Hex
  extraData: Hex
  baseFeePerGas: Hex
  blockHash: Hex
  transactions: Hex[]
}

export interface ExecutionPayloadV2Rpc extends ExecutionPayloadV1Rpc {
  withdrawals: WithdrawalRpc[]
}

export interface ExecutionPayloadV3Rpc extends ExecutionPayloadV2Rpc {
  blobGasUsed: Hex
  excessBlobGas: Hex
}

export interface ExecutionPayloadV4Rpc extends ExecutionPayloadV3Rpc {
  blockAccessList: Hex
  slotNumber: Hex
}

export type ExecutionPayloadRpc = ExecutionPayloadV1Rpc | ExecutionPayloadV2Rpc | ExecutionPayloadV3Rpc | ExecutionPayloadV4Rpc

/** ExecutionPayloadBodyV1 (shanghai.md) / V2 (amsterdam.md), for getPayloadBodiesByHash/Range. */
export interface ExecutionPayloadBody {
  transactions: Uint8Array[]
  /** null for pre-Shanghai blocks. */
  withdrawals: Withdrawal[] | null
  /** V2 only; null before Amsterdam or when pruned. */
  blockAccessList?: Uint8Array | null
}

export interface ExecutionPayloadBodyV1Rpc {
  transactions: Hex[]
  withdrawals: WithdrawalRpc[] | null
}

export interface ExecutionPayloadBodyV2Rpc extends ExecutionPayloadBodyV1Rpc {
  blockAccessList: Hex | null
}

/** ForkchoiceStateV1 (paris.md). */
export interface ForkchoiceState {
  headBlockHash: Uint8Array
  safeBlockHash: Uint8Array
  finalizedBlockHash: Uint8Array
}

export interface ForkchoiceStateRpc {
  headBlockHash: Hex
  safeBlockHash: Hex
  finalizedBlockHash: Hex
}

/** PayloadAttributesV1..V4; fields of later versions present exactly when that structure was given. */
export interface PayloadAttributes {
  timestamp: bigint
  prevRandao: Uint8Array
  suggestedFeeRecipient: Uint8Array
  /** V2+ (Shanghai). */
  withdrawals?: Withdrawal[]
  /** V3+ (Cancun). */
  parentBeaconBlockRoot?: Uint8Array
  /** V4 (Amsterdam, EIP-7843). */
  slotNumber?: bigint
  /** V4 (Amsterdam): the gas limit the built payload should aim for. */
  targetGasLimit?: bigint
}

export interface PayloadAttributesV1Rpc {
  timestamp: Hex
  prevRandao: Hex
  suggestedFeeRecipient: Hex
}

export interface PayloadAttributesV2Rpc extends PayloadAttributesV1Rpc {
  withdrawals: WithdrawalRpc[]
}

export interface PayloadAttributesV3Rpc extends PayloadAttributesV2Rpc {
  parentBeaconBlockRoot: Hex
}

export interface PayloadAttributesV4Rpc extends PayloadAttributesV3Rpc {
  slotNumber: Hex
  targetGasLimit: Hex
}

export type PayloadAttributesRpc = PayloadAttributesV1Rpc | PayloadAttributesV2Rpc | PayloadAttributesV3Rpc | PayloadAttributesV4Rpc

export type PayloadStatusKind = 'VALID' | 'INVALID' | 'SYNCING' | 'ACCEPTED' | 'INVALID_BLOCK_HASH'

/** PayloadStatusV1 (paris.md). INVALID_BLOCK_HASH only for newPayloadV1; V2+ answer INVALID. */
export interface PayloadStatus {
  status: PayloadStatusKind
  latestValidHash: Uint8Array | null
  validationError: string | null
}

export interface PayloadStatusRpc {
  status: PayloadStatusKind
  latestValidHash: Hex | null
  validationError: string | null
}

/** BlobsBundleV1 (cancun.md) has one proof per blob; BlobsBundleV2 (osaka.md) has CELLS_PER_EXT_BLOB cell proofs per blob. */
export type BlobsBundleVersion = 1 | 2

/** Cell proofs per blob in a BlobsBundleV2 (EIP-7594 CELLS_PER_EXT_BLOB). */
export const CELLS_PER_EXT_BLOB = 128

/** Bytes per blob: FIELD_ELEMENTS_PER_BLOB * BYTES_PER_FIELD_ELEMENT. */
export const BYTES_PER_BLOB = 131072

export interface BlobsBundle {
  /** 48 bytes each, one per blob. */
  commitments: Uint8Array[]
  /** 48 bytes each: one per blob (V1) or CELLS_PER_EXT_BLOB per blob, blob-major (V2). */
  proofs: Uint8Array[]
  /** BYTES_PER_BLOB each. */
  blobs: Uint8Array[]
}

export interface BlobsBundleRpc {
  commitments: Hex[]
  proofs: Hex[]
  blobs: Hex[]
}
