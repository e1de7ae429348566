// The block tree: insert a block on a known parent (executing it), keep side chains, move the
// canonical head (reorgs rewrite the canonical index and roll the flat state), and remember invalid
// blocks. Every insert and every head move is ONE atomic batch; an insert without a head move is
// written behind where the store can (LevelKV.stage: readable at once, on disk after the answer, in order).
import type { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { ChainStore } from '../db/chain-store.ts'
import { applyDiffOps, decodeStateDiff, encodeStateDiff, revertDiffOps } from '../db/flat-state.ts'
import type { BatchOp, KVStore } from '../db/interface.ts'
import { MetaKey, Prefix } from '../db/keys.ts'
import type { StoredReceipt } from '../db/receipts.ts'
import type { ExecutionOutcome } from '../exec/outcome.ts'
import type { Executor } from '../exec/sequential.ts'
import { validateBody, validateHeaderAgainstParent, validateOutcome } from '../exec/validate.ts'
import { DatadirError, InvalidBlockError } from '../util/errors.ts'
import { Emitter } from './events.ts'
import { InvalidBlockCache } from './invalid-cache.ts'

/** Sealed outcomes kept for the import of our own payloads. */
const MAX_SEALED = 4
/** Inserted blocks kept decoded for the head moves that usually follow (forkchoiceUpdated). */
const MAX_RECENT = 8

export type InsertStatus = 'imported' | 'known' | 'invalid' | 'unknown-parent'

export interface InsertResult {
  status: InsertStatus
  hash: Uint8Array
  /** For invalid: the reason and the last valid ancestor. */
  reason?: string
  message?: string
  latestValidHash?: Uint8Array | null
  outcome?: ExecutionOutcome
  /** Milliseconds spent validating + executing + committing. */
  elapsedMs?: number
  /** Where elapsedMs went: header/body checks and sender recovery, execution, the store's batch (imports only). */
  phases?: { validateMs: number; executeMs: number; commitMs: number }
}

export interface HeadChange {
  /** Blocks that became canonical, oldest first. */
  added: Block[]
  /** Blocks that stopped being canonical, newest first. */
  removed: Block[]
}

export interface ChainOptions {
  kv: KVStore
  common: Common
  executor: Executor
  logger: Logger
}

export class Chain {
  readonly store: ChainStore
  readonly common: Common
  readonly invalid = new InvalidBlockCache()
  private _executor: Executor
  private readonly logger: Logger
  private _head!: BlockHeader
  private _genesis!: BlockHeader
  /** Called after every committed head move with the blocks that became / stopped being canonical. */
  private readonly headListeners: ((added: Block[], removed: Block[]) => void)[] = []
  /** Every committed head move, in commit order (RPC subscriptions and filters follow it). */
  readonly headChanges = new Emitter<HeadChange>((err) => this.logger.warn({ err }, 'Head change listener failed'))
  /** Outcomes of blocks this node sealed (payload building), by block hash: their import reuses them. */
  private readonly sealed = new Map<string, ExecutionOutcome>()
  /** The newest inserted blocks by hash, as decoded for their import: a head move to them reads and decodes nothing. */
  private readonly recent = new Map<string, Block>()
  /** Serialises inserts and head moves: calls are processed in arrival order. */
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(opts: ChainOptions) {
    this.store = new ChainStore(opts.kv, opts.common)
    this.common = opts.common
    this._executor = opts.executor
    this.logger = opts.logger
  }

  /** Opens an initialised store (see `initGenesis`). */
  static async open(opts: ChainOptions): Promise<Chain> {
    const chain = new Chain(opts)
    const genesisHash = await chain.store.getMeta(MetaKey.Genesis)
    const headHash = await chain.store.getMeta(MetaKey.Head)
    if (genesisHash === undefined || headHash === undefined) throw new DatadirError('database is not initialised (run `parallax init` first)')
    const genesis = await chain.store.getHeader(genesisHash)
    const head = await chain.store.getHeader(headHash)
    if (genesis === undefined || head === undefined) throw new DatadirError('database is corrupt: head or genesis header missing')
    chain._genesis = genesis
    chain._head = head
    return chain
  }

  get head(): BlockHeader {
    return this._head
  }
  get genesis(): BlockHeader {
    return this._genesis
  }
  /** Called after a block was executed and committed (for metrics and logs). */
  onImported(fn: (block: Block, res: InsertResult) => void): void {
    this.importListeners.push(fn)
  }
  private readonly importListeners: ((block: Block, res: InsertResult) => void)[] = []
  onHeadChange(fn: (added: Block[], removed: Block[]) => void): void {
    this.headListeners.push(fn)
  }
  private emitHead(change: HeadChange): void {
    if (change.added.length === 0 && change.removed.length === 0) return
    for (const fn of this.headListeners) fn(change.added, change.removed)
    this.headChanges.emit(change)
  }
  /** Executes inserted blocks; the payload builder seals with it too. */
  get executor(): Executor {
    return this._executor
  }
  setExecutor(executor: Executor): void {
    this._executor = executor
  }

  /**
   * Remembers the outcome of sealing `block` (the builder's `generate` run over its parent state), so
   * that importing this very block (newPayload of our own payload) does not execute it a second time.
   * The hash commits to every header field the outcome produced; the checks against the header still
   * run. A few are kept (the newest).
   */
  rememberSealed(block: Block, outcome: ExecutionOutcome): void {
    this.sealed.set(bytesToHex(block.hash()), outcome)
    while (this.sealed.size > MAX_SEALED) this.sealed.delete(this.sealed.keys().next().value!)
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Resolves when the inserts and head moves queued so far are done (shutdown waits for it before closing the store). */
  idle(): Promise<void> {
    return this.queue.then(() => undefined)
  }

  /** Validates, executes and stores `block`; with `setHead`, also makes it the canonical head in the same batch. */
  insertBlock(block: Block, opts: { setHead?: boolean; blockAccessList?: Uint8Array } = {}): Promise<InsertResult> {
    return this.serial(() => this.insertInner(block, opts))
  }

  /** Moves the canonical head (and optionally safe/finalized) to known, executed blocks. */
  setHead(hash: Uint8Array, pointers: { safe?: Uint8Array; finalized?: Uint8Array } = {}): Promise<void> {
    return this.serial(async () => {
      const ops: BatchOp[] = []
      const change = await this.headOps(hash, ops)
      if (pointers.safe !== undefined) this.store.metaOps(MetaKey.Safe, pointers.safe, ops)
      if (pointers.finalized !== undefined) this.store.metaOps(MetaKey.Finalized, pointers.finalized, ops)
      await this.store.commit(ops)
      this._head = (await this.store.getHeader(hash))!
      this.emitHead(change)
    })
  }

  private async insertInner(block: Block, opts: { setHead?: boolean; blockAccessList?: Uint8Array }): Promise<InsertResult> {
    const started = performance.now()
    const hash = block.hash()
    const known = this.invalid.get(hash)
    if (known !== undefined) return { status: 'invalid', hash, ...known }
    if (await this.store.hasBlock(hash)) {
      if (opts.setHead === true && !equalsBytes(this._head.hash(), hash)) {
        const ops: BatchOp[] = []
        const change = await this.headOps(hash, ops)
        await this.store.commit(ops)
        this._head = block.header
        this.emitHead(change)
      }
      return { status: 'known', hash }
    }
    const parentInvalid = this.invalid.get(block.header.parentHash)
    if (parentInvalid !== undefined) {
      const entry = { reason: 'invalid-ancestor', message: `ancestor is invalid: ${parentInvalid.message}`, latestValidHash: parentInvalid.latestValidHash }
      this.invalid.add(hash, entry)
      return { status: 'invalid', hash, ...entry }
    }
    const parent = await this.store.getHeader(block.header.parentHash)
    if (parent === undefined) return { status: 'unknown-parent', hash }

    let outcome: ExecutionOutcome
    let executeAt = started
    try {
      validateHeaderAgainstParent(block.header, parent)
      await this._executor.prepare?.(block)
      await validateBody(block, parent)
      // Executors' worker threads read LevelDB itself: the parent's staged batch must have landed.
      await this.store.kv.settled?.()
      executeAt = performance.now()
      const sealed = this.sealed.get(bytesToHex(hash))
      this.sealed.delete(bytesToHex(hash))
      outcome =
        sealed ??
        (await this._executor.execute({
          block,
          parent,
          base: this.store.kv,
          headerByHash: (h) => this.store.getHeader(h),
          common: this.common,
          ...(opts.blockAccessList !== undefined ? { blockAccessList: opts.blockAccessList } : {}),
        }))
      validateOutcome(block, outcome)
    } catch (err) {
      if (!(err instanceof InvalidBlockError)) throw err
      const entry = { reason: err.reason, message: err.message, latestValidHash: parent.hash() }
      if (err.reason !== 'bodyMismatch') this.invalid.add(hash, entry)
      this.invalid.addBad(block)
      this.logger.warn({ number: Number(block.header.number), hash: bytesToHex(hash), reason: err.reason, err: err.message }, 'Invalid block')
      return { status: 'invalid', hash, ...entry }
    }

    const committingAt = performance.now()
    const ops: BatchOp[] = [...outcome.writes]
    this.store.blockOps(block, toStored(block, outcome), ops)
    this.store.stateDiffOps(hash, encodeStateDiff(outcome.stateDiff), ops)
    if (block.header.difficulty > 0n) {
      const parentTd = (await this.store.getTotalDifficulty(parent.hash())) ?? 0n
      this.store.totalDifficultyOps(hash, parentTd + block.header.difficulty, ops)
    }
    const change = opts.setHead === true ? await this.headOps(hash, ops, block) : undefined
    if (change === undefined && this.store.kv.stage !== undefined) {
      // Not (yet) canonical: written behind, as geth and reth answer VALID before the block's state
      // reaches disk. Readable through the store at once; executors and RPC workers wait for it to
      // land (settled); a later head move is written after it. A crash before it lands loses this
      // block whole (the consensus client sends it again), never half of it.
      const number = Number(block.header.number)
      this.store.kv.stage(ops).then(
        (ms) => this.logger.debug({ number, hash: bytesToHex(hash), ms: Math.round(ms) }, 'Block written'),
        (err: unknown) => this.logger.error({ number, hash: bytesToHex(hash), err: (err as Error).message }, 'Block could not be written: the store takes no more writes'),
      )
    } else {
      await this.store.commit(ops)
    }
    if (change !== undefined) {
      this._head = block.header
      this.emitHead(change)
    }
    this.recent.set(bytesToHex(hash), block)
    while (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value!)
    const now = performance.now()
    const phases = { validateMs: executeAt - started, executeMs: committingAt - executeAt, commitMs: now - committingAt }
    const result: InsertResult = { status: 'imported', hash, outcome, elapsedMs: now - started, phases }
    for (const fn of this.importListeners) fn(block, result)
    return result
  }

  /**
   * Ops that make `hash` the canonical head: walk back to the canonical chain, unwind the old
   * branch (canonical index, tx lookups, flat state) and wind the new one.
   * `pending` is a block being inserted in the same batch (not yet readable from the store).
   */
  private async headOps(hash: Uint8Array, ops: BatchOp[], pending?: Block): Promise<HeadChange> {
    const removed: Block[] = []
    const getBlock = async (h: Uint8Array): Promise<Block> => {
      if (pending !== undefined && equalsBytes(pending.hash(), h)) return pending
      const b = this.recent.get(bytesToHex(h)) ?? (await this.store.getBlock(h))
      if (b === undefined) throw new DatadirError(`block ${bytesToHex(h)} is missing from the store`)
      return b
    }
    const getDiff = async (h: Uint8Array, fromOps: BatchOp[]) => {
      const stored = await this.store.getStateDiffBytes(h)
      if (stored !== undefined) return decodeStateDiff(stored)
      for (const op of fromOps) if (op.type === 'put' && op.key[0] === Prefix.StateDiff && equalsBytes(op.key.subarray(1), h)) return decodeStateDiff(op.value)
      throw new DatadirError(`state diff of ${bytesToHex(h)} is missing`)
    }
    const getHeader = async (h: Uint8Array): Promise<BlockHeader> => {
      if (pending !== undefined && equalsBytes(pending.hash(), h)) return pending.header
      const header = await this.store.getHeader(h)
      if (header === undefined) throw new DatadirError(`block ${bytesToHex(h)} is missing from the store`)
      return header
    }
    // New branch, from the new head back to the first block that is already canonical (walked by
    // header: only the new branch's own blocks are decoded, not the canonical parent's body).
    const newBranch: Block[] = []
    let cursor = await getHeader(hash)
    while (true) {
      const canon = await this.store.getCanonicalHash(cursor.number)
      if (canon !== undefined && equalsBytes(canon, cursor.hash())) break
      newBranch.push(await getBlock(cursor.hash()))
      if (cursor.number === 0n) break
      cursor = await getHeader(cursor.parentHash)
    }
    const ancestorNumber = newBranch.length > 0 ? newBranch[newBranch.length - 1]!.header.number - 1n : cursor.number
    // Old branch: canonical blocks above the ancestor, from the current head down.
    for (let n = this._head.number; n > ancestorNumber; n--) {
      const h = await this.store.getCanonicalHash(n)
      if (h === undefined) continue
      const old = await getBlock(h)
      revertDiffOps(await getDiff(h, ops), ops)
      removed.push(old)
      this.store.txLookupOps(old, false, ops)
      this.store.canonicalOps(n, undefined, ops)
    }
    for (let i = newBranch.length - 1; i >= 0; i--) {
      const b = newBranch[i]!
      applyDiffOps(await getDiff(b.hash(), ops), ops)
      this.store.txLookupOps(b, true, ops)
      this.store.canonicalOps(b.header.number, b.hash(), ops)
    }
    this.store.metaOps(MetaKey.Head, hash, ops)
    this.store.metaOps(MetaKey.FlatRoot, hash, ops)
    return { added: newBranch.reverse(), removed }
  }

  /** Is `ancestor` on the chain ending at `head` (inclusive)? Walks parents until the canonical chain. */
  async isAncestor(head: BlockHeader, ancestor: Uint8Array): Promise<boolean> {
    const n = await this.store.getNumber(ancestor)
    if (n === undefined || n > head.number) return false
    let cursor: BlockHeader | undefined = head
    while (cursor !== undefined && cursor.number >= n) {
      if (equalsBytes(cursor.hash(), ancestor)) return true
      const canon = await this.store.getCanonicalHash(cursor.number)
      if (canon !== undefined && equalsBytes(canon, cursor.hash())) {
        const atN = await this.store.getCanonicalHash(n)
        return atN !== undefined && equalsBytes(atN, ancestor)
      }
      cursor = await this.store.getHeader(cursor.parentHash)
    }
    return false
  }
}

function toStored(block: Block, outcome: ExecutionOutcome): StoredReceipt[] {
  return outcome.receipts.map((r, i) => {
    const s: StoredReceipt = {
      txType: block.transactions[i]!.type,
      cumulativeGasUsed: r.cumulativeBlockGasUsed,
      logs: r.logs as StoredReceipt['logs'],
    }
    if ('status' in r) s.status = r.status
    else s.stateRoot = r.stateRoot
    return s
  })
}
