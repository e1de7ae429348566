// txpool: the transaction pool. Validates submitted transactions against the canonical head with
// geth's rules and error messages, holds them per sender by nonce (pending and queued), hands the
// payload builder executable transactions in fee order, follows head changes and reorgs, and keeps
// the blobs of blob transactions for engine_getBlobsV1/V2 and built payloads.
export { TxPool } from './txpool.ts'
export type { PoolContent, PoolSize, PoolState, TxPoolOptions } from './txpool.ts'
export { DEFAULT_POOL_LIMITS } from './limits.ts'
export type { PoolLimits } from './limits.ts'
export { TxPoolError, TxPoolMessage, TxPoolReason } from './errors.ts'
export type { BlobAndCellProofs, BlobAndProof, BlobsBundle } from './blob-store.ts'
export type { BlobSidecar } from './sidecar.ts'
export { effectiveTip, feeCap, maxCost, tipCap } from './pricing.ts'
