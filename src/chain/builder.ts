// The payload builder: forkchoiceUpdated with attributes starts a build process on the head; it
// rebuilds with the pool's current transactions until getPayload takes the best block so far.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { createBlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { CLRequest, CLRequestType } from '@ethereumjs/util'
import { bigIntToUnpaddedBytes, bytesToHex, concatBytes } from '@ethereumjs/util'
import { RLP } from '@ethereumjs/rlp'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { Logger } from 'pino'
import { buildOnParent, type BuiltBlock, type PayloadAttributes } from '../exec/build.ts'
import type { Chain } from './chain.ts'

/** Where transactions for a block come from (the txpool implements it). */
export interface TxSource {
  pending(baseFee: bigint, blobBaseFee?: bigint): TypedTransaction[]
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
  running?: Promise<void>
  stopped: boolean
  timer?: NodeJS.Timeout
  created: number
}

export interface BuilderOptions {
  chain: Chain
  txs?: TxSource
  logger: Logger
  /** How often to rebuild while nobody has taken the payload (ms). */
  rebuildIntervalMs?: number
  /** getPayload waits at most this long for a first build (the spec's timeout is 1 s). */
  getPayloadDeadlineMs?: number
  /** Build processes kept (oldest dropped). */
  maxProcesses?: number
  /** geth --miner.gaslimit: the target a build moves the parent's gas limit toward (by ≤ 1/1024) when the attributes name none. */
  gasLimit?: bigint
  /** geth --miner.extradata: the extra data of built blocks. */
  extraData?: Uint8Array
}

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

export class PayloadBuilder {
  private readonly processes = new Map<string, BuildProcess>()
  private readonly opts: Required<Omit<BuilderOptions, 'txs' | 'gasLimit' | 'extraData'>> & Pick<BuilderOptions, 'txs' | 'gasLimit' | 'extraData'>

  constructor(opts: BuilderOptions) {
    this.opts = { rebuildIntervalMs: 500, getPayloadDeadlineMs: 900, maxProcesses: 16, ...opts }
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
      if (!proc.stopped) proc.timer = setTimeout(() => this.kick(proc), this.opts.rebuildIntervalMs)
    })
  }

  private async buildOnce(proc: BuildProcess): Promise<void> {
    // Never rejects: a failed build is logged and the previous best payload stays.
    try {
      const chain = this.opts.chain
      const common = chain.common.copy()
      common.setHardforkBy({ blockNumber: proc.parent.number + 1n, timestamp: proc.attributes.timestamp })
      const baseFee = common.isActivatedEIP(1559) ? proc.parent.calcNextBaseFee() : 0n
      const blobBaseFee = common.isActivatedEIP(4844) ? blobBaseFeeAfter(proc.parent, proc.attributes.timestamp) : undefined
      const txs = this.opts.txs?.pending(baseFee, blobBaseFee) ?? []
      const built = await buildOnParent({
        parent: proc.parent,
        base: chain.store.kv,
        headerByHash: (h) => chain.store.getHeader(h),
        common: chain.common,
        attributes: proc.attributes,
        txs,
        executor: chain.executor,
      })
      for (const sk of built.skipped) this.opts.logger.debug({ tx: bytesToHex(sk.tx.hash()), err: sk.error }, 'Builder skipped transaction')
      if (proc.best === undefined || built.blockValue >= proc.best.blockValue) {
        proc.best = toBest(built, proc.version)
      }
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message, id: proc.id }, 'Payload build failed')
    }
  }

  private stop(proc: BuildProcess): void {
    proc.stopped = true
    if (proc.timer !== undefined) clearTimeout(proc.timer)
  }

  /** The best payload built so far (stops the process). Undefined for an unknown id. */
  async get(id: Uint8Array): Promise<BuiltPayload | undefined> {
    const proc = this.processes.get(bytesToHex(id))
    if (proc === undefined) return undefined
    if (proc.best === undefined && proc.running !== undefined) {
      await Promise.race([proc.running, new Promise((r) => setTimeout(r, this.opts.getPayloadDeadlineMs))])
    }
    if (proc.best === undefined) {
      // Nothing finished in time: an empty block is always possible and fast.
      const built = await buildOnParent({
        parent: proc.parent,
        base: this.opts.chain.store.kv,
        headerByHash: (h) => this.opts.chain.store.getHeader(h),
        common: this.opts.chain.common,
        attributes: proc.attributes,
        txs: [],
        executor: this.opts.chain.executor,
      })
      proc.best = toBest(built, proc.version)
    }
    this.stop(proc)
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
