// EIP-7928 access lists in effects mode: a speculation worker records the calls a transaction makes
// on the EVM's block access list (AccessListRecorder, in place of a real list), and the main thread
// replays them, in order, on the block's list (replayAccessListCalls). Replaying the calls, rather
// than merging what they left on an empty list, keeps the library's exact behaviour, which depends
// on what earlier transactions left in the block's list (a slot an earlier transaction wrote is
// never a read; a revert puts back the block's entries as they were before the frame; the cleanup
// after a self-destruct clears every index of the account). The calls do not depend on the list's
// contents (the EVM and runTx only add to it), so the worker needs no list of its own.
import type { BlockLevelAccessList, PrefixedHexString } from '@ethereumjs/util'

/** One recorded call: the method and its arguments (plain data, structured-clone safe). */
export type BalCall =
  | ['addAddress', Hex]
  | ['addStorageRead', Hex, Uint8Array]
  | ['addStorageWrite', Hex, Uint8Array, Uint8Array, number, Uint8Array | undefined]
  | ['addBalanceChange', Hex, bigint, number, bigint | undefined]
  | ['addNonceChange', Hex, bigint, number]
  | ['addCodeChange', Hex, Uint8Array, number, Uint8Array | undefined]
  | ['checkpoint']
  | ['commit']
  | ['revert']
  | ['cleanupNetZeroBalanceChanges']
  | ['cleanupSelfdestructed', Hex[], Map<Hex, bigint> | undefined]

/** An address as the list keys it: lower-case 0x-hex. */
type Hex = PrefixedHexString

/**
 * Stands in for the EVM's BlockLevelAccessList in a worker: records every call (byte arguments
 * copied: the caller may reuse its buffers) and keeps nothing else.
 */
export class AccessListRecorder {
  blockAccessIndex = 0
  calls: BalCall[] = []

  /** Starts the recording of the transaction at block access index `index`. */
  reset(index: number): void {
    this.blockAccessIndex = index
    this.calls = []
  }

  addAddress(address: Hex): void {
    this.calls.push(['addAddress', address])
  }
  addStorageRead(address: Hex, key: Uint8Array): void {
    this.calls.push(['addStorageRead', address, key.slice()])
  }
  addStorageWrite(address: Hex, key: Uint8Array, value: Uint8Array, index: number, original?: Uint8Array): void {
    this.calls.push(['addStorageWrite', address, key.slice(), value.slice(), index, original?.slice()])
  }
  addBalanceChange(address: Hex, balance: bigint, index: number, original?: bigint): void {
    this.calls.push(['addBalanceChange', address, balance, index, original])
  }
  addNonceChange(address: Hex, nonce: bigint, index: number): void {
    this.calls.push(['addNonceChange', address, nonce, index])
  }
  addCodeChange(address: Hex, code: Uint8Array, index: number, original?: Uint8Array): void {
    this.calls.push(['addCodeChange', address, code.slice(), index, original?.slice()])
  }
  checkpoint(): void {
    this.calls.push(['checkpoint'])
  }
  commit(): void {
    this.calls.push(['commit'])
  }
  revert(): void {
    this.calls.push(['revert'])
  }
  cleanupNetZeroBalanceChanges(): void {
    this.calls.push(['cleanupNetZeroBalanceChanges'])
  }
  cleanupSelfdestructed(addresses: Hex[], finalBalances?: Map<Hex, bigint>): void {
    this.calls.push(['cleanupSelfdestructed', [...addresses], finalBalances === undefined ? undefined : new Map(finalBalances)])
  }

  /** Balance changes recorded for `address` (the fee recipient's credit is the only one it may have). */
  balanceChanges(address: Hex): number {
    return this.calls.filter((c) => c[0] === 'addBalanceChange' && c[1] === address).length
  }
}

/**
 * The fee recipient's credit as this thread computed it: replaces the worker's (made from the
 * balance it saw, which no check covers).
 */
export interface CreditOverride {
  address: Hex
  balance: bigint
  original: bigint
}

/** Replays recorded calls on `list` (its blockAccessIndex set to the transaction's). */
export function replayAccessListCalls(list: BlockLevelAccessList, calls: readonly BalCall[], credit?: CreditOverride): void {
  for (const c of calls) {
    switch (c[0]) {
      case 'addAddress':
        list.addAddress(c[1])
        break
      case 'addStorageRead':
        list.addStorageRead(c[1], c[2])
        break
      case 'addStorageWrite':
        list.addStorageWrite(c[1], c[2], c[3], c[4], c[5])
        break
      case 'addBalanceChange':
        if (credit !== undefined && c[1] === credit.address) list.addBalanceChange(c[1], credit.balance, c[3], credit.original)
        else list.addBalanceChange(c[1], c[2], c[3], c[4])
        break
      case 'addNonceChange':
        list.addNonceChange(c[1], c[2], c[3])
        break
      case 'addCodeChange':
        list.addCodeChange(c[1], c[2], c[3], c[4])
        break
      case 'checkpoint':
        list.checkpoint()
        break
      case 'commit':
        list.commit()
        break
      case 'revert':
        list.revert()
        break
      case 'cleanupNetZeroBalanceChanges':
        list.cleanupNetZeroBalanceChanges()
        break
      case 'cleanupSelfdestructed':
        list.cleanupSelfdestructed(c[1], c[2])
        break
    }
  }
}
