// Speculation worker (worker_threads): runs the transactions it is given, in order, with the real
// runTx over a state manager that reads the parent state (flat tables when they describe the parent,
// else the trie) and never flushes, and records a trace of each transaction's EVM call (see
// parallel-trace.ts). Nothing here is trusted by the main thread: every read in a trace is checked
// again there.
import { parentPort, type MessagePort } from 'node:worker_threads'
import { Block, createBlockHeaderFromBytesArray } from '@ethereumjs/block'
import { createTxFromBlockBodyData, type TypedTransaction } from '@ethereumjs/tx'
import { Common } from '@ethereumjs/common'
import type { ChainConfig, ParamsDict } from '@ethereumjs/common'
import type { EVM, EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { RLP } from '@ethereumjs/rlp'
import { createVM, runTx, type RunTxResult } from '@ethereumjs/vm'
import { EffectsStateManager, type TxEffects, type TxResultData } from './effects.ts'
import { viaGetSync } from '../db/interface.ts'
import { LevelKV } from '../db/level.ts'
import { Overlay } from '../db/overlay.ts'
import { parallaxCryptoWithKzg } from './crypto.ts'
import { BalStateManager, BalView } from './bal-view.ts'
import { callArgs, encodeValue, hasTxEvmFields, TraceRecorder, traceSize, txEvmFields, type TxTrace } from './parallel-trace.ts'
import { installJumpdestCache, jumpdestStats } from './jumpdest-cache.ts'
import { FlatReadStateManager, openTrie } from './state.ts'

await installJumpdestCache()

/** What a worker needs to rebuild the chain's Common. */
export interface CommonInit {
  /** Identifies the Common: workers build it once per key. */
  key: string
  chain: ChainConfig
  params: ParamsDict
  eips: number[]
}

interface BlockRef {
  common: CommonInit
  blockRlp: Uint8Array
}

/** Recover the senders of transactions [from, to). */
export interface SendersJob extends BlockRef {
  id: number
  from: number
  to: number
}

export interface SpecJob extends BlockRef {
  id: number
  parentStateRoot: Uint8Array
  /** The flat tables describe the parent: read them instead of the trie. */
  useFlat: boolean
  indices: number[]
  /** Sender public keys the main thread already has (by index; null: unknown): no ecrecover for them. */
  pubkeys?: (Uint8Array | null)[]
  /** Traces are posted in batches of this many transactions. */
  batch: number
  /** Test hook: random delay up to this many ms before each transaction. */
  delayMs?: number
  /**
   * EIP-7928 access list the block carries (RLP): every transaction runs against the parent state
   * plus the list's changes at lower indices instead of after this worker's previous transactions.
   */
  bal?: Uint8Array
  /**
   * Shared with the main thread: [0] is set to 1 when the block is over (stop at the next
   * transaction); [1] is the transaction the main thread is at (it runs that one itself when no
   * trace is there, so anything up to it is skipped).
   */
  cancel?: Int32Array
  /**
   * Where the job's replies go (traces, done, error). The main thread reads this port synchronously
   * (receiveMessageOnPort) between transactions: its event loop does not turn while it executes.
   */
  port?: MessagePort
  /**
   * 'effects': record each whole transaction's reads and final writes (effects.ts) instead of a
   * trace of its EVM call. Default 'traces'.
   */
  mode?: 'traces' | 'effects'
}

export type SpecReply =
  | { id: number; ok: true; kind: 'ready' }
  | { id: number; ok: true; kind: 'senders'; pubkeys: (Uint8Array | null)[] }
  | { id: number; ok: true; kind: 'traces'; indices: number[]; traces: (TxTrace | null)[]; pubkeys: (Uint8Array | null)[] }
  | { id: number; ok: true; kind: 'effects'; indices: number[]; effects: (TxEffects | null)[]; pubkeys: (Uint8Array | null)[] }
  | { id: number; ok: true; kind: 'done'; busyMs: number; traceBytes: number }
  | { id: number; ok: false; error: string }

export type WorkerMessage =
  | { type: 'init'; kvPath: string }
  | ({ type: 'senders' } & SendersJob)
  | ({ type: 'job' } & SpecJob)

/** The parts of the worker EVM's block access list it resets before each transaction. */
interface WorkerBal {
  accesses: Record<string, unknown>
  checkpoints: unknown[]
  originalBalances: Map<string, bigint>
  originalCodesAtIndex: Map<string, Uint8Array>
  blockAccessIndex: number
}

/** BLOCKHASH is not served in workers: a transaction that asks for it is re-executed on the main thread. */
const noBlockchain: EVMMockBlockchainInterface = {
  async getBlock(): Promise<never> {
    throw new Error('BLOCKHASH is not available to speculation workers')
  },
  async putBlock(): Promise<void> {},
  shallowCopy(): EVMMockBlockchainInterface {
    return noBlockchain
  },
}

let kv: LevelKV | undefined
const commons = new Map<string, Common>()
/** The block being worked on: its header, and its transactions decoded lazily (only those this worker needs). */
interface DecodedBlock {
  rlp: Uint8Array
  block: Block
  raw: TxBodyData[]
  txs: Map<number, TypedTransaction>
}
type TxBodyData = Parameters<typeof createTxFromBlockBodyData>[0]
let lastBlock: DecodedBlock | undefined

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function commonFor(init: CommonInit): Common {
  let c = commons.get(init.key)
  if (c === undefined) {
    c = new Common({ chain: init.chain, params: init.params, eips: init.eips, customCrypto: parallaxCryptoWithKzg() })
    commons.set(init.key, c)
  }
  return c
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function blockOf(ref: BlockRef): DecodedBlock {
  if (lastBlock !== undefined && sameBytes(lastBlock.rlp, ref.blockRlp)) return lastBlock
  const values = RLP.decode(ref.blockRlp) as unknown as [Uint8Array[], TxBodyData[]]
  const header = createBlockHeaderFromBytesArray(values[0], { common: commonFor(ref.common), setHardfork: true })
  // runTx only reads the header (and its Common) from the block.
  const block = new Block(header)
  lastBlock = { rlp: ref.blockRlp, block, raw: values[1], txs: new Map() }
  return lastBlock
}

function txAt(d: DecodedBlock, i: number, pubkey?: Uint8Array | null): TypedTransaction {
  let tx = d.txs.get(i)
  if (tx === undefined) {
    tx = createTxFromBlockBodyData(d.raw[i]!, { common: d.block.common })
    d.txs.set(i, tx)
  }
  if (pubkey !== undefined && pubkey !== null && tx.cache.senderPubKey === undefined && Object.isFrozen(tx)) tx.cache.senderPubKey = pubkey
  return tx
}

function recoverSenders(job: SendersJob): (Uint8Array | null)[] {
  const d = blockOf(job)
  const out: (Uint8Array | null)[] = []
  for (let i = job.from; i < job.to; i++) {
    try {
      out.push(txAt(d, i).getSenderPublicKey())
    } catch {
      out.push(null) // validation on the main thread finds out why
    }
  }
  return out
}

interface JobStats {
  busyMs: number
  traceBytes: number
}

/** The job in effects mode: each transaction's whole runTx, recorded as reads and final writes. */
async function runEffectsJob(job: SpecJob, post: (r: SpecReply) => void): Promise<JobStats> {
  if (kv === undefined) throw new Error('worker not initialised')
  const t0 = performance.now()
  let traceBytes = 0
  const d = blockOf(job)
  const block = d.block
  const common = block.common.copy()
  common.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
  const overlay = new Overlay(viaGetSync(kv))
  const sm = new EffectsStateManager({ trie: openTrie(overlay, job.parentStateRoot), caches: new Caches() }, job.useFlat ? kv : undefined)
  const vm = await createVM({ common, stateManager: sm, blockchain: noBlockchain })
  await sm.checkpoint() // never committed: nothing is flushed to the trie
  const evm = vm.evm as EVM
  const runCall = evm.runCall.bind(evm)
  evm.runCall = async (opts) => {
    if (opts.message !== undefined || sm.phase !== 'pre') return runCall(opts)
    sm.phase = 'call'
    try {
      return await runCall(opts)
    } finally {
      sm.phase = 'post'
    }
  }
  let indices: number[] = []
  let effects: (TxEffects | null)[] = []
  let pubkeys: (Uint8Array | null)[] = []
  const flush = (): void => {
    if (indices.length === 0) return
    post({ id: job.id, ok: true, kind: 'effects', indices, effects, pubkeys })
    indices = []
    effects = []
    pubkeys = []
  }
  for (const idx of job.indices) {
    if (job.cancel !== undefined && Atomics.load(job.cancel, 0) === 1) break
    if (job.cancel !== undefined && Atomics.load(job.cancel, 1) >= idx) continue
    if (job.delayMs !== undefined && job.delayMs > 0) await sleep(Math.random() * job.delayMs)
    const tx = txAt(d, idx, job.pubkeys?.[idx])
    let fx: TxEffects | null = null
    sm.begin(block.header.coinbase)
    try {
      const r = await runTx(vm, { tx, block, blockGasUsed: 0n })
      const to = tx.to
      const plain = to !== undefined && tx.data.length === 0 && !to.equals(tx.getSenderAddress())
      fx = await sm.end(resultData(r), plain ? to : undefined)
      traceBytes += effectsSize(fx)
    } catch {
      fx = null // the main thread runs it (and finds out why)
    } finally {
      sm.phase = 'pre'
    }
    indices.push(idx)
    effects.push(fx)
    let pk: Uint8Array | null = null
    try {
      pk = tx.getSenderPublicKey()
    } catch {
      pk = null
    }
    pubkeys.push(pk)
    if (indices.length >= job.batch) flush()
  }
  flush()
  return { busyMs: performance.now() - t0, traceBytes }
}

/** The parts of runTx's result the main thread needs (plain data). */
function resultData(r: RunTxResult): TxResultData {
  const receipt = r.receipt as TxResultData['receipt']
  return {
    receipt: { ...receipt, logs: receipt.logs },
    totalGasSpent: r.totalGasSpent,
    blockGasSpent: r.blockGasSpent ?? r.totalGasSpent,
    amountSpent: r.amountSpent,
    gasRefund: r.gasRefund,
    minerValue: r.minerValue,
    bloom: r.bloom.bitvector,
    ...(r.createdAddress !== undefined ? { createdAddress: r.createdAddress.bytes } : {}),
    ...(r.blobGasUsed !== undefined ? { blobGasUsed: r.blobGasUsed } : {}),
  }
}

function effectsSize(fx: TxEffects): number {
  let n = 64
  for (const [a, v] of fx.accountReads) n += a.length + (v?.length ?? 0) + 16
  for (const [a, k, v] of fx.slotReads) n += a.length + k.length + v.length + 24
  for (const [a, v] of fx.accountWrites) n += a.length + v.length + 16
  for (const [a, k, v] of fx.slotWrites) n += a.length + k.length + v.length + 24
  for (const [a, c] of fx.codeWrites) n += a.length + c.length + 16
  for (const log of fx.result.receipt.logs as unknown[][]) n += 64 + ((log[2] as Uint8Array | undefined)?.length ?? 0) + 32 * ((log[1] as unknown[] | undefined)?.length ?? 0)
  return n
}

async function runJob(job: SpecJob, post: (r: SpecReply) => void): Promise<JobStats> {
  if (job.mode === 'effects') return runEffectsJob(job, post)
  if (kv === undefined) throw new Error('worker not initialised')
  const t0 = performance.now()
  let traceBytes = 0
  const d = blockOf(job)
  const block = d.block
  const common = block.common.copy()
  common.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
  const overlay = new Overlay(viaGetSync(kv))
  const smOpts = { trie: openTrie(overlay, job.parentStateRoot), caches: new Caches() }
  const balState = job.bal !== undefined ? new BalStateManager(smOpts, job.useFlat ? kv : undefined, new BalView(job.bal)) : undefined
  const stateManager = balState ?? new FlatReadStateManager(smOpts, job.useFlat ? kv : undefined)
  const vm = await createVM({ common, stateManager, blockchain: noBlockchain })
  // An open checkpoint that is never committed: nothing is ever flushed to the trie.
  await stateManager.checkpoint()
  const evm = vm.evm as EVM
  const recorder = new TraceRecorder(evm)
  const txFields = hasTxEvmFields(evm)
  const bal = evm.blockLevelAccessList as unknown as WorkerBal | undefined
  let current: TxTrace | null = null
  let called = false
  const runCall = evm.runCall.bind(evm)
  evm.runCall = async (opts) => {
    if (opts.message !== undefined || current === null || called || recorder.active) return runCall(opts)
    called = true
    current.args = callArgs(opts)
    if (txFields) current.evmBefore = txEvmFields(evm)
    recorder.start()
    try {
      const res = await runCall(opts)
      current.result = encodeValue(res)
      if (txFields) current.evmAfter = txEvmFields(evm)
      return res
    } finally {
      current.ops = recorder.stop()
    }
  }
  const t1 = performance.now()
  let indices: number[] = []
  let traces: (TxTrace | null)[] = []
  let pubkeys: (Uint8Array | null)[] = []
  const flush = (): void => {
    if (indices.length === 0) return
    post({ id: job.id, ok: true, kind: 'traces', indices, traces, pubkeys })
    indices = []
    traces = []
    pubkeys = []
  }
  for (const idx of job.indices) {
    if (job.cancel !== undefined && Atomics.load(job.cancel, 0) === 1) break
    if (job.cancel !== undefined && Atomics.load(job.cancel, 1) >= idx) continue
    if (job.delayMs !== undefined && job.delayMs > 0) await sleep(Math.random() * job.delayMs)
    const tx = txAt(d, idx, job.pubkeys?.[idx])
    current = { args: callArgs({}), ops: [], result: undefined }
    called = false
    let trace: TxTrace | null = null
    if (bal !== undefined) {
      // Only the main thread's list counts (replay re-adds every entry there): keep this one small,
      // since the EVM deep-copies it at every call frame.
      bal.accesses = {}
      bal.checkpoints = []
      bal.originalBalances.clear()
      bal.originalCodesAtIndex.clear()
      bal.blockAccessIndex = idx + 1
    }
    if (balState !== undefined) {
      balState.accessIndex = idx + 1
      await balState.checkpoint() // reverted below: the next transaction starts from the list again
    }
    try {
      await runTx(vm, { tx, block, blockGasUsed: 0n })
      if (current.result !== undefined) {
        trace = current
        traceBytes += traceSize(trace)
      }
    } catch {
      trace = null
    } finally {
      if (balState !== undefined) await balState.revert()
    }
    current = null
    indices.push(idx)
    traces.push(trace)
    let pk: Uint8Array | null = null
    try {
      pk = tx.getSenderPublicKey()
    } catch {
      pk = null
    }
    pubkeys.push(pk)
    if (indices.length >= job.batch) flush()
  }
  flush()
  if (process.env['PARALLAX_WORKER_TIMING'] !== undefined) {
    process.stderr.write(
      `worker: setup ${(t1 - t0).toFixed(1)} ms, ${job.indices.length} txs ${(performance.now() - t1).toFixed(1)} ms, jumpdest cache ${jumpdestStats.hits} hits/${jumpdestStats.misses} misses\n`,
    )
  }
  return { busyMs: performance.now() - t0, traceBytes }
}

const post = (r: SpecReply): void => parentPort!.postMessage(r)
const failure = (id: number, err: unknown): SpecReply => ({ id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) })
const fail = (id: number, err: unknown): void => post(failure(id, err))

/** Messages are handled one at a time, in arrival order (a re-init never closes the store under a job). */
async function handle(msg: WorkerMessage): Promise<void> {
  switch (msg.type) {
    case 'init':
      lastBlock = undefined
      try {
        await kv?.close()
      } catch {
        // a store that fails to close is dropped anyway
      }
      try {
        kv = await LevelKV.open(msg.kvPath, { multithreading: true })
        post({ id: -1, ok: true, kind: 'ready' })
      } catch (err) {
        kv = undefined
        fail(-1, err)
      }
      return
    case 'senders':
      try {
        post({ id: msg.id, ok: true, kind: 'senders', pubkeys: recoverSenders(msg) })
      } catch (err) {
        fail(msg.id, err)
      }
      return
    case 'job': {
      const port = msg.port
      const reply = port !== undefined ? (r: SpecReply): void => port.postMessage(r) : post
      try {
        const stats = await runJob(msg, reply)
        reply({ id: msg.id, ok: true, kind: 'done', ...stats })
      } catch (err) {
        reply(failure(msg.id, err))
      } finally {
        port?.close()
      }
      return
    }
  }
}

let queue: Promise<void> = Promise.resolve()
parentPort?.on('message', (msg: WorkerMessage) => {
  queue = queue.then(() => handle(msg))
})
