// Transaction pool rejections. The messages follow geth's (wallets and tools match on their prefixes:
// `nonce too low`, `insufficient funds for gas * price + value`, ...), often with geth's detail after
// a colon. Code inside Parallax branches on `reason`, never on the message.
import { RpcCode, RpcError } from '../rpc/errors.ts'

/** Why the pool refused a transaction. */
export const TxPoolReason = {
  /** Not a decodable transaction (bad RLP, wrong field count, non-canonical integers). */
  Malformed: 'malformed',
  /** Unknown type byte, or a type not active at the head fork. */
  TypeNotSupported: 'type-not-supported',
  /** Bad signature, wrong chain id. */
  InvalidSender: 'invalid-sender',
  AlreadyKnown: 'already-known',
  NonceTooLow: 'nonce-too-low',
  /** Too far ahead of the sender's next nonce. */
  NonceTooHigh: 'nonce-too-high',
  NonceMax: 'nonce-max',
  IntrinsicGas: 'intrinsic-gas',
  FloorDataGas: 'floor-data-gas',
  GasLimit: 'gas-limit',
  /** EIP-7825 per-transaction gas cap (Osaka). */
  GasLimitTooHigh: 'gas-limit-too-high',
  InitCodeSize: 'init-code-size',
  TipAboveFeeCap: 'tip-above-fee-cap',
  /** Tip (or blob fee cap) below the pool's minimum. */
  GasPriceTooLow: 'gas-price-too-low',
  InsufficientFunds: 'insufficient-funds',
  OversizedData: 'oversized-data',
  ReplaceUnderpriced: 'replace-underpriced',
  /** The pool is full and the transaction pays no more than the cheapest one it could evict. */
  Underpriced: 'underpriced',
  /** The pool is full and nothing may be evicted for this transaction. */
  PoolFull: 'pool-full',
  AccountLimit: 'account-limit',
  BlobLimit: 'blob-limit',
  /** Blob transaction without its sidecar, sidecar of the wrong version or shape, blobless, create. */
  InvalidBlobTx: 'invalid-blob-tx',
  /** A KZG proof did not verify. */
  KzgVerification: 'kzg-verification',
  /** EIP-7702 transaction without authorizations. */
  InvalidSetCodeTx: 'invalid-set-code-tx',
} as const
export type TxPoolReason = (typeof TxPoolReason)[keyof typeof TxPoolReason]

/** A transaction the pool refused: JSON-RPC error -32000 with a geth-style message. */
export class TxPoolError extends RpcError {
  readonly reason: TxPoolReason
  constructor(reason: TxPoolReason, message: string) {
    super(RpcCode.Server, message)
    this.reason = reason
  }
}

/** The message prefixes (geth's error texts); the full message may add `: detail`. */
export const TxPoolMessage = {
  alreadyKnown: 'already known',
  invalidSender: 'invalid sender',
  invalidChainId: 'invalid sender: invalid chain id for signer',
  invalidSig: 'invalid sender: invalid transaction v, r, s values',
  typeNotSupported: 'transaction type not supported',
  nonceTooLow: 'nonce too low',
  nonceTooHigh: 'nonce too high',
  nonceMax: 'nonce has max value',
  intrinsicGas: 'intrinsic gas too low',
  floorDataGas: 'insufficient gas for floor data gas cost',
  gasLimit: 'exceeds block gas limit',
  gasLimitTooHigh: 'transaction gas limit too high',
  initCodeSize: 'max initcode size exceeded',
  tipAboveFeeCap: 'max priority fee per gas higher than max fee per gas',
  gasPriceTooLow: 'transaction gas price below minimum',
  insufficientFunds: 'insufficient funds for gas * price + value',
  oversizedData: 'oversized data',
  replaceUnderpriced: 'replacement transaction underpriced',
  underpriced: 'transaction underpriced',
  poolFull: 'txpool is full',
  accountLimit: 'account limit exceeded',
  blobLimit: 'transaction blob limit exceeded',
  missingSidecar: 'missing sidecar in blob transaction',
  blobless: 'blobless blob transaction',
  blobCreate: 'blob transaction of type create',
  kzg: 'KZG verification error',
  emptyAuthList: 'set code tx must have at least one authorization tuple',
} as const

export const txPoolError = (reason: TxPoolReason, message: string, detail?: string): TxPoolError =>
  new TxPoolError(reason, detail === undefined ? message : `${message}: ${detail}`)
