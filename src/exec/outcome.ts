// What executing a block produces, whichever executor ran it. Sequential and parallel executors
// must return bit-identical outcomes.
import type { Block } from '@ethereumjs/block'
import type { CLRequest, CLRequestType } from '@ethereumjs/util'
import type { TxReceipt } from '@ethereumjs/vm'
import type { BatchOp } from '../db/interface.ts'

/** One account's change over a block. Keys are hashed (keccak of address / slot), as in the trie. */
export interface AccountDiff {
  /** keccak256(address) */
  addressHash: Uint8Array
  address: Uint8Array
  /** RLP account [nonce, balance, storageRoot, codeHash] before / after the block; null when absent. */
  pre: Uint8Array | null
  post: Uint8Array | null
  /** The whole storage was wiped (self-destruct, re-creation): flat storage of `pre` must go. */
  storageCleared: boolean
  /** Changed slots: hashed slot → RLP value before/after (empty bytes = zero). When storageCleared,
   * `storage` also lists every pre-existing slot so the change can be reverted. */
  storage: SlotDiff[]
}

export interface SlotDiff {
  slotHash: Uint8Array
  pre: Uint8Array
  post: Uint8Array
}

export interface StateDiff {
  accounts: AccountDiff[]
}

export interface ExecutionOutcome {
  receipts: TxReceipt[]
  gasUsed: bigint
  logsBloom: Uint8Array
  receiptsRoot: Uint8Array
  stateRoot: Uint8Array
  /** EIP-7685 requests (Prague+), flat `type ‖ data` bytes each, and their hash. */
  requests?: CLRequest<CLRequestType>[]
  requestsHash?: Uint8Array
  /** EIP-7928 block-level access list hash and RLP (Amsterdam+). */
  blockAccessListHash?: Uint8Array
  blockAccessList?: Uint8Array
  /** Blob gas consumed by the block's transactions (Cancun+). */
  blobGasUsed?: bigint
  stateDiff: StateDiff
  /** Trie nodes and code written while executing: committed with the block, in one batch. */
  writes: BatchOp[]
  /** Which executor produced it, and how much speculative work was redone (0 when sequential). */
  executor: 'sequential' | 'parallel'
  reexecutions: number
  /** `generate` requests only: the sealed block (header fields filled in by runBlock) and the sum of
   * the priority fees its transactions paid to the fee recipient. */
  sealed?: Block
  blockValue?: bigint
}

/** Per-transaction result details the RPC layer needs beyond the receipt. */
export interface TxOutcome {
  gasUsed: bigint
  contractAddress?: Uint8Array
}
