// The block producer of the MixChain differential runs (test/helpers/mix-chain-runner.ts): draws each
// block's transactions from a MixChain (test/helpers/workloads/random-mix.ts) and seals the block —
// SequentialExecutor in `generate` mode on its own in-memory copy of the state — as a block builder
// elsewhere on the network would. The chain under test only ever sees the RLP. `startProducer` runs it in a worker
// thread (ahead of the consumer, on the core the speculation workers leave idle) or inline.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { createBlock, genWithdrawalsTrieRoot, type Block, type BlockHeader, type HeaderData } from '@ethereumjs/block'
import { bytesToHex, createWithdrawal } from '@ethereumjs/util'
import { genesisBlock, writeGenesisState, type GenesisSpec } from '../../config/index.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import type { KVStore } from '../../src/db/interface.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { tsWorkerSource } from '../../src/util/ts-worker.ts'
import { benchGenesis } from './workloads/genesis.ts'
import { Rng } from './workloads/keys.ts'
import { MixChain, type MixKind } from './workloads/random-mix.ts'

/** Transactions per block: 0..48, mostly few (10% empty, 60% 1-3, 24% 4-8, 5% 9-16, 1% 17-48; about 3.6 on average). */
export function blockSize(rng: Rng): number {
  const r = rng.next()
  if (r < 0.1) return 0
  if (r < 0.7) return rng.int(1, 3)
  if (r < 0.94) return rng.int(4, 8)
  if (r < 0.99) return rng.int(9, 16)
  return rng.int(17, 48)
}

/** Focused blocks draw from one of these groups only (more conflicts between the same kinds). */
export const FOCUS_GROUPS: readonly (readonly MixKind[])[] = [
  ['selfdestruct-new', 'selfdestruct-existing', 'transfer'],
  ['create', 'create2', 'create2-collision'],
  ['eip7702', 'sender-chain', 'transfer'],
  ['coinbase-transfer', 'coinbase-reader', 'transfer'],
  ['precompiles', 'blockhash', 'revert', 'out-of-gas'],
  ['erc20-hot', 'amm-swap', 'sender-chain'],
]
/** Share of blocks that are focused. */
const FOCUS = 0.1
/** Share of blocks handed over with their draft too. */
const DRAFTS = 0.05

export interface ProducedBlock {
  rlp: Uint8Array
  /** What each transaction exercises. */
  kinds: MixKind[]
  /** For a sample of blocks: the block before sealing (header roots empty), to seal again elsewhere. */
  draft?: Uint8Array
}

/** The genesis of a MixChain on `kv` (the producer's and the consumer's are the same block). */
export async function writeMixGenesis(kv: KVStore, mix: MixChain, spec: GenesisSpec = benchGenesis(mix.alloc)): Promise<Block> {
  const { block } = await initGenesis(kv, {
    common: mix.common,
    writeState: (o) => writeGenesisState(spec, o),
    block: (root) => genesisBlock(spec, mix.common, root),
    chainConfig: JSON.stringify({ parallaxMixChain: mix.seed }),
  })
  return block
}

/** Seals MixChain blocks one after the other on its own in-memory state. */
export class MixChainProducer {
  readonly mix: MixChain
  private readonly spec: GenesisSpec
  private readonly rng: Rng
  private readonly kv = new MemoryKV()
  // ethereumjs' own per-put trie flush: the headers' state roots then check the batched flush
  // (state.ts) of every executor the chain runs.
  private readonly sealer = new SequentialExecutor({ libraryFlush: true, stock: true })
  private readonly headers = new Map<string, BlockHeader>()
  private head: BlockHeader | undefined
  private withdrawalIndex = 0n

  constructor(seed: number) {
    this.mix = new MixChain(seed)
    this.spec = benchGenesis(this.mix.alloc)
    this.rng = new Rng(seed, 'mix-chain-producer')
  }

  private remember(h: BlockHeader): void {
    this.headers.set(bytesToHex(h.hash()), h)
    this.head = h
  }

  /**
   * The next block's draft on `parent` (header roots empty: sealing fills them in) and what each
   * transaction exercises. next() seals it here; a caller that seals it on its own store (the same
   * state: the chain from the same seed) calls accept() with the sealed header instead.
   */
  async draft(parent: BlockHeader): Promise<{ draft: Block; kinds: MixKind[] }> {
    const { mix, rng } = this
    const txs = blockSize(rng)
    const next = mix.next({ txs, ...(rng.chance(FOCUS) ? { kinds: rng.pick(FOCUS_GROUPS) } : {}) })
    const common = mix.common.copy()
    const timestamp = parent.timestamp + BigInt(rng.int(1, 12))
    common.setHardforkBy({ blockNumber: parent.number + 1n, timestamp })
    // withdrawals now and then: credited after the transactions, on the main thread only
    const withdrawals = Array.from({ length: rng.chance(0.1) ? rng.int(1, 2) : 0 }, () =>
      createWithdrawal({
        index: this.withdrawalIndex++,
        validatorIndex: rng.int(0, 1000),
        address: rng.chance(0.5) ? next.coinbase : rng.pick([...mix.addresses.authorities, mix.addresses.counter, mix.addresses.selfdestructor]),
        amount: rng.bigint(1n, 10n ** 9n),
      }),
    )
    // MixChain's chain is Prague from genesis: every Cancun/Prague header field is there.
    const header: HeaderData = {
      parentHash: parent.hash(),
      number: parent.number + 1n,
      timestamp,
      gasLimit: parent.gasLimit,
      coinbase: next.coinbase,
      mixHash: rng.bytes(32),
      baseFeePerGas: parent.calcNextBaseFee(),
      excessBlobGas: parent.calcNextExcessBlobGas(common),
      blobGasUsed: 0n,
      parentBeaconBlockRoot: rng.bytes(32),
      withdrawalsRoot: await genWithdrawalsTrieRoot(withdrawals),
    }
    const draft = createBlock({ header, transactions: next.txs, withdrawals }, { common, setHardfork: true })
    return { draft, kinds: next.kinds }
  }

  /** A block of this chain sealed elsewhere from draft(): the next draft builds on it. */
  accept(header: BlockHeader): void {
    this.remember(header)
  }

  /**
   * The next block, sealed by SequentialExecutor in `generate` mode (as the node seals payloads).
   * Throws when a transaction is not valid in order (the generator lost track of the state).
   */
  async next(): Promise<ProducedBlock> {
    if (this.head === undefined) this.remember((await writeMixGenesis(this.kv, this.mix, this.spec)).header)
    const parent = this.head!
    const { draft, kinds } = await this.draft(parent)
    const rng = this.rng
    const headerByHash = async (h: Uint8Array): Promise<BlockHeader | undefined> => this.headers.get(bytesToHex(h))
    const out = await this.sealer.execute({ block: draft, parent, base: this.kv, headerByHash, common: this.mix.common, generate: true })
    const sealed = out.sealed
    if (sealed === undefined) throw new Error('the sequential executor did not hand back the sealed block')
    await this.kv.batch(out.writes)
    this.remember(sealed.header)
    return { rlp: sealed.serialize(), kinds, ...(rng.chance(DRAFTS) ? { draft: draft.serialize() } : {}) }
  }
}

/** A stream of produced blocks. */
export interface BlockSource {
  next(): Promise<ProducedBlock>
  close(): Promise<void>
}

interface ProducerInit {
  role: 'mix-chain-producer'
  seed: number
}
type ProducerMessage = { ok: true; block: ProducedBlock } | { ok: false; error: string }

/** How many blocks the producer thread may run ahead of the consumer. */
const LEAD = 16

/** A producer for `seed`: in a worker thread (default) or inline on this thread. */
export function startProducer(seed: number, opts: { thread?: boolean } = {}): BlockSource {
  if (opts.thread === false) {
    const p = new MixChainProducer(seed)
    return { next: () => p.next(), close: async () => undefined }
  }
  const worker = new Worker(tsWorkerSource(import.meta.url), { eval: true, workerData: { role: 'mix-chain-producer', seed } satisfies ProducerInit })
  const queue: ProducerMessage[] = []
  const waiting: ((m: ProducerMessage) => void)[] = []
  const deliver = (m: ProducerMessage): void => {
    const w = waiting.shift()
    if (w !== undefined) w(m)
    else queue.push(m)
  }
  worker.on('message', deliver)
  worker.on('error', (err) => deliver({ ok: false, error: `producer thread: ${err.message}` }))
  worker.on('exit', (code) => deliver({ ok: false, error: `producer thread exited (${code})` }))
  return {
    async next() {
      const m = queue.shift() ?? (await new Promise<ProducerMessage>((resolve) => waiting.push(resolve)))
      if (!m.ok) {
        queue.unshift(m) // every later call fails the same way
        throw new Error(m.error)
      }
      worker.postMessage('more')
      return m.block
    },
    async close() {
      worker.removeAllListeners('exit')
      await worker.terminate()
    },
  }
}

/** Worker side: produce LEAD blocks, then one more per block the consumer takes. */
function serve(init: ProducerInit): void {
  const producer = new MixChainProducer(init.seed)
  let credit = LEAD
  let running = false
  let failed = false
  const pump = async (): Promise<void> => {
    if (running || failed) return
    running = true
    try {
      while (credit > 0) {
        credit--
        const block = await producer.next()
        parentPort!.postMessage({ ok: true, block } satisfies ProducerMessage)
      }
    } catch (err) {
      failed = true
      parentPort!.postMessage({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ProducerMessage)
    } finally {
      running = false
    }
  }
  parentPort!.on('message', () => {
    credit++
    void pump()
  })
  void pump()
}

const init = workerData as ProducerInit | undefined
if (!isMainThread && init?.role === 'mix-chain-producer') serve(init)
