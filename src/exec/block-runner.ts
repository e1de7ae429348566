// The parallel executor's block loop for blocks whose transactions it can take as recorded effects
// (effects.ts): the same steps as ethereumjs' runBlock in non-generate mode — the EIP-4788 and
// EIP-2935 system calls, every transaction, withdrawals, EIP-7685 requests, the state root and the
// header checks — except that a transaction whose speculation holds is applied from its recorded
// reads and writes instead of being run by runTx on this thread. Every other transaction (no
// speculation in time, a read that no longer holds, the fee recipient used) runs through the
// library's runTx as in runBlock. The system calls, withdrawals and requests are the library's own
// functions (loaded from @ethereumjs/vm's files: its package does not export them).
//
// Amsterdam blocks (EIP-7928) are taken when they come with their access list: the loop builds the
// block's list as runBlock does (the system calls at index 0, transaction i at i + 1, withdrawals
// and requests after the last) and compares it with the one given; an applied transaction's calls on
// the list, recorded by its worker (bal-record.ts), are replayed on it in block order.
// EIP-8037's two gas dimensions are counted as runBlock counts them.
//
// Not taken here (the caller uses runBlock with trace replay instead): sealing (`generate`),
// Amsterdam blocks without their list, binary trees, proof-of-work and clique blocks, the DAO
// block, and chains before Spurious Dragon (EIP-158 cleanup is assumed by the fee credit below).
import { genRequestsRoot } from '@ethereumjs/block'
import type { Block } from '@ethereumjs/block'
import { ConsensusType, Hardfork, type Common } from '@ethereumjs/common'
import { txExceedsAvailableBlockGas8037, type EVM } from '@ethereumjs/evm'
import { RLP } from '@ethereumjs/rlp'
import type { TypedTransaction } from '@ethereumjs/tx'
import {
  Account,
  Address,
  type BlockLevelAccessList,
  bytesToHex,
  type CLRequest,
  type CLRequestType,
  createBlockLevelAccessList,
  createBlockLevelAccessListFromRLP,
  equalsBytes,
  GWEI_TO_WEI,
  KECCAK256_RLP,
  validateBlockAccessListGasLimit,
  validateBlockAccessListHash,
  validateBlockAccessListStructure,
} from '@ethereumjs/util'
import { Bloom, encodeReceipt, runTx, type RunTxResult, type TxReceipt, type VM } from '@ethereumjs/vm'
import { sha256 } from '@noble/hashes/sha2.js'
import { updateTrie } from '../db/trie-batch.ts'
import { keccak256 } from '../util/keccak.ts'
import { replayAccessListCalls } from './bal-record.ts'
import { addWrittenKeys, applyEffects, staleRead, type EffectsTarget, type TxEffects } from './effects.ts'
import type { RequestResult } from './sequential.ts'

/** The pieces of runBlock that @ethereumjs/vm does not export (same functions runBlock calls). */
interface VmInternals {
  accumulateParentBeaconBlockRoot(vm: VM, root: Uint8Array, timestamp: bigint): Promise<void>
  accumulateParentBlockHash(vm: VM, number: bigint, parentHash: Uint8Array): Promise<void>
  rewardAccount(evm: EVM, address: Address, reward: bigint, common: Common): Promise<Account>
  accumulateRequests(vm: VM, txResults: RunTxResult[], blockGasLimit: bigint, generate?: boolean): Promise<CLRequest<CLRequestType>[]>
}

let internals: Promise<VmInternals> | undefined

/** Loads runBlock's unexported helpers from the installed @ethereumjs/vm (throws if they moved). */
export function vmInternals(): Promise<VmInternals> {
  internals ??= (async () => {
    const index = import.meta.resolve('@ethereumjs/vm')
    const rb = (await import(new URL('./runBlock.js', index).href)) as Record<string, unknown>
    const rq = (await import(new URL('./requests.js', index).href)) as Record<string, unknown>
    const pick: Record<string, unknown> = { ...rb, accumulateRequests: rq['accumulateRequests'] }
    for (const name of ['accumulateParentBeaconBlockRoot', 'accumulateParentBlockHash', 'rewardAccount', 'accumulateRequests'] as const) {
      if (typeof pick[name] !== 'function') throw new Error(`@ethereumjs/vm no longer has ${name} where Parallax expects it`)
    }
    return pick as unknown as VmInternals
  })()
  return internals
}

/** Whether runEffectsBlock can take this block (see the file comment); `accessList`: the EIP-7928 list that came with it. */
export function effectsEligible(common: Common, block: Block, generate: boolean, accessList?: Uint8Array): boolean {
  if (generate) return false
  if (common.isActivatedEIP(7864)) return false
  if (common.isActivatedEIP(7928) ? accessList === undefined : common.isActivatedEIP(8037)) return false
  if (common.consensusType() !== ConsensusType.ProofOfStake) return false
  if (!common.gteHardfork(Hardfork.SpuriousDragon)) return false
  return !(common.hardforkIsActiveOnBlock(Hardfork.Dao, block.header.number) && block.header.number === common.hardforkBlock(Hardfork.Dao))
}

/** What the loop asks for each transaction: its effects if they have arrived (null: none will come). */
export interface EffectsSource {
  /** The main thread is at transaction `i` (workers skip what it has reached). */
  progress(i: number): void
  /** Effects of transaction `i` if there, else undefined; with `wait`, waits for them. */
  effects(i: number, wait: boolean): TxEffects | null | undefined | Promise<TxEffects | null>
  /** Sender public key a worker recovered for transaction `i`. */
  pubkey(i: number): Uint8Array | null | undefined
  /** The main thread is done with transaction `i` (its result need not be kept). */
  release?(i: number): void
  /** The rest of the block runs here: the workers may stop (their results would be refused anyway). */
  abandon?(): void
  /**
   * The next speculated result, in its worker's order, that has arrived for a transaction the main
   * thread has not reached and was not probed yet (`run`: which worker's run it belongs to); undefined
   * when none is there now. For the early check of a block of dependent transactions (PROBES).
   */
  probe?(): { run: number; fx: TxEffects } | undefined
}

/**
 * With work sharing, a block whose speculation keeps failing (a chain of dependent transactions)
 * is finished on this thread alone once this many results were refused and fewer than one in five
 * held: checking and refusing each one, and a worker executing for nothing beside this thread,
 * cost more than they give.
 */
export const GIVE_UP_AFTER = 16

/**
 * The early form of the same rule. While the main thread runs its own share, after each of its
 * transactions it checks one arrived speculation of a later transaction against its state so far
 * (effects.ts staleRead: a read the worker took from the parent state that this thread has
 * already changed, or a read of what an earlier stale result of the same run wrote; such a result
 * will be refused). When PROBES.stale of the last PROBES.window checks were stale (a hot key every
 * transaction uses), the workers stop and this thread runs the rest alone, long before it would
 * reach their results (a worker executing beside it slows it down meanwhile). A window, not a
 * count from the start: a block's first transactions may not touch the hot keys yet. At most
 * PROBES.max checks per block (each costs a few reads). A relay chain (each transaction depends
 * only on the one before) shows no stale read before the boundary: the refusal rule takes it.
 */
export const PROBES = { window: 12, stale: 9, max: 48 }

/** No speculation: every transaction runs through runTx (the fast sequential executor). */
export const NO_EFFECTS: EffectsSource = {
  progress: () => undefined,
  effects: () => undefined,
  pubkey: () => undefined,
}

export interface EffectsCounters {
  applied: number
  own: number
  reexecutions: number
  /** Of those, the ones whose effects arrived and were refused (the rest had none). */
  refused: number
  /** Why each refused transaction was run here (index → reason). */
  reasons: Map<number, string>
  ownGas: number
  appliedGas: number
  execMs: number
  applyMs: number
  waitMs: number
  firstTxAt: number
  lastTxAt: number
  /** Time in getStateRoot (the batched flush and hashing). */
  rootMs: number
  /** Per transaction: how the main thread took it and its time there (parallelism reports). */
  perTx: TxRun[]
  /** Early checks of speculated results (PROBES): how many, how many were stale. */
  probed: number
  stale: number
  /** Why the speculation was given up mid-block, if it was: the early checks, or the refusals. */
  gaveUp?: 'probes' | 'refusals'
}

/** One transaction on the main thread: ran it itself, applied a speculation, or re-executed after a failed check. */
export interface TxRun {
  how: 'own' | 'replayed' | 'reexecuted'
  ms: number
}

/**
 * Runs `block` on `vm` (its state manager opened at the parent state, no checkpoint open) as
 * runBlock does, applying transactions from `source` where their effects hold. Throws what
 * runBlock would throw for an invalid block.
 */
export async function runEffectsBlock(
  vm: VM,
  block: Block,
  source: EffectsSource,
  opts: { share: boolean; probe?: boolean; blockAccessList?: Uint8Array },
): Promise<{ result: RequestResult; counters: EffectsCounters }> {
  const lib = await vmInternals()
  const c: EffectsCounters = { applied: 0, own: 0, reexecutions: 0, refused: 0, reasons: new Map(), ownGas: 0, appliedGas: 0, execMs: 0, applyMs: 0, waitMs: 0, firstTxAt: 0, lastTxAt: 0, rootMs: 0, perTx: [], probed: 0, stale: 0 }
  const common = vm.common
  const header = block.header
  const sm = vm.stateManager as unknown as EffectsTarget
  // EIP-7928: the given list is parsed and checked against the header first (as runBlock does),
  // and the block's own list is built from here on.
  let provided: BlockLevelAccessList | undefined
  let providedRlp: Uint8Array | undefined
  let list: BlockLevelAccessList | undefined
  if (common.isActivatedEIP(7928)) {
    if (opts.blockAccessList === undefined) throw new Error('runEffectsBlock: an EIP-7928 block needs its access list')
    provided = createBlockLevelAccessListFromRLP(opts.blockAccessList)
    // Its canonical encoding, once: checked against the header, compared with the block's list at
    // the end, and the outcome's list when they are equal (each encoding of a 30M-gas block's list
    // takes 10-20 ms in the library). Bytes that hash to the header's commitment are taken as they
    // came: were they not the canonical encoding, the library's check (which hashes the re-encoding)
    // would reject the block, and so does the comparison at the end (the block's own list is
    // encoded canonically).
    const given = opts.blockAccessList
    const hash = header.blockAccessListHash
    const committed = hash !== undefined && hash.length === 32 && equalsBytes(keccak256(given), hash)
    providedRlp = committed ? given : provided.serialize()
    if (hash !== undefined && !committed && !(hash.length === 32 && equalsBytes(keccak256(providedRlp), hash))) {
      validateBlockAccessListHash(provided, hash) // throws the library's error
    }
    validateBlockAccessListStructure(provided)
    vm.evm.blockLevelAccessList = createBlockLevelAccessList()
    list = vm.evm.blockLevelAccessList
  }
  await vm.evm.journal.checkpoint()
  let body: TxLoopResult
  let requests: CLRequest<CLRequestType>[] | undefined
  let requestsHash: Uint8Array | undefined
  try {
    if (common.isActivatedEIP(4788)) await lib.accumulateParentBeaconBlockRoot(vm, header.parentBeaconBlockRoot!, header.timestamp)
    if (common.isActivatedEIP(2935)) await lib.accumulateParentBlockHash(vm, header.number, header.parentHash)
    body = await txLoop(vm, block, source, sm, c, opts.share, opts.probe !== false)
    if (list !== undefined) list.blockAccessIndex = block.transactions.length + 1
    if (common.isActivatedEIP(4895)) {
      for (const w of block.withdrawals ?? []) await lib.rewardAccount(vm.evm as EVM, w.address, w.amount * GWEI_TO_WEI, common)
      await vm.evm.journal.cleanup()
    }
    if (block.common.isActivatedEIP(7685)) {
      requests = await lib.accumulateRequests(vm, body.results, header.gasLimit, false)
      requestsHash = genRequestsRoot(requests, common.customCrypto.sha256 ?? sha256)
    }
    if (list !== undefined) {
      // The list is final here. raw() builds its canonical (sorted) form, ~10 ms at 30M gas, and both
      // the gas-limit check and the encoding below ask for it: built once, until the encoding.
      const raw = list.raw()
      list.raw = () => raw
      try {
        validateBlockAccessListGasLimit(list, header.gasLimit)
      } catch {
        throw new Error(`block access list gas limit exceeded (block ${header.number} ${bytesToHex(block.hash())})`)
      }
    }
  } catch (err) {
    await vm.evm.journal.revert()
    throw err
  }
  const tRoot = performance.now()
  const stateRoot = await vm.stateManager.getStateRoot()
  c.rootMs = performance.now() - tRoot
  const fail = (what: string): Error => new Error(`${what} (block ${header.number} ${bytesToHex(block.hash())})`)
  let listRlp: Uint8Array | undefined
  if (list !== undefined) {
    listRlp = list.serialize()
    delete (list as { raw?: unknown }).raw // the class's own raw() again, for whoever changes the list later
  }
  try {
    if (requestsHash !== undefined && (header.requestsHash === undefined || !equalsBytes(header.requestsHash, requestsHash))) throw fail('invalid requestsHash')
    if (list !== undefined && !equalsBytes(listRlp!, providedRlp!)) throw fail('invalid block access list')
    if (!equalsBytes(body.receiptsRoot, header.receiptTrie)) throw fail('invalid receiptTrie')
    if (!equalsBytes(body.bloom.bitvector, header.logsBloom)) throw fail('invalid bloom')
    if (body.gasUsed !== header.gasUsed) throw fail('invalid gasUsed')
    if (!equalsBytes(stateRoot, header.stateRoot)) throw fail(`invalid block stateRoot, got: ${bytesToHex(stateRoot)}, want: ${bytesToHex(header.stateRoot)}`)
  } catch (err) {
    await vm.evm.journal.revert()
    throw err
  }
  await vm.evm.journal.commit()
  const result: RequestResult = {
    receipts: body.receipts,
    logsBloom: body.bloom.bitvector,
    results: body.results,
    stateRoot,
    gasUsed: body.gasUsed,
    receiptsRoot: body.receiptsRoot,
    preimages: new Map(),
    ...(requestsHash !== undefined ? { requestsHash, requests: requests! } : {}),
    ...(list !== undefined ? { blockLevelAccessList: list, blockAccessListRlp: listRlp! } : {}),
  }
  return { result, counters: c }
}

interface TxLoopResult {
  bloom: Bloom
  gasUsed: bigint
  receipts: TxReceipt[]
  results: RunTxResult[]
  receiptsRoot: Uint8Array
}

async function txLoop(vm: VM, block: Block, source: EffectsSource, sm: EffectsTarget, c: EffectsCounters, share: boolean, probe: boolean): Promise<TxLoopResult> {
  const header = block.header
  const bloom = new Bloom(undefined, vm.common)
  const list = vm.common.isActivatedEIP(7928) ? vm.evm.blockLevelAccessList : undefined
  const twoDimensions = vm.common.isActivatedEIP(8037)
  let gasUsed = 0n
  let regularGasUsed = 0n
  let stateGasUsed = 0n
  let receiptGasUsed = 0n
  const receipts: TxReceipt[] = []
  const results: RunTxResult[] = []
  const encoded: { key: Uint8Array; value: Uint8Array }[] = []
  const txs = block.transactions
  const credit = new DeferredCredit(vm, header.coinbase)
  let speculating = true
  let probing = share && probe && source.probe !== undefined
  /**
   * Per worker run: the keys its probed results wrote (their later reads of those came from the
   * worker's own state), and of those the keys written by stale results (a later read of one is stale too).
   */
  const runKeys = new Map<number, { writes: Set<string>; tainted: Set<string> }>()
  /** The outcomes of the last PROBES.window checks (true: stale). */
  const recent: boolean[] = []
  for (let i = 0; i < txs.length; i++) {
    const tTx = performance.now()
    if (i === 0) c.firstTxAt = tTx
    let how: TxRun['how'] = 'own'
    const tx = txs[i]!
    if (list !== undefined) list.blockAccessIndex = i + 1
    const tooBig = twoDimensions
      ? txExceedsAvailableBlockGas8037(tx.gasLimit, tx.common.param('maxTransactionGasLimit'), header.gasLimit, regularGasUsed, stateGasUsed)
      : header.gasLimit < tx.gasLimit + gasUsed
    if (tooBig) throw new Error(`tx has a higher gas limit than the block (block ${header.number})`)
    source.progress(i)
    const gas = Number(tx.gasLimit) / 1e6
    let fx = speculating ? source.effects(i, !share) : undefined
    if (fx instanceof Promise) {
      const t = performance.now()
      fx = await fx
      c.waitMs += performance.now() - t
    }
    let res: RunTxResult | undefined
    if (fx !== undefined && fx !== null) {
      const t = performance.now()
      // Without its access-list calls an effect cannot be applied to a listed block: run it here.
      const refused = list !== undefined && fx.balCalls === undefined ? 'no access-list calls recorded' : await applyEffects(sm, fx)
      if (refused === undefined) {
        res = await creditAndResult(vm, credit, fx, receiptGasUsed, list)
        c.applied++
        c.appliedGas += gas
        how = 'replayed'
      } else {
        how = 'reexecuted'
        c.reexecutions++
        c.refused++
        c.reasons.set(i, refused)
        if (process.env['PARALLAX_TRACE_DEBUG'] !== undefined) process.stderr.write(`tx ${i}: effects refused: ${refused}\n`)
        if (share && c.reexecutions >= GIVE_UP_AFTER && c.reexecutions > 4 * c.applied) {
          speculating = false
          probing = false
          c.gaveUp = 'refusals'
          source.abandon?.()
        }
      }
      c.applyMs += performance.now() - t
    } else if (fx === null) {
      how = 'reexecuted'
      c.reexecutions++
      c.reasons.set(i, 'no speculation')
    } else c.own++
    if (res === undefined && probing && fx === undefined) {
      await credit.settle() // the check reads this thread's state
      const p = source.probe!()
      if (p !== undefined) {
        let keys = runKeys.get(p.run)
        if (keys === undefined) runKeys.set(p.run, (keys = { writes: new Set(), tainted: new Set() }))
        c.probed++
        const stale = (await staleRead(sm, p.fx, keys.writes, keys.tainted)) !== undefined
        if (stale) c.stale++
        addWrittenKeys(p.fx, keys.writes)
        if (stale) addWrittenKeys(p.fx, keys.tainted)
        recent.push(stale)
        if (recent.length > PROBES.window) recent.shift()
        if (recent.filter((x) => x).length >= PROBES.stale) {
          speculating = false
          probing = false
          c.gaveUp = 'probes'
          source.abandon?.()
        } else if (c.probed >= PROBES.max) probing = false
      }
    }
    if (res === undefined) {
      const pk = source.pubkey(i)
      if (pk !== null && pk !== undefined && Object.isFrozen(tx) && (tx as TypedTransaction).cache.senderPubKey === undefined) tx.cache.senderPubKey = pk
      const t = performance.now()
      await credit.settle()
      res = await runTx(vm, { tx, block, blockGasUsed: receiptGasUsed })
      c.execMs += performance.now() - t
      c.ownGas += gas
    }
    results.push(res)
    if (twoDimensions && res.txRegularGas !== undefined) {
      regularGasUsed += res.txRegularGas
      stateGasUsed += res.txStateGas ?? 0n
      gasUsed = regularGasUsed > stateGasUsed ? regularGasUsed : stateGasUsed
    } else gasUsed += res.blockGasSpent ?? res.totalGasSpent
    receiptGasUsed += res.totalGasSpent
    bloom.or(res.bloom)
    receipts.push(res.receipt)
    encoded.push({ key: RLP.encode(i), value: encodeReceipt(res.receipt, tx.type) })
    c.perTx.push({ how, ms: performance.now() - tTx })
    source.release?.(i)
  }
  await credit.settle()
  c.lastTxAt = performance.now()
  const receiptsRoot = encoded.length === 0 ? KECCAK256_RLP : (await updateTrie(async () => undefined, KECCAK256_RLP, encoded)).root
  return { bloom, gasUsed, receipts, results, receiptsRoot }
}

/**
 * The fee credits of applied transactions, written to the fee recipient as one credit before
 * anything on this thread reads it (a transaction the main thread runs, the block's end): runTx's
 * getAccount, putAccount through the journal and EIP-158 cleanup once instead of per transaction
 * (~10 us each, on the main thread, for every applied transaction). The same state: balances add
 * up, and an empty recipient that gets 0 is deleted by the cleanup either way. An applied
 * transaction never reads the recipient (one that uses it other than through the credit is run
 * by the main thread: effects.ts coinbaseUsed).
 */
class DeferredCredit {
  readonly coinbase: Address
  private readonly vm: VM
  /** The recipient's balance when the pending credits began; undefined while none are pending. */
  private base: bigint | undefined
  private pending = 0n

  constructor(vm: VM, coinbase: Address) {
    this.vm = vm
    this.coinbase = coinbase
  }

  /** Adds one transaction's credit; the recipient's balance before and after it. */
  async add(value: bigint): Promise<{ original: bigint; balance: bigint }> {
    this.base ??= (await this.vm.stateManager.getAccount(this.coinbase))?.balance ?? 0n
    const original = this.base + this.pending
    this.pending += value
    return { original, balance: original + value }
  }

  /** Writes the pending credits (runTx's putAccount and cleanup). */
  async settle(): Promise<void> {
    if (this.base === undefined) return
    const miner = (await this.vm.stateManager.getAccount(this.coinbase)) ?? new Account()
    miner.balance += this.pending
    this.base = undefined
    this.pending = 0n
    await this.vm.evm.journal.putAccount(this.coinbase, miner)
    await this.vm.evm.journal.cleanup()
  }
}

/** An applied transaction's fee credit (deferred) and its RunTxResult with the receipt's cumulative gas set. */
async function creditAndResult(vm: VM, credit: DeferredCredit, fx: TxEffects, blockGasUsed: bigint, list?: BlockLevelAccessList): Promise<RunTxResult> {
  const r = fx.result
  const { original, balance } = await credit.add(r.minerValue)
  // EIP-7928: the transaction's calls on the access list, with the fee credit's balance from this
  // thread (the worker credited the balance it saw, which no check covers).
  if (list !== undefined) replayAccessListCalls(list, fx.balCalls!, { address: credit.coinbase.toString(), balance, original })
  const receipt = { ...r.receipt, cumulativeBlockGasUsed: blockGasUsed + r.totalGasSpent } as TxReceipt
  // Only what runBlock and the executors read of a RunTxResult is carried (no execResult).
  return {
    receipt,
    bloom: new Bloom(r.bloom, vm.common),
    totalGasSpent: r.totalGasSpent,
    blockGasSpent: r.blockGasSpent,
    amountSpent: r.amountSpent,
    gasRefund: r.gasRefund,
    minerValue: r.minerValue,
    ...(r.createdAddress !== undefined ? { createdAddress: new Address(r.createdAddress) } : {}),
    ...(r.blobGasUsed !== undefined ? { blobGasUsed: r.blobGasUsed } : {}),
    ...(r.txRegularGas !== undefined ? { txRegularGas: r.txRegularGas } : {}),
    ...(r.txStateGas !== undefined ? { txStateGas: r.txStateGas } : {}),
  } as unknown as RunTxResult
}
