// The transaction pool: validates submitted transactions against the head (geth's rules and
// messages), keeps them per sender by nonce (pending: contiguous from the state nonce; queued:
// behind a gap), orders executable ones for the payload builder, follows the canonical head (drops
// included transactions, re-validates, re-pools reorged-out ones) and serves blobs to the Engine API.
import type { Common } from '@ethereumjs/common'
import { isBlob4844Tx, paramsTx } from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { PrefixedHexString } from '@ethereumjs/util'
import type { Logger } from '../util/logger.ts'
import { BlobStore } from './blob-store.ts'
import type { BlobAndCellProofs, BlobAndProof, BlobsBundle } from './blob-store.ts'
import { decodePoolTx, type DecodedTx } from './decode.ts'
import { Emitter } from '../chain/events.ts'
import { TurnBatch, type Settled } from './turn-batch.ts'
import { TxPoolMessage as M, TxPoolReason as R, txPoolError } from './errors.ts'
import { DEFAULT_POOL_LIMITS } from './limits.ts'
import type { PoolLimits } from './limits.ts'
import { executableOrder } from './order.ts'
import { GAS_PER_BLOB, canReplace, effectiveTip, maxCost } from './pricing.ts'
import type { BlobSidecar } from './sidecar.ts'
import { runEnd, setAccount, splitByRun } from './sender-txs.ts'
import { checkSlots, expiredQueued } from './slots.ts'
import type { Account, PoolTx, SenderTxs } from './sender-txs.ts'

/** The head the pool validates against; the node implements it over the canonical head state. */
export interface PoolState {
  headNumber(): bigint
  headTimestamp(): bigint
  /** Base fee of the next block. */
  baseFee(): bigint
  /** Blob base fee of the next block. */
  blobBaseFee(): bigint
  /** Gas limit of the head block. */
  gasLimit(): bigint
  getAccount(address: Uint8Array): Promise<{ nonce: bigint; balance: bigint } | undefined>
}

export interface TxPoolOptions {
  /** The chain's Common (any hardfork; the pool follows the head). Needs customCrypto.kzg for blobs. */
  common: Common
  state: PoolState
  limits?: Partial<PoolLimits>
  logger: Logger
  /** Called after a submitted or re-pooled transaction entered the pool (a dev-mode driver can build a block). */
  onAdd?: (tx: TypedTransaction) => void
  /** Clock in ms (tests); default Date.now. */
  now?: () => number
}

export interface PoolSize {
  /** Contiguous from each sender's state nonce. */
  pending: number
  /** Behind a nonce gap. */
  queued: number
}

/** txpool_content: per sender (lower-case 0x address), nonce → transaction. */
export interface PoolContent {
  pending: Map<PrefixedHexString, Map<bigint, TypedTransaction>>
  queued: Map<PrefixedHexString, Map<bigint, TypedTransaction>>
}

interface Submission {
  decoded: DecodedTx
  hash: PrefixedHexString
  sender: PrefixedHexString
}

export class TxPool {
  readonly limits: Readonly<PoolLimits>
  private readonly common: Common
  private readonly state: PoolState
  private readonly logger: Logger
  private readonly onAdd: ((tx: TypedTransaction) => void) | undefined
  /** Every transaction that entered the pool (submitted or re-pooled after a reorg). */
  readonly added = new Emitter<TypedTransaction>((err) => this.logger.warn({ err }, 'Transaction pool listener failed'))
  private readonly now: () => number
  private readonly byHash = new Map<PrefixedHexString, PoolTx>()
  private readonly senders = new Map<PrefixedHexString, SenderTxs>()
  private readonly commons = new Map<string, Common>()
  private readonly blobs: BlobStore
  private seq = 0
  /** Decoded submissions, admitted once per event-loop turn (see admitBatch). */
  private readonly intake = new TurnBatch<Submission, TypedTransaction>((batch) => this.admitBatch(batch))
  private lock: Promise<void> = Promise.resolve()

  constructor(opts: TxPoolOptions) {
    this.common = opts.common
    this.state = opts.state
    this.logger = opts.logger
    this.onAdd = opts.onAdd
    this.now = opts.now ?? Date.now
    this.limits = Object.freeze({ ...DEFAULT_POOL_LIMITS, ...opts.limits })
    this.blobs = new BlobStore(() => this.common.customCrypto.kzg)
  }

  /**
   * Validates and pools a transaction in canonical encoding (blob transactions in network form with
   * blobs, commitments and proofs). Returns its hash; throws TxPoolError (-32000) with geth's message.
   */
  async add(raw: Uint8Array): Promise<Uint8Array> {
    const common = this.headCommon()
    const decoded = decodePoolTx(raw, {
      common,
      blockGasLimit: this.state.gasLimit(),
      maxTxSize: this.limits.maxTxSize,
      maxBlobsPerTx: this.maxBlobsPerTx(common),
      minTip: this.limits.minTip,
      minBlobFee: this.limits.minBlobFee,
      isKnown: (hash) => this.byHash.has(bytesToHex(hash)),
    })
    const hash = bytesToHex(decoded.hash)
    const sender = decoded.sender.toString()
    const tx = await this.intake.submit({ decoded, hash, sender })
    this.logger.debug({ hash, sender, nonce: tx.nonce }, 'Pooled new transaction')
    this.notify(tx)
    return decoded.hash
  }

  /**
   * Admits the submissions of one event-loop turn as one batch (TurnBatch): one
   * lock, one account read per sender (a spammer's thousands of transactions per slot cost a few
   * reads, and intake takes the thread a few times per slot instead of once per transaction).
   * Each submission still gets its own answer, in arrival order.
   */
  private admitBatch(batch: Submission[]): Promise<Settled<TypedTransaction>[]> {
    return this.locked(async () => {
      const senders = new Map(batch.map((e) => [e.sender, e.decoded.sender.bytes] as const))
      const accounts = new Map(await Promise.all([...senders].map(async ([s, a]): Promise<[PrefixedHexString, Account]> => [s, await this.readAccount(a)])))
      return batch.map((e): Settled<TypedTransaction> => {
        try {
          if (this.byHash.has(e.hash)) throw txPoolError(R.AlreadyKnown, M.alreadyKnown)
          this.admit(e.decoded.tx, e.hash, e.sender, accounts.get(e.sender)!, e.decoded.sidecar)
          return { value: e.decoded.tx }
        } catch (error) {
          return { error }
        }
      })
    })
  }

  /**
   * Executable transactions in the order a builder should try them: per sender contiguous from the
   * state nonce (stopping at a fee cap below `baseFee`, a blob fee cap below `blobBaseFee`, or an
   * unaffordable one), across senders by effective tip at `baseFee`, highest first (ties: oldest).
   */
  pending(baseFee: bigint, blobBaseFee?: bigint): TypedTransaction[] {
    return executableOrder(this.senders.values(), baseFee, blobBaseFee)
  }

  /**
   * Follows a new canonical head: `added` are the transactions of blocks now canonical, `removed`
   * those of blocks reorged out. Drops included transactions, re-reads every sender's account and
   * drops stale, unaffordable or over-limit ones, then re-pools the reorged-out transactions.
   */
  async onNewHead(added: readonly TypedTransaction[], removed: readonly TypedTransaction[]): Promise<void> {
    const repooled = await this.locked(async () => {
      const head = this.state.headNumber()
      const included = new Set(added.map((tx) => bytesToHex(tx.hash())))
      for (const hash of included) {
        const e = this.byHash.get(hash)
        if (e !== undefined) this.removeEntry(e, head)
      }
      const candidates: { tx: TypedTransaction; hash: PrefixedHexString; sender: PrefixedHexString }[] = []
      for (const tx of removed) {
        const hash = bytesToHex(tx.hash())
        if (included.has(hash) || this.byHash.has(hash) || tx.gasLimit > this.state.gasLimit()) continue
        if (isBlob4844Tx(tx) && !this.blobs.inLimbo(hash)) {
          this.logger.debug({ hash }, 'Dropped reorged-out blob transaction without sidecar')
          continue
        }
        try {
          candidates.push({ tx, hash, sender: tx.getSenderAddress().toString() })
        } catch {
          continue
        }
      }
      const addresses = new Set<PrefixedHexString>([...this.senders.keys(), ...candidates.map((c) => c.sender)])
      const accounts = new Map<PrefixedHexString, Account>(
        await Promise.all([...addresses].map(async (a): Promise<[PrefixedHexString, Account]> => [a, await this.readAccount(hexToBytes(a))])),
      )
      const gasLimit = this.state.gasLimit()
      for (const [sender, list] of [...this.senders]) {
        const account = accounts.get(sender)!
        setAccount(list, account)
        for (const e of [...list.txs.values()]) {
          if (e.nonce < account.nonce || e.tx.gasLimit > gasLimit || e.cost > account.balance) this.removeEntry(e)
        }
      }
      for (const e of expiredQueued(this.senders.values(), this.limits, this.now())) this.removeEntry(e)
      candidates.sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : a.tx.nonce > b.tx.nonce ? 1 : 0))
      const out: TypedTransaction[] = []
      for (const c of candidates) {
        const fromLimbo = isBlob4844Tx(c.tx) && this.blobs.takeFromLimbo(c.hash)
        try {
          this.admit(c.tx, c.hash, c.sender, accounts.get(c.sender)!, fromLimbo ? 'limbo' : undefined)
          out.push(c.tx)
        } catch (err) {
          if (fromLimbo && isBlob4844Tx(c.tx)) this.blobs.release(c.tx.blobVersionedHashes)
          this.logger.debug({ hash: c.hash, err }, 'Dropped reorged-out transaction')
        }
      }
      this.blobs.pruneLimbo(head - this.limits.limboDepth)
      return out
    })
    for (const tx of repooled) this.notify(tx)
  }

  /** Resolves when every change queued so far (submissions, head updates) has been applied. */
  settled(): Promise<void> {
    return this.lock
  }

  get(hash: Uint8Array): TypedTransaction | undefined {
    return this.byHash.get(bytesToHex(hash))?.tx
  }

  has(hash: Uint8Array): boolean {
    return this.byHash.has(bytesToHex(hash))
  }

  /** Drops a transaction (e.g. one the builder found invalid); later nonces of its sender become queued. */
  remove(hash: Uint8Array): boolean {
    const e = this.byHash.get(bytesToHex(hash))
    if (e === undefined) return false
    this.removeEntry(e)
    return true
  }

  get size(): PoolSize {
    let pending = 0
    for (const list of this.senders.values()) pending += Number(runEnd(list) - list.stateNonce)
    return { pending, queued: this.byHash.size - pending }
  }

  /** txpool_content data. */
  content(): PoolContent {
    const out: PoolContent = { pending: new Map(), queued: new Map() }
    for (const [sender, part] of this.senders) {
      const { pending, queued } = splitByRun(part)
      if (pending.size > 0) out.pending.set(sender, pending)
      if (queued.size > 0) out.queued.set(sender, queued)
    }
    return out
  }

  /** txpool_contentFrom data for one sender. */
  contentFrom(address: Uint8Array): { pending: Map<bigint, TypedTransaction>; queued: Map<bigint, TypedTransaction> } {
    const list = this.senders.get(bytesToHex(address))
    return list === undefined ? { pending: new Map(), queued: new Map() } : splitByRun(list)
  }

  /** The nonce after the sender's pooled transactions contiguous from `stateNonce` (eth_getTransactionCount "pending"). */
  nextNonce(address: Uint8Array, stateNonce: bigint): bigint {
    const list = this.senders.get(bytesToHex(address))
    let n = stateNonce
    while (list?.txs.has(n) === true) n++
    return n
  }

  /** engine_getBlobsV1: per versioned hash, blob and proof, or null where the pool lacks it. */
  getBlobs(versionedHashes: readonly Uint8Array[]): (BlobAndProof | null)[] {
    return this.blobs.getBlobs(versionedHashes)
  }

  /** engine_getBlobsV2: per versioned hash, blob and its cell proofs (computed once), or null. */
  getBlobsAndCellProofs(versionedHashes: readonly Uint8Array[]): (BlobAndCellProofs | null)[] {
    return this.blobs.getBlobsAndCellProofs(versionedHashes)
  }

  /** The KZG commitment of a pooled (or recently included) blob, by versioned hash. */
  getCommitment(versionedHash: Uint8Array): Uint8Array | undefined {
    return this.blobs.getCommitment(versionedHash)
  }

  /** The blobs bundle of a pooled blob transaction, for a built payload (cell proofs from Osaka on). */
  blobsBundle(txHash: Uint8Array, cellProofs: boolean): BlobsBundle | undefined {
    const e = this.byHash.get(bytesToHex(txHash))
    return e?.blobHashes === undefined ? undefined : this.blobs.bundle(e.blobHashes, cellProofs)
  }

  // --- internals ------------------------------------------------------------------------------------

  /** State-dependent checks and insertion; throws TxPoolError. `sidecar` 'limbo': blob references already held. */
  private admit(tx: TypedTransaction, hash: PrefixedHexString, sender: PrefixedHexString, account: Account, sidecar: BlobSidecar | 'limbo' | undefined): void {
    const list = this.senderTxs(sender, account)
    const nonce = tx.nonce
    if (nonce < account.nonce) throw txPoolError(R.NonceTooLow, M.nonceTooLow, `next nonce ${account.nonce}, tx nonce ${nonce}`)
    const next = runEnd(list)
    if (nonce > next + this.limits.maxNonceGap) {
      throw txPoolError(R.NonceTooHigh, M.nonceTooHigh, `tx nonce ${nonce}, next nonce ${next}, max gap ${this.limits.maxNonceGap}`)
    }
    const existing = list.txs.get(nonce)
    if (existing !== undefined && !canReplace(existing.tx, tx, this.limits.priceBump, this.limits.blobPriceBump)) {
      throw txPoolError(R.ReplaceUnderpriced, M.replaceUnderpriced)
    }
    const cost = maxCost(tx)
    const balance = account.balance
    if (balance < cost) throw txPoolError(R.InsufficientFunds, M.insufficientFunds, `balance ${balance}, tx cost ${cost}, overshot ${cost - balance}`)
    const spent = list.spent - (existing?.cost ?? 0n)
    if (spent + cost > balance) {
      throw txPoolError(R.InsufficientFunds, M.insufficientFunds, `balance ${balance}, queued cost ${spent}, tx cost ${cost}, overshot ${spent + cost - balance}`)
    }
    if (existing === undefined) {
      if (list.txs.size >= this.limits.maxPerSender) throw txPoolError(R.AccountLimit, M.accountLimit, `pooled ${list.txs.size} txs`)
      const queued = nonce > next
      const queuedCount = list.txs.size - Number(next - account.nonce)
      if (queued && queuedCount >= this.limits.maxQueuedPerSender) throw txPoolError(R.AccountLimit, M.accountLimit, `queued ${queuedCount} txs`)
      if (this.byHash.size >= this.limits.maxTotal) this.makeRoom(tx, sender, queued)
      else checkSlots(this.senders.values(), list, queued, this.limits)
    } else {
      this.removeEntry(existing)
    }
    const entry: PoolTx = { tx, hash, sender, nonce, cost, seq: this.seq++, addedAt: this.now() }
    if (isBlob4844Tx(tx) && sidecar !== undefined) {
      if (sidecar !== 'limbo') this.blobs.add(tx.blobVersionedHashes, sidecar)
      entry.blobHashes = [...tx.blobVersionedHashes]
    }
    // (re)register the list: it is new, or emptied and unregistered by a replacement or an eviction
    this.senders.set(sender, list)
    list.txs.set(nonce, entry)
    list.spent += cost
    this.byHash.set(hash, entry)
  }

  /** Evicts the cheapest last-nonce transaction of another sender to make room, or throws. */
  private makeRoom(tx: TypedTransaction, sender: PrefixedHexString, queued: boolean): void {
    const baseFee = this.state.baseFee()
    let victim: PoolTx | undefined
    let victimTip = 0n
    for (const [other, list] of this.senders) {
      if (other === sender) continue
      let tail: PoolTx | undefined
      for (const e of list.txs.values()) if (tail === undefined || e.nonce > tail.nonce) tail = e
      if (tail === undefined) continue
      // a queued transaction may only push out another queued one
      if (queued && tail.nonce < runEnd(list)) continue
      const tip = effectiveTip(tail.tx, baseFee)
      if (victim === undefined || tip < victimTip || (tip === victimTip && tail.seq > victim.seq)) {
        victim = tail
        victimTip = tip
      }
    }
    if (victim === undefined) throw txPoolError(R.PoolFull, M.poolFull)
    if (effectiveTip(tx, baseFee) <= victimTip) throw txPoolError(R.Underpriced, M.underpriced)
    this.logger.debug({ hash: victim.hash, sender: victim.sender, nonce: victim.nonce }, 'Evicted transaction from full pool')
    this.removeEntry(victim)
  }

  /** The sender's list with fresh account data; transactions below the state nonce are dropped. */
  private senderTxs(sender: PrefixedHexString, account: Account): SenderTxs {
    const list = this.senders.get(sender)
    if (list === undefined) return { stateNonce: account.nonce, balance: account.balance, txs: new Map(), spent: 0n, runEnd: account.nonce }
    setAccount(list, account)
    for (const e of [...list.txs.values()]) if (e.nonce < account.nonce) this.removeEntry(e)
    return list
  }

  /** Takes a transaction out; `includedAt` moves its blobs to the limbo instead of releasing them. */
  private removeEntry(e: PoolTx, includedAt?: bigint): void {
    this.byHash.delete(e.hash)
    const list = this.senders.get(e.sender)
    if (list !== undefined && list.txs.get(e.nonce) === e) {
      list.txs.delete(e.nonce)
      list.spent -= e.cost
      if (e.nonce < list.runEnd) list.runEnd = e.nonce
      if (list.txs.size === 0) this.senders.delete(e.sender)
    }
    if (e.blobHashes !== undefined) {
      if (includedAt === undefined) this.blobs.release(e.blobHashes)
      else this.blobs.toLimbo(e.hash, e.blobHashes, includedAt)
    }
  }

  private async readAccount(address: Uint8Array): Promise<Account> {
    return (await this.state.getAccount(address)) ?? { nonce: 0n, balance: 0n }
  }

  /** A Common at the head's hardfork (one per hardfork, kept). */
  private headCommon(): Common {
    const hardfork = this.common.getHardforkBy({ blockNumber: this.state.headNumber(), timestamp: this.state.headTimestamp() })
    let common = this.commons.get(hardfork)
    if (common === undefined) {
      common = this.common.copy()
      common.setHardfork(hardfork)
      common.updateParams(paramsTx)
      this.commons.set(hardfork, common)
    }
    return common
  }

  private maxBlobsPerTx(common: Common): number {
    let max = this.limits.maxBlobsPerTx
    if (!common.isActivatedEIP(4844)) return max
    const perBlock = Number(common.param('maxBlobGasPerBlock') / GAS_PER_BLOB)
    if (perBlock < max) max = perBlock
    if (common.isActivatedEIP(7594)) max = Math.min(max, Number(common.param('maxBlobsPerTx')))
    return max
  }

  private notify(tx: TypedTransaction): void {
    this.added.emit(tx)
    if (this.onAdd === undefined) return
    try {
      this.onAdd(tx)
    } catch (err) {
      this.logger.warn({ err }, 'Transaction pool onAdd hook failed')
    }
  }

  /** Runs `fn` after every earlier locked call (state reads must not interleave with other changes). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn)
    this.lock = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
}
