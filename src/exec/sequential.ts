// The sequential executor: ethereumjs' runBlock over the block's own state overlay, on one thread.
// By default it reads state the fast way (trie nodes and flat tables through LevelDB's synchronous
// get, flat tables on cache misses, undo-log EIP-7928 checkpoints): the node's single-threaded
// executor and the benchmark's reference. `stock: true` is ethereumjs' own read path (trie walks
// through async gets, the library's checkpoints): the reference the differential tests compare
// every other executor against.
import type { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createVM, runBlock, type AfterBlockEvent, type RunBlockResult, type VM } from '@ethereumjs/vm'
import { InvalidBlockError } from '../util/errors.ts'
import { keccak256 } from '../util/keccak.ts'
import { StorageError } from '../db/errors.ts'
import type { KVReader } from '../db/interface.ts'
import { AncestorHashes, type HeaderByHash } from './ancestors.ts'
import type { ExecutionOutcome } from './outcome.ts'
import { isSyncReader, viaGetSync } from '../db/interface.ts'
import { journalEvmBalCheckpoints } from './bal-journal.ts'
import { effectsEligible, NO_EFFECTS, runEffectsBlock } from './block-runner.ts'
import { computeStateDiff, flatReaderAt, openBlockState } from './state.ts'

export interface ExecuteRequest {
  block: Block
  parent: BlockHeader
  /** Committed store: trie nodes and code of the parent state are read from here. */
  base: KVReader
  headerByHash: HeaderByHash
  /** The chain's Common (not mutated: the executor works on a copy). */
  common: Common
  /** EIP-7928 access list that came with the block (engine payload), RLP. */
  blockAccessList?: Uint8Array
  /**
   * Seal the block instead of checking it (payload building): runBlock's `generate` mode fills in
   * stateRoot, receipts root, bloom, gas used, requests hash and BAL hash; the outcome then carries
   * the sealed block and its value (see ExecutionOutcome.sealed).
   */
  generate?: boolean
}

export interface Executor {
  readonly kind: 'sequential' | 'parallel'
  /**
   * Optional work before a block's body is validated: the parallel executor recovers the
   * transactions' senders on every core (validation would otherwise recover them all on this
   * thread). Never throws; what it could not do is done later as usual.
   */
  prepare?(block: Block): Promise<void>
  execute(req: ExecuteRequest): Promise<ExecutionOutcome>
  close?(): Promise<void>
}

/** Errors that are our fault, not the block's: never turned into INVALID. */
export function isInternalError(err: unknown): boolean {
  return err instanceof StorageError || err instanceof TypeError || err instanceof ReferenceError
}

export interface SequentialOptions {
  /**
   * Flush state changes with ethereumjs' own per-put trie updates instead of the batched update
   * (state.ts FlatReadStateManager.flush). Same roots; more (superseded) nodes written. For tests
   * that check the batched flush against the library.
   */
  libraryFlush?: boolean
  /**
   * ethereumjs' stock read path: every cache miss walks the trie through async gets, and the
   * library's own EIP-7928 checkpoints. Same outcomes, 2-3x slower; the differential tests'
   * reference, because it shares the least code with the fast paths.
   */
  stock?: boolean
}

export class SequentialExecutor implements Executor {
  readonly kind = 'sequential' as const
  private readonly libraryFlush: boolean
  private readonly stock: boolean

  constructor(opts: SequentialOptions = {}) {
    this.libraryFlush = opts.libraryFlush === true
    this.stock = opts.stock === true
  }

  /**
   * `watch.progress` is told each transaction's index as the block loop reaches it (the fast path's
   * own loop only; the parallel executor's back-off samples the load there).
   */
  async execute(req: ExecuteRequest, watch?: { progress: (i: number) => void }): Promise<ExecutionOutcome> {
    const { block, parent } = req
    const fast = !this.stock && isSyncReader(req.base)
    // Trie nodes and code through LevelDB's synchronous get: no thread-pool round trip per node.
    const base = fast && isSyncReader(req.base) ? viaGetSync(req.base) : req.base
    // Cache misses read the flat tables when they describe the parent (no trie walk per read).
    const flat = fast ? await flatReaderAt(req.base, parent.hash()) : undefined
    const { overlay, stateManager } = openBlockState(base, parent.stateRoot, flat, { stock: this.stock })
    if (this.libraryFlush) stateManager.batchedFlush = false
    const common = req.common.copy()
    common.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
    const vm = await createVM({
      common,
      stateManager,
      blockchain: new AncestorHashes(parent, req.headerByHash),
    })
    if (fast) journalEvmBalCheckpoints(vm.evm) // EIP-7928: no deep copy of the access list per call frame
    let result
    try {
      // The fast path runs the block through the same loop as the parallel executor's effects mode
      // (block-runner.ts: runBlock's steps, receipts root by the batched trie update) wherever that
      // loop can take the block; ethereumjs' runBlock otherwise, and always for the stock path.
      const list = common.isActivatedEIP(7928) ? req.blockAccessList : undefined
      result =
        fast && effectsEligible(common, block, req.generate === true, list)
          ? (await runEffectsBlock(vm, block, watch !== undefined ? { ...NO_EFFECTS, progress: watch.progress } : NO_EFFECTS, { share: true, ...(list !== undefined ? { blockAccessList: list } : {}) })).result
          : await runRequest(vm, req)
    } catch (err) {
      if (isInternalError(err)) throw err
      throw new InvalidBlockError('execution', errorMessage(err))
    }
    const stateDiff = await computeStateDiff(base, parent.stateRoot, stateManager, flat)
    return assembleOutcome(block, common, result, { stateDiff, writes: overlay.ops(), executor: 'sequential', reexecutions: 0 })
  }
}

/** runBlock's result, plus the sealed block in `generate` mode. */
export interface RequestResult extends RunBlockResult {
  sealed?: Block
  /** The canonical encoding of `blockLevelAccessList`, where the executor already made it. */
  blockAccessListRlp?: Uint8Array
}

/**
 * ethereumjs' runBlock of a request, the same for every executor: non-generate mode checks the
 * block (the validator checked header and body before execution, so those checks are skipped);
 * `generate` seals it, and the sealed block comes from the VM's 'afterBlock' event.
 */
export async function runRequest(vm: VM, req: ExecuteRequest): Promise<RequestResult> {
  let sealed: Block | undefined
  const onAfterBlock = (e: AfterBlockEvent): void => {
    sealed = e.block
  }
  if (req.generate === true) vm.events.on('afterBlock', onAfterBlock)
  try {
    const result = await runBlock(vm, {
      block: req.block,
      root: req.parent.stateRoot,
      clearCache: false,
      skipBlockValidation: true,
      skipHeaderValidation: true,
      setHardfork: true,
      ...(req.generate === true ? { generate: true } : {}),
      ...(req.blockAccessList !== undefined ? { blockAccessList: req.blockAccessList } : {}),
    })
    if (req.generate !== true) return result
    if (sealed === undefined) throw new Error('runBlock did not report the generated block')
    return { ...result, sealed }
  } finally {
    vm.events.off('afterBlock', onAfterBlock)
  }
}

/** The ExecutionOutcome of a runBlock result (shared by every executor, so they cannot drift). */
export function assembleOutcome(
  block: Block,
  common: Common,
  result: RequestResult,
  rest: Pick<ExecutionOutcome, 'stateDiff' | 'writes' | 'executor' | 'reexecutions'>,
): ExecutionOutcome {
  const bal = result.blockLevelAccessList
  let blobGasUsed: bigint | undefined
  if (common.isActivatedEIP(4844)) {
    blobGasUsed = 0n
    for (const tx of block.transactions) {
      const hashes = (tx as { blobVersionedHashes?: Uint8Array[] }).blobVersionedHashes
      if (hashes !== undefined) blobGasUsed += BigInt(hashes.length) * common.param('blobGasPerBlob')
    }
  }
  return {
    receipts: result.receipts,
    gasUsed: result.gasUsed,
    logsBloom: result.logsBloom,
    receiptsRoot: result.receiptsRoot,
    stateRoot: result.stateRoot,
    ...(result.requests !== undefined ? { requests: result.requests } : {}),
    ...(result.requestsHash !== undefined ? { requestsHash: result.requestsHash } : {}),
    ...(bal !== undefined && common.isActivatedEIP(7928) ? accessListFields(result.blockAccessListRlp ?? bal.serialize()) : {}),
    ...(blobGasUsed !== undefined ? { blobGasUsed } : {}),
    ...(result.sealed !== undefined ? { sealed: result.sealed, blockValue: result.results.reduce((sum, r) => sum + r.minerValue, 0n) } : {}),
    ...rest,
  }
}

function accessListFields(rlp: Uint8Array): { blockAccessListHash: Uint8Array; blockAccessList: Uint8Array } {
  return { blockAccessListHash: keccak256(rlp), blockAccessList: rlp }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
