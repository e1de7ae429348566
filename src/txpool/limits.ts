// The pool's limits and price rules, with geth's defaults where geth has one.

export interface PoolLimits {
  /** Most transactions held, pending and queued together (geth: 5120 pending + 1024 queued slots). */
  maxTotal: number
  /** Most transactions one sender may have in the pool. */
  maxPerSender: number
  /** Most queued transactions (behind a nonce gap) one sender may have (geth: --txpool.accountqueue 64). */
  maxQueuedPerSender: number
  /** Furthest a nonce may lie beyond the sender's next executable nonce (0: no gaps at all). */
  maxNonceGap: bigint
  /** Minimum tip cap, wei (geth: --txpool.pricelimit 1). */
  minTip: bigint
  /** Minimum blob fee cap, wei (geth: 1). */
  minBlobFee: bigint
  /** Rise in fee cap and tip cap a replacement needs, % (geth: --txpool.pricebump 10). */
  priceBump: bigint
  /** Rise in all three fee caps a blob transaction replacement needs, % (geth's blob pool: 100). */
  blobPriceBump: bigint
  /** Largest encoding of a transaction, a blob transaction counted without its sidecar (geth: 128 KiB). */
  maxTxSize: number
  /** Most blobs per transaction; the head fork's limit applies where it is lower. */
  maxBlobsPerTx: number
  /** Executable transactions held, all senders (geth: --txpool.globalslots 5120). */
  maxPending: number
  /** Executable transactions each sender keeps even when that part is full (geth: --txpool.accountslots 16). */
  minSlotsPerSender: number
  /** Non-executable transactions held, all senders (geth: --txpool.globalqueue 1024). */
  maxQueued: number
  /** A non-executable transaction is dropped after this long, ms (geth: --txpool.lifetime 3h; 0 = never). */
  queueLifetimeMs: number
  /** Blocks for which the sidecar of an included blob transaction is kept, to re-pool it after a reorg. */
  limboDepth: bigint
}

export const DEFAULT_POOL_LIMITS: Readonly<PoolLimits> = Object.freeze({
  maxTotal: 6144,
  maxPerSender: 5120,
  maxQueuedPerSender: 64,
  maxNonceGap: 64n,
  minTip: 1n,
  minBlobFee: 1n,
  priceBump: 10n,
  blobPriceBump: 100n,
  maxTxSize: 128 * 1024,
  maxBlobsPerTx: 6,
  limboDepth: 64n,
  maxPending: 5120,
  minSlotsPerSender: 16,
  maxQueued: 1024,
  queueLifetimeMs: 3 * 3_600_000,
})
