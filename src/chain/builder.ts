// The payload builder: forkchoiceUpdated with attributes starts a build process on the head; it
// rebuilds with the pool's current transactions until getPayload takes the best block so far.
// Under load (see PayloadBuilder) getPayload still answers in time with the transactions selected.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { createBlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { CLRequest, CLRequestType } from '@ethereumjs/util'
import { bigIntToUnpaddedBytes, bytesToHex, concatBytes } from '@ethereumjs/util'
import { RLP } from '@ethereumjs/rlp'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { Logger } from 'pino'
import { BuildSession, type BuiltBlock, type PayloadAttributes } from '../exec/build.ts'
import type { ExecutionOutcome } from '../exec/outcome.ts'
import type { Chain } from './chain.ts'

/** Where transactions for a block come from (the txpool implements it). */
export interface TxSource {
  pending(baseFee: bigint, blobBaseFee?: bigint): TypedTransaction[]
  /** Resolves once the source has followed the current head (so `pending` holds no included transaction). */
  settled?(): Promise<void>
}

export interface BuiltPayload {
  block: Block
  blockValue: bigint
  requests?: CLRequest<CLRequestType>[]
  blockAccessList?: Uint8Array
  /** The engine method version that started the build (for getPayload fork checks). */
  version: number
}

interface BuildProcess {
  id: string
  parent: BlockHeader
  attributes: PayloadAttributes
  version: number
  best?: BuiltPayload
  /** The execution outcome of `best` (handed to the chain when the payload is taken). */
  bestOutcome?: ExecutionOutcome
  running?: Promise<void>
  stopped: boolean
  /** getPayload is waiting: selection stops, and what it selected must seal by this time (performance.now). */
  sealBy?: number
  timer?: NodeJS.Timeout
  created: number
}

export interface BuilderOptions {
  chain: Chain
  txs?: TxSource
  logger: Logger
  /** How often to rebuild while nobody has taken the payload (ms). */
  rebuildIntervalMs?: number
  /** getPayload waits at most this long for a build to seal (the spec's timeout is 1 s). */
  getPayloadDeadlineMs?: number
  /** Selection runs in slices of this many ms, yielding to the event loop in between. */
  selectSliceMs?: number
  /** A build with no non-empty best seals what it selected after this much selection time (ms). */
  firstSealAfterMs?: number
  /** A process stops rebuilding this long after it started (its slot is long gone). */
  maxBuildMs?: number
  /** Build processes kept (oldest dropped). */
  maxProcesses?: number
  /** geth --miner.gaslimit: the target a build moves the parent's gas limit toward (by ≤ 1/1024) when the attributes name none. */
  gasLimit?: bigint
  /** geth --miner.extradata: the extra data of built blocks. */
  extraData?: Uint8Array
}

/** Share of getPayload's remaining time that sealing a cut-short selection may use (the rest is slack). */
const SEAL_SHARE = 0.6
/** Sealing (runBlock: receipts, roots, state diff) costs about this many times selection per transaction. */
const SEAL_COST = 4
/**
 * Never cut or seal early below this many transactions: such a seal is cheap (~0.1 s of transfers)
 * while a cold first build selects slowly (a few slow first runTx calls would split 16 transfers).
 */
const SMALL_SEAL = 64
/** Seals of fewer transactions say little about the cost per transaction. */
const MIN_RATE_SAMPLE = 50
/** A payload timestamp within this distance of the wall clock (ms) is taken as a real slot start. */
const SLOT_CLOCK_SLACK_MS = 12_000

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

export function payloadIdOf(parent: Uint8Array, a: PayloadAttributes, version: number): Uint8Array {
  const enc = RLP.encode([
    parent,
    bigIntToUnpaddedBytes(a.timestamp),
    a.prevRandao,
    a.feeRecipient,
    (a.withdrawals ?? []).map((w) => [
      bigIntToUnpaddedBytes(BigInt(w.index as bigint)),
      bigIntToUnpaddedBytes(BigInt(w.validatorIndex as bigint)),
      typeof w.address === 'string' ? w.address : (w.address as Uint8Array),
      bigIntToUnpaddedBytes(BigInt(w.amount as bigint)),
    ]) as never,
    a.withdrawals === undefined ? new Uint8Array() : Uint8Array.of(1),
    a.parentBeaconBlockRoot ?? new Uint8Array(),
    bigIntToUnpaddedBytes(a.slotNumber ?? 0n),
    bigIntToUnpaddedBytes(a.targetGasLimit ?? 0n),
    bigIntToUnpaddedBytes(BigInt(version)),
  ])
  return keccak_256(concatBytes(enc)).subarray(0, 8)
}

/**
 * Builds payloads under load: a build starts at forkchoiceUpdated with attributes; its selection
 * pass runs in slices (long ones: it yields to the event loop but keeps most of the CPU while newPayload
 * executions and transaction intake share the thread). getPayload never waits past its deadline: it
 * takes the best sealed block; when nothing is sealed yet it cuts selection short and seals the prefix
 * that fits the time left (an empty block only when even that is impossible).
 */
export class PayloadBuilder {
  private readonly processes = new Map<string, BuildProcess>()
  private readonly opts: Required<Omit<BuilderOptions, 'txs' | 'gasLimit' | 'extraData'>> & Pick<BuilderOptions, 'gasLimit' | 'extraData'> & { txs?: TxSource }
  /** Milliseconds a seal costs per transaction (see sealInto; 0 until measured). */
  private sealMsPerTx = 0
  /** The newest process: the only one that keeps rebuilding. */
  private latest: BuildProcess | undefined

  constructor(opts: BuilderOptions) {
    this.opts = { rebuildIntervalMs: 500, getPayloadDeadlineMs: 900, selectSliceMs: 50, firstSealAfterMs: 100, maxBuildMs: 30_000, maxProcesses: 16, ...opts }
  }

  /** Starts (or finds) the build process for these attributes on `parent`. Returns its id. */
  start(parent: BlockHeader, attributes: PayloadAttributes, version: number): Uint8Array {
    const idBytes = payloadIdOf(parent.hash(), attributes, version)
    const id = bytesToHex(idBytes)
    if (this.processes.has(id)) return idBytes
    const { gasLimit, extraData } = this.opts
    const withDefaults: PayloadAttributes = {
      ...(extraData !== undefined ? { extraData } : {}),
      ...attributes,
      ...(attributes.targetGasLimit === undefined && attributes.gasLimit === undefined && gasLimit !== undefined ? { targetGasLimit: gasLimit } : {}),
    }
    const proc: BuildProcess = { id, parent, attributes: withDefaults, version, stopped: false, created: Date.now() }
    this.processes.set(id, proc)
    this.latest = proc
    while (this.processes.size > this.opts.maxProcesses) {
      const oldest = this.processes.keys().next().value!
      this.stop(this.processes.get(oldest)!)
      this.processes.delete(oldest)
    }
    this.kick(proc)
    return idBytes
  }

  private kick(proc: BuildProcess): void {
    if (proc.stopped || proc.running !== undefined) return
    proc.running = this.buildOnce(proc).finally(() => {
      proc.running = undefined
      if (this.shouldRebuild(proc)) proc.timer = setTimeout(() => this.kick(proc), this.opts.rebuildIntervalMs)
    })
  }

  /**
   * Milliseconds until the payload's slot starts, when its timestamp follows the wall clock (a
   * consensus client's slots); undefined for synthetic timestamps (tests, far past or future).
   */
  private timeToSlot(proc: BuildProcess): number | undefined {
    const left = Number(proc.attributes.timestamp) * 1000 - Date.now()
    if (left < -SLOT_CLOCK_SLACK_MS || left > SLOT_CLOCK_SLACK_MS * 5) return undefined
    return Math.max(0, left)
  }

  /** Only the newest process rebuilds, within its lifetime and its slot, and only while its best block has room. */
  private shouldRebuild(proc: BuildProcess): boolean {
    if (proc.stopped || proc !== this.latest || Date.now() - proc.created > this.opts.maxBuildMs) return false
    if (this.timeToSlot(proc) === 0 && proc.best !== undefined) return false
    const best = proc.best?.block.header
    return best === undefined || best.gasLimit - best.gasUsed >= 21000n
  }

  private async buildOnce(proc: BuildProcess): Promise<void> {
    // Never rejects: a failed build is logged and the previous best payload stays.
    try {
      const chain = this.opts.chain
      const common = chain.common.copy()
      common.setHardforkBy({ blockNumber: proc.parent.number + 1n, timestamp: proc.attributes.timestamp })
      const baseFee = common.isActivatedEIP(1559) ? proc.parent.calcNextBaseFee() : 0n
      const blobBaseFee = common.isActivatedEIP(4844) ? blobBaseFeeAfter(proc.parent, proc.attributes.timestamp) : undefined
      await this.opts.txs?.settled?.()
      const session = await this.open(proc, this.opts.txs?.pending(baseFee, blobBaseFee) ?? [])
      // A waiting getPayload cuts selection short once sealing what it selected would fill the time left.
      const cut = (): boolean =>
        proc.stopped ||
        (proc.sealBy !== undefined && session.size >= SMALL_SEAL && (session.size + 1) * this.sealCostPerTx(session) >= (proc.sealBy - performance.now()) * SEAL_SHARE)
      // Without a non-empty best yet, seal early what a short selection found: sealing re-executes
      // (runBlock), several times slower than selection, and a full block may not seal before getPayload.
      let early = proc.best === undefined || proc.best.block.transactions.length === 0
      let sealedSize = -1
      for (;;) {
        const finished = await session.select(this.opts.selectSliceMs, cut)
        if (finished || cut()) break
        if (early && session.size >= SMALL_SEAL && session.selectedForMs >= this.opts.firstSealAfterMs) {
          early = false
          sealedSize = session.size
          await this.sealInto(proc, session, session.size)
          if (cut()) break
        }
        await yieldTurn()
      }
      if (proc.stopped) return
      // Seal no more than fits before the payload is due: getPayload's deadline when it is waiting,
      // else the slot's start (the payload's timestamp), when the timestamp follows the wall clock.
      // A seal cannot be interrupted, and one that ends after getPayload only costs newPayload the CPU.
      let limit = session.size
      const budget = proc.sealBy !== undefined ? proc.sealBy - performance.now() : this.timeToSlot(proc)
      const perTx = this.sealCostPerTx(session)
      if (budget !== undefined && perTx > 0) limit = Math.min(limit, Math.max(SMALL_SEAL, Math.floor((budget * SEAL_SHARE) / perTx)))
      // Nothing to gain from sealing no more transactions than the best already has.
      if (proc.best !== undefined && limit <= Math.max(sealedSize, proc.best.block.transactions.length)) return
      await this.sealInto(proc, session, limit)
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message, id: proc.id }, 'Payload build failed')
    }
  }

  /** Estimated milliseconds of sealing per transaction: measured on earlier seals, else from selection. */
  private sealCostPerTx(session: BuildSession): number {
    return this.sealMsPerTx > 0 ? this.sealMsPerTx : session.msPerTx * SEAL_COST
  }

  /** Seals the first `limit` selected transactions; the result becomes the best when worth at least as much. */
  private async sealInto(proc: BuildProcess, session: BuildSession, limit: number): Promise<void> {
    const t = performance.now()
    const built = await session.seal(limit)
    if (limit >= MIN_RATE_SAMPLE) {
      const per = (performance.now() - t) / limit
      // Down at once, up slowly: a cold first seal must not keep later blocks small (the early best
      // already covers getPayload, so an optimistic estimate costs CPU, not the payload).
      this.sealMsPerTx = this.sealMsPerTx > 0 && per > this.sealMsPerTx ? (3 * this.sealMsPerTx + per) / 4 : per
    }
    for (const sk of built.skipped) this.opts.logger.debug({ tx: bytesToHex(sk.tx.hash()), err: sk.error }, 'Builder skipped transaction')
    if (proc.best === undefined || built.blockValue >= proc.best.blockValue) {
      proc.best = toBest(built, proc.version)
      proc.bestOutcome = built.outcome
    }
    const txs = built.block.transactions.length
    this.opts.logger.debug({ id: proc.id, txs, selected: session.size, selectMs: Math.round(session.selectedForMs), sealMs: Math.round(performance.now() - t) }, 'Sealed payload')
  }

  private async open(proc: BuildProcess, txs: Iterable<TypedTransaction>): Promise<BuildSession> {
    const chain = this.opts.chain
    // The seal may run on the executor's workers, which read LevelDB itself (Chain: written behind).
    await chain.store.kv.settled?.()
    return BuildSession.open({
      parent: proc.parent,
      base: chain.store.kv,
      headerByHash: (h) => chain.store.getHeader(h),
      common: chain.common,
      attributes: proc.attributes,
      txs,
      executor: chain.executor,
    })
  }

  private stop(proc: BuildProcess): void {
    proc.stopped = true
    if (proc.timer !== undefined) clearTimeout(proc.timer)
  }

  /** The best payload built so far (stops the process). Undefined for an unknown id. */
  async get(id: Uint8Array): Promise<BuiltPayload | undefined> {
    const proc = this.processes.get(bytesToHex(id))
    if (proc === undefined) return undefined
    // An empty best while a build runs is treated as none (the build may carry the pool's transactions).
    if ((proc.best === undefined || proc.best.block.transactions.length === 0) && proc.running !== undefined) {
      const deadline = performance.now() + this.opts.getPayloadDeadlineMs
      proc.sealBy = deadline
      let timer: NodeJS.Timeout | undefined
      await Promise.race([proc.running, new Promise((r) => (timer = setTimeout(r, deadline - performance.now())))])
      clearTimeout(timer)
    }
    this.stop(proc)
    if (proc.best === undefined) {
      // Nothing sealed in time: an empty block is always possible and fast.
      const built = await (await this.open(proc, [])).seal()
      proc.best = toBest(built, proc.version)
      proc.bestOutcome = built.outcome
    }
    if (proc.bestOutcome !== undefined) this.opts.chain.rememberSealed(proc.best.block, proc.bestOutcome)
    return proc.best
  }

  close(): void {
    for (const p of this.processes.values()) this.stop(p)
    this.processes.clear()
  }
}

/** The blob base fee of the block after `parent`, built at `timestamp` (its excess blob gas decides it). */
export function blobBaseFeeAfter(parent: BlockHeader, timestamp: bigint): bigint {
  const next = createBlockHeader(
    { number: parent.number + 1n, timestamp, excessBlobGas: parent.calcNextExcessBlobGas(forkOf(parent, timestamp)) },
    { common: parent.common, setHardfork: true, skipConsensusFormatValidation: true },
  )
  return next.getBlobGasPrice()
}

function forkOf(parent: BlockHeader, timestamp: bigint): Common {
  const c = parent.common.copy()
  c.setHardforkBy({ blockNumber: parent.number + 1n, timestamp })
  return c
}

function toBest(built: BuiltBlock, version: number): BuiltPayload {
  return {
    block: built.block,
    blockValue: built.blockValue,
    ...(built.requests ? { requests: built.requests } : {}),
    ...(built.blockAccessList ? { blockAccessList: built.blockAccessList } : {}),
    version,
  }
}

/** EIP-4844's integer approximation of factor · e^(numerator / denominator). */
export function fakeExponential(factor: bigint, numerator: bigint, denominator: bigint): bigint {
  let i = 1n
  let output = 0n
  let acc = factor * denominator
  while (acc > 0n) {
    output += acc
    acc = (acc * numerator) / (denominator * i)
    i++
  }
  return output / denominator
}
