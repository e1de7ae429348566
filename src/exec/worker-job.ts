// The speculation workers' side of the protocol with the main thread (messages, replies) and what
// every worker job needs: the block decoded once per block, its transactions decoded lazily, the
// chain's Common rebuilt once per chain, replies batched, and the per-transaction gate (the block
// is over, or the main thread has reached the transaction).
import type { TriePart, TriePartResult } from './split-root.ts'
import type { MessagePort } from 'node:worker_threads'
import { Block, createBlockHeaderFromBytesArray } from '@ethereumjs/block'
import { createTxFromBlockBodyData, type TypedTransaction } from '@ethereumjs/tx'
import { Common } from '@ethereumjs/common'
import type { ChainConfig, ParamsDict } from '@ethereumjs/common'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import { RLP } from '@ethereumjs/rlp'
import { Caches } from '@ethereumjs/statemanager'
import type { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { viaGetSync } from '../db/interface.ts'
import type { LevelKV } from '../db/level.ts'
import { Overlay } from '../db/overlay.ts'
import { parallaxCryptoWithKzg } from './crypto.ts'
import { txDecodeCommon } from '../util/tx-common.ts'
import { openTrie } from './state.ts'
import type { TxEffects } from './effects.ts'
import type { TxTrace } from './parallel-trace.ts'

/** What a worker needs to rebuild the chain's Common. */
export interface CommonInit {
  /** Identifies the Common: workers build it once per key. */
  key: string
  chain: ChainConfig
  params: ParamsDict
  eips: number[]
}

export interface BlockRef {
  common: CommonInit
  blockRlp: Uint8Array
}

/**
 * Recover senders: chunks of `chunk` transactions claimed from `claim[0]` (shared with the main
 * thread and the other workers, each taking the next unclaimed chunk), each posted as recovered.
 */
export interface SendersJob extends BlockRef {
  id: number
  claim: Int32Array
  chunk: number
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
   * Indices of `indices` run even after the main thread has reached them: a chain of hot calls, each
   * reading what the one before wrote (the main thread runs one itself when its result is late;
   * skipping it here would leave the chain's later calls reading stale state).
   */
  keep?: number[]
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
  | { id: number; ok: true; kind: 'senders'; from: number; pubkeys: (Uint8Array | null)[] }
  | { id: number; ok: true; kind: 'senders-done' }
  | { id: number; ok: true; kind: 'traces'; indices: number[]; traces: (TxTrace | null)[]; pubkeys: (Uint8Array | null)[] }
  | { id: number; ok: true; kind: 'effects'; indices: number[]; effects: (TxEffects | null)[]; pubkeys: (Uint8Array | null)[] }
  | { id: number; ok: true; kind: 'done'; busyMs: number; traceBytes: number }
  | { id: number; ok: true; kind: 'trie-task'; task: number; results: TriePartResult[] }
  /** The helper has claimed its last trie task (every 'trie-task' it ran came before this). */
  | { id: number; ok: true; kind: 'trie' }
  | { id: number; ok: false; error: string }

export type WorkerMessage =
  | { type: 'init'; kvPath: string }
  | ({ type: 'senders' } & SendersJob)
  | ({ type: 'job' } & SpecJob)
  /** A block's state-root trie updates (split-root.ts): claim tasks from `claim` and run them over this worker's store. */
  | { type: 'trie'; id: number; tasks: TriePart[][]; claim: Int32Array }

/** BLOCKHASH is not served in workers: a transaction that asks for it is re-executed on the main thread. */
export const noBlockchain: EVMMockBlockchainInterface = {
  async getBlock(): Promise<never> {
    throw new Error('BLOCKHASH is not available to speculation workers')
  },
  async putBlock(): Promise<void> {},
  shallowCopy(): EVMMockBlockchainInterface {
    return noBlockchain
  },
}

const commons = new Map<string, Common>()
/** The block being worked on: its header, and its transactions decoded lazily (only those this worker needs). */
export interface DecodedBlock {
  rlp: Uint8Array
  block: Block
  raw: TxBodyData[]
  txs: Map<number, TypedTransaction>
  /** The Common its transactions are decoded with (util/tx-common.ts). */
  txCommon: Common
}
type TxBodyData = Parameters<typeof createTxFromBlockBodyData>[0]
let lastBlock: DecodedBlock | undefined

/** Forgets the decoded block (a re-init: the next job may be another store's block of the same bytes). */
export function forgetBlock(): void {
  lastBlock = undefined
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

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

export function blockOf(ref: BlockRef): DecodedBlock {
  if (lastBlock !== undefined && sameBytes(lastBlock.rlp, ref.blockRlp)) return lastBlock
  const values = RLP.decode(ref.blockRlp) as unknown as [Uint8Array[], TxBodyData[]]
  const header = createBlockHeaderFromBytesArray(values[0], { common: commonFor(ref.common), setHardfork: true })
  // runTx only reads the header (and its Common) from the block.
  const block = new Block(header)
  lastBlock = { rlp: ref.blockRlp, block, raw: values[1], txs: new Map(), txCommon: txDecodeCommon(header.common) }
  return lastBlock
}

export function txAt(d: DecodedBlock, i: number, pubkey?: Uint8Array | null): TypedTransaction {
  let tx = d.txs.get(i)
  if (tx === undefined) {
    tx = createTxFromBlockBodyData(d.raw[i]!, { common: d.txCommon })
    d.txs.set(i, tx)
  }
  if (pubkey !== undefined && pubkey !== null && tx.cache.senderPubKey === undefined && Object.isFrozen(tx)) tx.cache.senderPubKey = pubkey
  return tx
}

export function recoverSenders(job: SendersJob, post: (from: number, pubkeys: (Uint8Array | null)[]) => void): void {
  const d = blockOf(job)
  const n = d.raw.length
  for (let from = Atomics.add(job.claim, 0, 1) * job.chunk; from < n; from = Atomics.add(job.claim, 0, 1) * job.chunk) {
    const out: (Uint8Array | null)[] = []
    for (let i = from; i < Math.min(n, from + job.chunk); i++) {
      try {
        out.push(txAt(d, i).getSenderPublicKey())
      } catch {
        out.push(null) // validation on the main thread finds out why
      }
    }
    post(from, out)
  }
}

export interface JobStats {
  busyMs: number
  traceBytes: number
}

/** Per-transaction results (with the sender keys this worker recovered), posted in batches. */
export class ReplyBatch<T> {
  private indices: number[] = []
  private items: (T | null)[] = []
  private pubkeys: (Uint8Array | null)[] = []
  constructor(
    private readonly size: number,
    private readonly send: (indices: number[], items: (T | null)[], pubkeys: (Uint8Array | null)[]) => void,
  ) {}
  add(idx: number, item: T | null, tx: TypedTransaction): void {
    this.indices.push(idx)
    this.items.push(item)
    let pk: Uint8Array | null = null
    try {
      pk = tx.getSenderPublicKey()
    } catch {
      pk = null
    }
    this.pubkeys.push(pk)
    if (this.indices.length >= this.size) this.flush()
  }
  flush(): void {
    if (this.indices.length === 0) return
    this.send(this.indices, this.items, this.pubkeys)
    this.indices = []
    this.items = []
    this.pubkeys = []
  }
}

/**
 * Before transaction `idx`: stop (the block is over), skip (the main thread has reached it, and it is
 * not in `keep`: SpecJob.keep) or run (after the test delay).
 */
export async function gate(job: SpecJob, idx: number, keep?: ReadonlySet<number>): Promise<'stop' | 'skip' | 'run'> {
  if (job.cancel !== undefined && Atomics.load(job.cancel, 0) === 1) return 'stop'
  if (job.cancel !== undefined && Atomics.load(job.cancel, 1) >= idx && keep?.has(idx) !== true) return 'skip'
  if (job.delayMs !== undefined && job.delayMs > 0) await sleep(Math.random() * job.delayMs)
  return 'run'
}


/** What every job starts from: its block, the Common at the block's fork, and a state over the parent. */
export interface JobContext {
  d: DecodedBlock
  block: Block
  common: Common
  /** State-manager options: the parent's trie over a throwaway overlay, fresh caches. */
  smOpts: { trie: MerklePatriciaTrie; caches: Caches }
  /** The flat tables, when they describe the parent. */
  flat: LevelKV | undefined
}

export function jobContext(kv: LevelKV, job: SpecJob): JobContext {
  const d = blockOf(job)
  const common = d.block.common.copy()
  common.setHardforkBy({ blockNumber: d.block.header.number, timestamp: d.block.header.timestamp })
  const overlay = new Overlay(viaGetSync(kv))
  return { d, block: d.block, common, smOpts: { trie: openTrie(overlay, job.parentStateRoot), caches: new Caches() }, flat: job.useFlat ? kv : undefined }
}
