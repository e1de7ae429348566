// Building a block on a parent: ethereumjs' BlockBuilder over the same overlay state layer that
// execution uses (never a cache-less MerkleStateManager over the whole database; see DESIGN §3).
// Transactions that do not fit or fail validation are skipped, not fatal. The sealing pass goes
// through an Executor (the node's, so the parallel executor seals large blocks too).
import type { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { CLRequest, CLRequestType, Withdrawal, WithdrawalData } from '@ethereumjs/util'
import { buildBlock, createVM, runTx, type VM } from '@ethereumjs/vm'
import { createBlock, genWithdrawalsTrieRoot, type HeaderData } from '@ethereumjs/block'
import { Blob4844Tx, createMinimal4844TxFromNetworkWrapper } from '@ethereumjs/tx'
import { createWithdrawal } from '@ethereumjs/util'
import type { KVReader } from '../db/interface.ts'
import { AncestorHashes, type HeaderByHash } from './ancestors.ts'
import { SequentialExecutor, type Executor } from './sequential.ts'
import type { ExecutionOutcome } from './outcome.ts'
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
  /** Runs the sealing pass (`generate`); default a SequentialExecutor. Selection is always sequential. */
  executor?: Executor
  /** Asked before each candidate runs in selection (on the selection's state); a throw skips it with that message. */
  precheck?: (tx: TypedTransaction, vm: VM, template: Block) => Promise<void>
}


export interface BuiltBlock {
  block: Block
  /** Sum of priority fees paid to the fee recipient. */
  blockValue: bigint
  requests?: CLRequest<CLRequestType>[]
  /** EIP-7928 block access list (RLP), for Amsterdam blocks. */
  blockAccessList?: Uint8Array
  skipped: { tx: TypedTransaction; error: string }[]
  /** The sealing pass's execution outcome: importing this very block need not execute it again. */
  outcome: ExecutionOutcome
}

/**
 * Builds a block in two linear passes (ethereumjs' BlockBuilder re-creates the whole block on every
 * addTransaction, which is quadratic: 1,400 transfers took minutes):
 *  1. selection: each candidate runs with `runTx` on the parent state against a header-only template
 *     (system calls first, as the block will do); failing or non-fitting transactions are skipped;
 *  2. sealing: one `runBlock({ generate: true })` of the selected transactions on a fresh state, through
 *     `req.executor` (`generate` request), fills in stateRoot, receipts, bloom, gas used, requests
 *     hash and the block access list.
 * The payload builder drives the two passes itself (BuildSession) so that selection can be sliced
 * and cut short; this runs them back to back.
 */
export async function buildOnParent(req: BuildRequest): Promise<BuiltBlock> {
  const session = await BuildSession.open(req)
  while (!(await session.select(Infinity)));
  return session.seal()
}

/** A build in progress: selection can run in time slices and stop anywhere; any prefix of it seals. */
export class BuildSession {
  private readonly skipped: BuiltBlock['skipped'] = []
  private readonly selected: TypedTransaction[] = []
  /** Blob gas used after each selected transaction. */
  private readonly blobGasAfter: bigint[] = []
  private gasUsed = 0n
  private blobGasUsed = 0n
  private selectMs = 0
  private done = false
  private readonly candidates: Iterator<TypedTransaction>

  private constructor(
    private readonly req: BuildRequest,
    private readonly common: Common,
    private readonly headerData: HeaderData,
    private readonly withdrawals: Withdrawal[] | undefined,
    private readonly template: Block,
    private readonly vm: VM,
  ) {
    this.candidates = req.txs[Symbol.iterator]()
  }

  static async open(req: BuildRequest): Promise<BuildSession> {
    const { parent, attributes: a } = req
    const common = req.common.copy()
    const number = parent.number + 1n
    common.setHardforkBy({ blockNumber: number, timestamp: a.timestamp })
    const gasLimit = a.gasLimit ?? (a.targetGasLimit !== undefined ? gasLimitToward(parent.gasLimit, a.targetGasLimit) : parent.gasLimit)
    const withdrawals = common.isActivatedEIP(4895) ? (a.withdrawals ?? []).map(createWithdrawal) : undefined
    const headerData: HeaderData = {
      parentHash: parent.hash(),
      number,
      timestamp: a.timestamp,
      gasLimit,
      coinbase: a.feeRecipient,
      mixHash: a.prevRandao,
      ...(a.extraData !== undefined ? { extraData: a.extraData } : {}),
      ...(common.isActivatedEIP(1559) ? { baseFeePerGas: parent.common.isActivatedEIP(1559) ? parent.calcNextBaseFee() : common.param('initialBaseFee') } : {}),
      ...(common.isActivatedEIP(4844) ? { excessBlobGas: parent.calcNextExcessBlobGas(common), blobGasUsed: 0n } : {}),
      ...(common.isActivatedEIP(4788) ? { parentBeaconBlockRoot: a.parentBeaconBlockRoot ?? new Uint8Array(32) } : {}),
      ...(withdrawals !== undefined ? { withdrawalsRoot: await genWithdrawalsTrieRoot(withdrawals) } : {}),
      ...(a.slotNumber !== undefined ? { slotNumber: a.slotNumber } : {}),
    }
    const template = createBlock({ header: headerData, ...(withdrawals !== undefined ? { withdrawals } : {}) }, { common, setHardfork: true })
    const selection = openBlockState(req.base, parent.stateRoot)
    const vm = await createVM({ common: common.copy(), stateManager: selection.stateManager, blockchain: new AncestorHashes(parent, req.headerByHash) })
    await runSystemCalls(vm, template)
    return new BuildSession(req, common, headerData, withdrawals, template, vm)
  }

  /** Transactions selected so far. */
  get size(): number {
    return this.selected.length
  }

  /** Milliseconds selection has run so far. */
  get selectedForMs(): number {
    return this.selectMs
  }

  /** Mean milliseconds selection spent per selected transaction (sealing costs more: use as a lower bound). */
  get msPerTx(): number {
    return this.selected.length === 0 ? 0 : this.selectMs / this.selected.length
  }

  /**
   * Runs selection for about `budgetMs` (at least one candidate) and returns whether it is finished
   * (block full or candidates exhausted). `stop` is asked before every candidate.
   */
  async select(budgetMs: number, stop: () => boolean = () => false): Promise<boolean> {
    if (this.done) return true
    const started = performance.now()
    const gasLimit = this.template.header.gasLimit
    const maxBlobGas = this.common.isActivatedEIP(4844) ? this.common.getBlobGasSchedule().maxBlobGasPerBlock : 0n
    const perBlob = this.common.isActivatedEIP(4844) ? this.common.param('blobGasPerBlob') : 0n
    try {
      for (let first = true; first || performance.now() - started < budgetMs; first = false) {
        if (stop()) return false
        const next = this.candidates.next()
        if (next.done === true || gasLimit - this.gasUsed < 21000n) {
          this.done = true
          return true
        }
        const tx = next.value
        if (tx.gasLimit > gasLimit - this.gasUsed) {
          this.skipped.push({ tx, error: 'tx has a higher gas limit than the remaining gas in the block' })
          continue
        }
        const blobs = BigInt((tx as { blobVersionedHashes?: unknown[] }).blobVersionedHashes?.length ?? 0) * perBlob
        if (blobs > 0n && this.blobGasUsed + blobs > maxBlobGas) {
          this.skipped.push({ tx, error: 'block blob gas limit reached' })
          continue
        }
        try {
          await this.req.precheck?.(tx, this.vm, this.template)
          const r = await runTx(this.vm, { tx, block: this.template, skipHardForkValidation: true, skipBlockGasLimitValidation: true })
          this.gasUsed += r.blockGasSpent
          this.blobGasUsed += blobs
          this.selected.push(minimalTx(tx))
          this.blobGasAfter.push(this.blobGasUsed)
        } catch (err) {
          this.skipped.push({ tx, error: err instanceof Error ? err.message : String(err) })
        }
      }
      return false
    } finally {
      this.selectMs += performance.now() - started
    }
  }

  /** Seals the first `limit` selected transactions (default all): a prefix of a selection is valid. */
  async seal(limit = this.selected.length): Promise<BuiltBlock> {
    const n = Math.max(0, Math.min(limit, this.selected.length))
    const common = this.common
    const blobGasUsed = n === 0 ? 0n : this.blobGasAfter[n - 1]!
    const header = { ...this.headerData, ...(common.isActivatedEIP(4844) ? { blobGasUsed } : {}) }
    const w = this.withdrawals
    const candidate = createBlock({ header, transactions: this.selected.slice(0, n), ...(w !== undefined ? { withdrawals: w } : {}) }, { common, setHardfork: true })
    const req = this.req
    const executor = req.executor ?? new SequentialExecutor()
    const out = await executor.execute({ block: candidate, parent: req.parent, base: req.base, headerByHash: req.headerByHash, common: req.common, generate: true })
    if (out.sealed === undefined || out.blockValue === undefined) throw new Error(`the ${executor.kind} executor did not seal the block`)
    return {
      block: out.sealed,
      blockValue: out.blockValue,
      ...(out.requests !== undefined ? { requests: out.requests } : {}),
      ...(out.blockAccessList !== undefined ? { blockAccessList: out.blockAccessList } : {}),
      skipped: this.skipped,
      outcome: out,
    }
  }
}

/** Blob transactions go into blocks without their sidecar. */
function minimalTx(tx: TypedTransaction): TypedTransaction {
  if (tx instanceof Blob4844Tx && tx.blobs !== undefined) return createMinimal4844TxFromNetworkWrapper(tx, { common: tx.common })
  return tx
}

/** EIP-4788 and EIP-2935 system calls that open every block (so selection sees their state). */
async function runSystemCalls(vm: VM, block: Block): Promise<void> {
  // runBlock on an empty copy of the block would also credit withdrawals; run only the pre-block
  // calls: ethereumjs' BlockBuilder exposes them through initState.
  const builder = await buildBlock(vm, {
    parentBlock: { hash: () => block.header.parentHash, header: { ...block.header, number: block.header.number - 1n } } as unknown as Block,
    headerData: { ...block.header.toJSON(), number: block.header.number, timestamp: block.header.timestamp },
    blockOpts: { putBlockIntoBlockchain: false, setHardfork: true },
  })
  void builder
}
