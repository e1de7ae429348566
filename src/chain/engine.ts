// The Engine API's semantics over the chain, in typed form (the wire adapter is src/engine-api):
// payload status for newPayload, forkchoice updates with consistency checks, payload building,
// payload bodies. Calls arrive already in order (the RPC server processes them one at a time).
import type { Block, BlockHeader } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { PayloadAttributes } from '../exec/build.ts'
import { RpcCode, RpcError } from '../rpc/errors.ts'
import type { PayloadBuilder, BuiltPayload } from './builder.ts'
import type { Chain } from './chain.ts'
import { logImported } from './import-log.ts'

export type PayloadStatusKind = 'VALID' | 'INVALID' | 'SYNCING' | 'ACCEPTED' | 'INVALID_BLOCK_HASH'

export interface PayloadStatus {
  status: PayloadStatusKind
  latestValidHash: Uint8Array | null
  validationError: string | null
}

export interface ForkchoiceState {
  headBlockHash: Uint8Array
  safeBlockHash: Uint8Array
  finalizedBlockHash: Uint8Array
}

export interface ForkchoiceResult {
  payloadStatus: PayloadStatus
  payloadId: Uint8Array | null
}

const ZERO32 = new Uint8Array(32)
const isZero = (h: Uint8Array): boolean => equalsBytes(h, ZERO32)

export interface EngineServiceOptions {
  chain: Chain
  builder: PayloadBuilder
  logger: Logger
  /** Payloads with unknown parents kept until their ancestors arrive. */
  maxOrphans?: number
  /** Called with each block hash whose parent is unknown (p2p can fetch ancestors). */
  onMissingParent?: (block: Block) => void
  /** Dev mode: a block without transactions is logged at debug (an idle dev chain is quiet at info). */
  quietEmptyBlocks?: boolean
}

export class EngineService {
  readonly chain: Chain
  private readonly builder: PayloadBuilder
  private readonly logger: Logger
  private readonly orphans = new Map<string, Block>()
  private readonly maxOrphans: number
  private readonly onMissingParent: ((block: Block) => void) | undefined
  private readonly quietEmptyBlocks: boolean
  /** Last time a consensus client called (for the "no consensus client seen" warning). */
  lastCall = 0

  constructor(opts: EngineServiceOptions) {
    this.chain = opts.chain
    this.builder = opts.builder
    this.logger = opts.logger
    this.maxOrphans = opts.maxOrphans ?? 512
    this.onMissingParent = opts.onMissingParent
    this.quietEmptyBlocks = opts.quietEmptyBlocks ?? false
  }

  /** newPayload after the wire checks (shape, fork, block hash, versioned hashes) passed. */
  async newPayload(block: Block, opts: { blockAccessList?: Uint8Array } = {}): Promise<PayloadStatus> {
    this.lastCall = Date.now()
    const hash = block.hash()
    const res = await this.chain.insertBlock(block, opts)
    switch (res.status) {
      case 'imported':
      case 'known':
        if (res.status === 'imported') logImported(this.logger, block, res, this.quietEmptyBlocks && block.transactions.length === 0 ? 'debug' : 'info')
        this.orphans.delete(bytesToHex(hash))
        await this.adoptOrphansOf(hash)
        return { status: 'VALID', latestValidHash: hash, validationError: null }
      case 'invalid':
        return { status: 'INVALID', latestValidHash: res.latestValidHash ?? null, validationError: res.message ?? res.reason ?? 'invalid block' }
      case 'unknown-parent':
        this.rememberOrphan(block)
        return { status: 'SYNCING', latestValidHash: null, validationError: null }
    }
  }

  private rememberOrphan(block: Block): void {
    this.orphans.set(bytesToHex(block.hash()), block)
    while (this.orphans.size > this.maxOrphans) this.orphans.delete(this.orphans.keys().next().value!)
    this.onMissingParent?.(block)
  }

  /** Executes remembered payloads whose parent just became known (best effort, in order). */
  private async adoptOrphansOf(parent: Uint8Array): Promise<void> {
    for (const [h, b] of this.orphans) {
      if (!equalsBytes(b.header.parentHash, parent)) continue
      this.orphans.delete(h)
      const res = await this.chain.insertBlock(b)
      if (res.status === 'imported' || res.status === 'known') await this.adoptOrphansOf(b.hash())
    }
  }

  /** Tries to connect a remembered chain ending at `hash` to known blocks. */
  private async resolveOrphanChain(hash: Uint8Array): Promise<boolean> {
    const chainUp: Block[] = []
    let cursor = this.orphans.get(bytesToHex(hash))
    while (cursor !== undefined) {
      chainUp.push(cursor)
      if (await this.chain.store.hasBlock(cursor.header.parentHash)) break
      cursor = this.orphans.get(bytesToHex(cursor.header.parentHash))
    }
    if (cursor === undefined) return false
    for (const b of chainUp.reverse()) {
      this.orphans.delete(bytesToHex(b.hash()))
      const res = await this.chain.insertBlock(b)
      if (res.status !== 'imported' && res.status !== 'known') return false
    }
    return true
  }

  /**
   * forkchoiceUpdated: validates and applies the forkchoice state; then, when `prepare` is given,
   * asks it for the payload attributes (it throws -38003/-38005/-32602 as the version demands; the
   * head update stays applied) and starts a build.
   */
  async forkchoiceUpdated(
    state: ForkchoiceState,
    prepare?: (head: BlockHeader) => { attributes: PayloadAttributes; version: number },
  ): Promise<ForkchoiceResult> {
    this.lastCall = Date.now()
    const chain = this.chain
    const invalid = chain.invalid.get(state.headBlockHash)
    if (invalid !== undefined) {
      return { payloadStatus: { status: 'INVALID', latestValidHash: invalid.latestValidHash, validationError: invalid.message }, payloadId: null }
    }
    let head = await chain.store.getHeader(state.headBlockHash)
    if (head === undefined && (await this.resolveOrphanChain(state.headBlockHash))) {
      head = await chain.store.getHeader(state.headBlockHash)
    }
    if (head === undefined) {
      const inv = chain.invalid.get(state.headBlockHash)
      if (inv !== undefined) return { payloadStatus: { status: 'INVALID', latestValidHash: inv.latestValidHash, validationError: inv.message }, payloadId: null }
      return { payloadStatus: { status: 'SYNCING', latestValidHash: null, validationError: null }, payloadId: null }
    }
    // safe and finalized must be on the chain of head (zero = not yet known to the CL).
    for (const [name, h] of [['safe', state.safeBlockHash], ['finalized', state.finalizedBlockHash]] as const) {
      if (isZero(h)) continue
      if (!(await chain.isAncestor(head, h))) {
        throw new RpcError(RpcCode.InvalidForkchoiceState, `Invalid forkchoice state: ${name} block ${bytesToHex(h)} is not an ancestor of head`)
      }
    }
    // A head that is a VALID ancestor of the finalized block: skip the update, start no build.
    const finalizedHash = await chain.store.getMeta('finalized')
    if (finalizedHash !== undefined && !equalsBytes(finalizedHash, chain.genesis.hash())) {
      const fin = await chain.store.getHeader(finalizedHash)
      if (fin !== undefined && head.number < fin.number && (await chain.isAncestor(fin, head.hash()))) {
        return { payloadStatus: { status: 'VALID', latestValidHash: head.hash(), validationError: null }, payloadId: null }
      }
    }
    const previousHead = chain.head.hash()
    await chain.setHead(head.hash(), {
      ...(isZero(state.safeBlockHash) ? {} : { safe: state.safeBlockHash }),
      ...(isZero(state.finalizedBlockHash) ? {} : { finalized: state.finalizedBlockHash }),
    })
    if (!equalsBytes(previousHead, head.hash())) {
      // One block on top of the old head: its import line said it all (debug); a reorg or a jump: info.
      const extends1 = equalsBytes(head.parentHash, previousHead)
      this.logger[extends1 ? 'debug' : 'info']({ number: Number(head.number), hash: bytesToHex(head.hash()) }, 'Chain head was updated')
    }
    const payloadStatus: PayloadStatus = { status: 'VALID', latestValidHash: head.hash(), validationError: null }
    if (prepare === undefined) return { payloadStatus, payloadId: null }
    const { attributes, version } = prepare(head)
    const payloadId = this.builder.start(head, attributes, version)
    return { payloadStatus, payloadId }
  }

  async getPayload(id: Uint8Array): Promise<BuiltPayload> {
    this.lastCall = Date.now()
    const built = await this.builder.get(id)
    if (built === undefined) throw new RpcError(RpcCode.UnknownPayload, 'Unknown payload')
    return built
  }

  async payloadBodiesByHash(hashes: Uint8Array[]): Promise<(Block | null)[]> {
    return Promise.all(hashes.map(async (h) => (await this.chain.store.getBlock(h)) ?? null))
  }

  async payloadBodiesByRange(start: bigint, count: bigint): Promise<(Block | null)[]> {
    const out: (Block | null)[] = []
    const headNumber = this.chain.head.number
    for (let n = start; n < start + count && n <= headNumber; n++) {
      const h = await this.chain.store.getCanonicalHash(n)
      out.push(h === undefined ? null : ((await this.chain.store.getBlock(h)) ?? null))
    }
    return out
  }
}
