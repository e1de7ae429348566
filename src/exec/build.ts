// Building a block on a parent: ethereumjs' BlockBuilder over the same overlay state layer that
// execution uses (never a cache-less MerkleStateManager over the whole database; see DESIGN §3).
// Transactions that do not fit or fail validation are skipped, not fatal.
import type { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { CLRequest, CLRequestType, WithdrawalData } from '@ethereumjs/util'
import { buildBlock, createVM } from '@ethereumjs/vm'
import type { KVReader } from '../db/interface.ts'
import { AncestorHashes, type HeaderByHash } from './ancestors.ts'
import { openBlockState } from './state.ts'

export interface PayloadAttributes {
  timestamp: bigint
  feeRecipient: Uint8Array
  prevRandao: Uint8Array
  withdrawals?: WithdrawalData[]
  parentBeaconBlockRoot?: Uint8Array
  /** Exact gas limit (tests). */
  gasLimit?: bigint
  /** Amsterdam's targetGasLimit: move the parent's gas limit toward it, within the 1/1024 bound. */
  targetGasLimit?: bigint
  /** Amsterdam (EIP-7843). */
  slotNumber?: bigint
  extraData?: Uint8Array
}

/** geth's CalcGasLimit: step from the parent's limit toward `target` by at most parent/1024 - 1. */
export function gasLimitToward(parent: bigint, target: bigint): bigint {
  const delta = parent / 1024n - 1n
  if (parent < target) return parent + delta < target ? parent + delta : target
  return parent - delta > target ? parent - delta : target > 5000n ? target : 5000n
}

export interface BuildRequest {
  parent: BlockHeader
  base: KVReader
  headerByHash: HeaderByHash
  common: Common
  attributes: PayloadAttributes
  /** Candidates in priority order. */
  txs: Iterable<TypedTransaction>
}

export interface BuiltBlock {
  block: Block
  /** Sum of priority fees paid to the fee recipient. */
  blockValue: bigint
  requests?: CLRequest<CLRequestType>[]
  /** EIP-7928 block access list (RLP), for Amsterdam blocks. */
  blockAccessList?: Uint8Array
  skipped: { tx: TypedTransaction; error: string }[]
}

export async function buildOnParent(req: BuildRequest): Promise<BuiltBlock> {
  const { parent, attributes: a } = req
  const { stateManager } = openBlockState(req.base, parent.stateRoot)
  const common = req.common.copy()
  common.setHardforkBy({ blockNumber: parent.number + 1n, timestamp: a.timestamp })
  const vm = await createVM({ common, stateManager, blockchain: new AncestorHashes(parent, req.headerByHash) })
  const parentBlock = { hash: () => parent.hash(), header: parent } as unknown as Block
  const builder = await buildBlock(vm, {
    parentBlock,
    headerData: {
      timestamp: a.timestamp,
      coinbase: a.feeRecipient,
      mixHash: a.prevRandao,
      ...(a.gasLimit !== undefined ? { gasLimit: a.gasLimit } : a.targetGasLimit !== undefined ? { gasLimit: gasLimitToward(parent.gasLimit, a.targetGasLimit) } : {}),
      ...(a.slotNumber !== undefined ? { slotNumber: a.slotNumber } : {}),
      ...(a.extraData !== undefined ? { extraData: a.extraData } : {}),
      ...(a.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: a.parentBeaconBlockRoot } : {}),
    },
    ...(a.withdrawals !== undefined ? { withdrawals: a.withdrawals } : {}),
    blockOpts: { putBlockIntoBlockchain: false, setHardfork: true },
  })
  const skipped: BuiltBlock['skipped'] = []
  const gasLimit = a.gasLimit ?? (a.targetGasLimit !== undefined ? gasLimitToward(parent.gasLimit, a.targetGasLimit) : parent.gasLimit)
  for (const tx of req.txs) {
    if (builder.gasUsed + 21000n > gasLimit) break
    try {
      await builder.addTransaction(tx, { skipHardForkValidation: true })
    } catch (err) {
      skipped.push({ tx, error: err instanceof Error ? err.message : String(err) })
    }
  }
  const { block, requests, blockLevelAccessList } = await builder.build()
  const bal = common.isActivatedEIP(7928) && blockLevelAccessList !== undefined ? blockLevelAccessList.serialize() : undefined
  return {
    block,
    blockValue: builder.minerValue,
    ...(requests !== undefined ? { requests } : {}),
    ...(bal !== undefined ? { blockAccessList: bal } : {}),
    skipped,
  }
}
