// Fee arithmetic over any transaction type: fee cap, tip cap, effective tip at a base fee, worst-case
// cost, and the replacement bump rule.
import { isBlob4844Tx, isAccessList2930Tx, isLegacyTx } from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'

/** Gas per blob (EIP-4844), the same in every fork so far. */
export const GAS_PER_BLOB = 131072n

/** What the sender pays at most per gas: gasPrice, or maxFeePerGas. */
export function feeCap(tx: TypedTransaction): bigint {
  return isLegacyTx(tx) || isAccessList2930Tx(tx) ? tx.gasPrice : tx.maxFeePerGas
}

/** The most the block producer may get per gas: gasPrice, or maxPriorityFeePerGas. */
export function tipCap(tx: TypedTransaction): bigint {
  return isLegacyTx(tx) || isAccessList2930Tx(tx) ? tx.gasPrice : tx.maxPriorityFeePerGas
}

/** Tip per gas at `baseFee`; negative when the fee cap is below the base fee. */
export function effectiveTip(tx: TypedTransaction, baseFee: bigint): bigint {
  const headroom = feeCap(tx) - baseFee
  const tip = tipCap(tx)
  return headroom < tip ? headroom : tip
}

export function blobCount(tx: TypedTransaction): number {
  return isBlob4844Tx(tx) ? tx.blobVersionedHashes.length : 0
}

/** gasLimit·feeCap + value (+ blobGas·maxFeePerBlobGas): what the balance must cover. */
export function maxCost(tx: TypedTransaction): bigint {
  let cost = tx.gasLimit * feeCap(tx) + tx.value
  if (isBlob4844Tx(tx)) cost += BigInt(tx.blobVersionedHashes.length) * GAS_PER_BLOB * tx.maxFeePerBlobGas
  return cost
}

/** `next` is strictly higher than `prev` and at least `prev·(100 + bumpPercent) / 100` (rounded down, as geth). */
export function bumped(prev: bigint, next: bigint, bumpPercent: bigint): boolean {
  return next > prev && next >= (prev * (100n + bumpPercent)) / 100n
}

/**
 * geth's replacement rule: fee cap and tip cap (and, for blob transactions, the blob fee cap) each
 * rise by at least the bump.
 */
export function canReplace(prev: TypedTransaction, next: TypedTransaction, bumpPercent: bigint, blobBumpPercent: bigint): boolean {
  if (!bumped(feeCap(prev), feeCap(next), bumpPercent) || !bumped(tipCap(prev), tipCap(next), bumpPercent)) return false
  if (isBlob4844Tx(prev) && isBlob4844Tx(next)) return bumped(prev.maxFeePerBlobGas, next.maxFeePerBlobGas, blobBumpPercent)
  return true
}
