// Transaction effects: what one whole transaction (ethereumjs runTx: nonce and fee handling, the
// EVM call, refunds, EIP-158 cleanup) read from the state below it and the values it left there.
// A speculation worker records them (EffectsStateManager); the main thread checks every read
// against its own state and, when all still hold, writes the recorded values into its caches in
// place of running the transaction (applyEffects). Because the tries are written once per block
// from the caches' final state (the batched flush), the order in which a transaction's writes
// reach the caches does not matter, only their final values.
//
// The fee recipient: runTx credits it after the call in every transaction, which would make every
// pair of transactions conflict. Its reads and writes after the call are not recorded; the main
// thread performs the credit itself (the same getAccount/putAccount/cleanup runTx does). A
// transaction that touches the fee recipient anywhere else (sender, call target, BALANCE, ...) is
// marked `coinbaseUsed` and is run by the main thread instead.
import type { AccountFields } from '@ethereumjs/common'
import { Account, Address, bytesToHex, createAccountFromRLP, equalsBytes, KECCAK256_NULL } from '@ethereumjs/util'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { SyncKVReader } from '../db/interface.ts'
import type { BalCall } from './bal-record.ts'
import { BalStateManager, type BalView } from './bal-view.ts'

/** One recorded transaction: plain data, structured-clone safe. */
export interface TxEffects {
  /** First reads, before the transaction wrote the key: [address, account RLP or null (absent)]. */
  accountReads: [Uint8Array, Uint8Array | null][]
  /** [address, slot, value as getStorage returns it] */
  slotReads: [Uint8Array, Uint8Array, Uint8Array][]
  /** Final values of what it wrote: accounts (present at the end), storage, code; accounts whose storage it wiped. */
  accountWrites: [Uint8Array, Uint8Array][]
  slotWrites: [Uint8Array, Uint8Array, Uint8Array][]
  codeWrites: [Uint8Array, Uint8Array][]
  cleared: Uint8Array[]
  /**
   * Why the main thread must run this transaction itself: it used the fee recipient other than
   * through runTx's credit, or deleted or wiped the storage of an account that existed before it
   * (a storage wipe is not a set of slot writes). Absent: the effects apply.
   */
  runOnMain?: string
  /** What runTx returned, as far as the block needs it. */
  result: TxResultData
  /**
   * Blocks with an EIP-7928 access list: the calls the transaction made on the block's list, in
   * order (bal-record.ts), replayed on the main thread's list.
   */
  balCalls?: BalCall[]
  /**
   * A plain value transfer's recipient (no data, no code, neither the sender nor the fee
   * recipient): it is only credited, so a read of it that differs only in balance is rebased
   * (its final balance moved by the same difference) instead of refused.
   */
  credited?: Uint8Array
}

/** The parts of ethereumjs' RunTxResult a block needs (receipts, gas, bloom, fee credit). */
export interface TxResultData {
  /** The receipt as runTx made it with blockGasUsed 0 (cumulativeBlockGasUsed is fixed up in the block). */
  receipt: { status?: 0 | 1; stateRoot?: Uint8Array; cumulativeBlockGasUsed: bigint; bitvector: Uint8Array; logs: unknown[]; blobGasUsed?: bigint; blobGasPrice?: bigint }
  totalGasSpent: bigint
  blockGasSpent: bigint
  amountSpent: bigint
  gasRefund: bigint
  minerValue: bigint
  bloom: Uint8Array
  createdAddress?: Uint8Array
  blobGasUsed?: bigint
  /** EIP-8037: the transaction's regular and state gas (the block counts each dimension). */
  txRegularGas?: bigint
  txStateGas?: bigint
}

/** 'pre': runTx before the call; 'call': inside the EVM call; 'post': after it (refund, credit, cleanup). */
export type TxPhase = 'pre' | 'call' | 'post'

interface Recording {
  coinbase: string
  accountReads: Map<string, [Uint8Array, Uint8Array | null]>
  slotReads: Map<string, [Uint8Array, Uint8Array, Uint8Array]>
  accounts: Map<string, Address>
  slots: Map<string, [Address, Uint8Array]>
  code: Map<string, Address>
  cleared: Map<string, Address>
  coinbaseUsed: boolean
}

/**
 * The worker's state manager in effects mode: FlatReadStateManager (parent state from the flat
 * tables, this worker's earlier transactions in its caches) that records, between begin() and
 * end(), the first value of every account and slot the transaction reads and the keys it writes.
 * With a BalView (a block that carries its EIP-7928 list) what it has not cached yet is the parent
 * state seen through the list at `accessIndex` (worker-effects.ts drops the caches after a skip).
 */
export class EffectsStateManager extends BalStateManager {
  private rec: Recording | undefined
  phase: TxPhase = 'pre'

  constructor(opts: ConstructorParameters<typeof MerkleStateManager>[0], flat?: SyncKVReader, view?: BalView) {
    super(opts, flat, view)
  }

  begin(coinbase: Address): void {
    this.phase = 'pre'
    this.rec = {
      coinbase: coinbase.toString(),
      accountReads: new Map(),
      slotReads: new Map(),
      accounts: new Map(),
      slots: new Map(),
      code: new Map(),
      cleared: new Map(),
      coinbaseUsed: false,
    }
  }

  /**
   * Ends the recording; the final values of what was written are read back now. `to`: the
   * transaction's recipient when it is a plain value transfer (no data, not to the sender).
   */
  async end(result: TxResultData, to?: Address): Promise<TxEffects> {
    const rec = this.rec
    if (rec === undefined) throw new Error('EffectsStateManager.end without begin')
    this.rec = undefined
    // An account the transaction found absent needs no wipe (it had no storage) and, if it is
    // absent again at the end (EIP-158 cleanup of a touched empty account), no write at all.
    const wasAbsent = (hex: string): boolean => rec.accountReads.get(hex)?.[1] === null
    let runOnMain = rec.coinbaseUsed ? 'uses the fee recipient' : undefined
    for (const hex of rec.cleared.keys()) if (!wasAbsent(hex)) runOnMain ??= `wipes the storage of ${hex}`
    const accountWrites: [Uint8Array, Uint8Array][] = []
    const gone = new Set<string>()
    for (const [hex, a] of rec.accounts) {
      const acc = await this.getAccount(a)
      if (acc !== undefined) accountWrites.push([a.bytes, acc.serialize()])
      else if (!wasAbsent(hex)) runOnMain ??= `deletes ${hex}`
      else gone.add(hex)
    }
    const slotWrites: [Uint8Array, Uint8Array, Uint8Array][] = []
    for (const [a, slot] of rec.slots.values()) if (!gone.has(a.toString())) slotWrites.push([a.bytes, slot, await this.getStorage(a, slot)])
    const codeWrites: [Uint8Array, Uint8Array][] = []
    for (const a of rec.code.values()) if (!gone.has(a.toString())) codeWrites.push([a.bytes, await this.getCode(a)])
    return {
      accountReads: [...rec.accountReads.values()],
      slotReads: [...rec.slotReads.values()],
      accountWrites,
      slotWrites,
      codeWrites,
      cleared: [...rec.cleared.values()].map((a) => a.bytes),
      ...(runOnMain !== undefined ? { runOnMain } : {}),
      ...(to !== undefined && creditOnly(rec, to) ? { credited: to.bytes } : {}),
      result,
    }
  }

  /** Whether the access is the fee credit after the call (not recorded), noting other fee-recipient use. */
  private isFeeCredit(rec: Recording, hex: string): boolean {
    if (hex !== rec.coinbase) return false
    if (this.phase === 'post') return true
    rec.coinbaseUsed = true
    return false
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    const acc = await super.getAccount(address)
    const rec = this.rec
    if (rec !== undefined) {
      const hex = address.toString()
      if (!this.isFeeCredit(rec, hex) && !rec.accounts.has(hex) && !rec.accountReads.has(hex)) rec.accountReads.set(hex, [address.bytes, acc?.serialize() ?? null])
    }
    return acc
  }

  override async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    const value = await super.getStorage(address, slot)
    const rec = this.rec
    if (rec !== undefined) {
      const hex = address.toString()
      const k = slotKey(hex, slot)
      if (!this.isFeeCredit(rec, hex) && !rec.cleared.has(hex) && !rec.slots.has(k) && !rec.slotReads.has(k)) rec.slotReads.set(k, [address.bytes, slot.slice(), value.slice()])
    }
    return value
  }

  override async getCode(address: Address): Promise<Uint8Array> {
    // The code cache can answer without reading the account: read it, so the code hash is checked.
    if (this.rec !== undefined) await this.getAccount(address)
    return super.getCode(address)
  }

  override async getCodeSize(address: Address): Promise<number> {
    if (this.rec !== undefined) await this.getAccount(address)
    return super.getCodeSize(address)
  }

  private wroteAccount(address: Address): void {
    const rec = this.rec
    if (rec === undefined) return
    const hex = address.toString()
    if (!this.isFeeCredit(rec, hex)) rec.accounts.set(hex, address)
  }

  override async putAccount(address: Address, account: Account | undefined): Promise<void> {
    this.wroteAccount(address)
    return super.putAccount(address, account)
  }
  override async deleteAccount(address: Address): Promise<void> {
    this.wroteAccount(address)
    const rec = this.rec
    if (rec !== undefined && !this.isFeeCredit(rec, address.toString())) rec.cleared.set(address.toString(), address)
    return super.deleteAccount(address)
  }
  override async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    this.wroteAccount(address)
    return super.modifyAccountFields(address, fields)
  }
  override async putStorage(address: Address, slot: Uint8Array, value: Uint8Array): Promise<void> {
    const rec = this.rec
    if (rec !== undefined) {
      const hex = address.toString()
      if (!this.isFeeCredit(rec, hex)) rec.slots.set(slotKey(hex, slot), [address, slot.slice()])
    }
    return super.putStorage(address, slot, value)
  }
  override async clearStorage(address: Address): Promise<void> {
    const rec = this.rec
    if (rec !== undefined) {
      const hex = address.toString()
      if (!this.isFeeCredit(rec, hex)) rec.cleared.set(hex, address)
    }
    return super.clearStorage(address)
  }
  override async putCode(address: Address, code: Uint8Array): Promise<void> {
    const rec = this.rec
    if (rec !== undefined) {
      const hex = address.toString()
      if (!this.isFeeCredit(rec, hex)) rec.code.set(hex, address)
    }
    return super.putCode(address, code)
  }
}

/** The recipient existed, had no code, and was read before anything wrote it (see TxEffects.credited). */
function creditOnly(rec: Recording, to: Address): boolean {
  const hex = to.toString()
  if (hex === rec.coinbase) return false
  const read = rec.accountReads.get(hex)?.[1]
  return read !== undefined && read !== null && equalsBytes(createAccountFromRLP(read).codeHash, KECCAK256_NULL)
}

function slotKey(addressHex: string, slot: Uint8Array): string {
  let s = addressHex
  for (const b of slot) s += b.toString(16).padStart(2, '0')
  return s
}

/** The state the main thread applies effects to: its block state manager. */
export interface EffectsTarget {
  getAccount(a: Address): Promise<Account | undefined>
  getStorage(a: Address, slot: Uint8Array): Promise<Uint8Array>
  putAccount(a: Address, acc: Account | undefined): Promise<void>
  deleteAccount(a: Address): Promise<void>
  putStorage(a: Address, slot: Uint8Array, value: Uint8Array): Promise<void>
  clearStorage(a: Address): Promise<void>
  putCode(a: Address, code: Uint8Array): Promise<void>
  /** The account's RLP (null: absent), if the target can give it without decoding (FlatReadStateManager). */
  accountRLP?(a: Address): Promise<Uint8Array | null>
  /** putAccount() of an account given as its RLP, without encoding it again (FlatReadStateManager). */
  putAccountRLP?(a: Address, rlp: Uint8Array): Promise<void>
}

/**
 * Checks every read of `fx` against `sm` and, when all hold, writes its final values there.
 * Returns the first read that differs (nothing written), or undefined when applied. Reads do not
 * change the state, so a refusal needs no undo.
 */
export async function applyEffects(sm: EffectsTarget, fx: TxEffects): Promise<string | undefined> {
  if (fx.runOnMain !== undefined) return fx.runOnMain
  let rebase: { address: Uint8Array; delta: bigint } | undefined
  for (const [a, want] of fx.accountReads) {
    if (sm.accountRLP !== undefined) {
      const raw = await sm.accountRLP(new Address(a))
      if (raw === null ? want === null : want !== null && equalsBytes(raw, want)) continue
    }
    const got = await sm.getAccount(new Address(a))
    // Not with access-list calls: they carry the recipient's balance as the worker found it.
    if (got !== undefined && want !== null && fx.credited !== undefined && fx.balCalls === undefined && equalsBytes(a, fx.credited)) {
      const w = createAccountFromRLP(want)
      if (got.nonce === w.nonce && equalsBytes(got.codeHash, w.codeHash) && equalsBytes(got.storageRoot, w.storageRoot)) {
        rebase = { address: a, delta: got.balance - w.balance }
        continue
      }
    }
    if (got === undefined ? want !== null : want === null || !equalsBytes(got.serialize(), want)) {
      return `account ${new Address(a).toString()}${process.env['PARALLAX_TRACE_DEBUG'] !== undefined ? ` got ${got === undefined ? 'none' : bytesToHex(got.serialize())} want ${want === null ? 'none' : bytesToHex(want)}` : ''}`
    }
  }
  for (const [a, slot, want] of fx.slotReads) {
    if (!equalsBytes(await sm.getStorage(new Address(a), slot), want)) return `storage ${new Address(a).toString()}`
  }
  // Wipes only of accounts that were absent (checked above by their reads): their final account
  // carries the empty storage root, and only the slots written after the wipe exist. Accounts
  // absent again at the end were left out by the recorder, with their slots and code.
  // The rebased account, decoded and changed; every other write goes in as the worker encoded it.
  let rebased: Account | undefined
  if (rebase !== undefined && rebase.delta !== 0n) {
    for (const [a, rlp] of fx.accountWrites) {
      if (!equalsBytes(a, rebase.address)) continue
      rebased = createAccountFromRLP(rlp)
      rebased.balance += rebase.delta
      if (rebased.balance < 0n || rebased.balance >= 1n << 256n) return `rebased balance of ${new Address(a).toString()} out of range`
    }
  }
  for (const [a, rlp] of fx.accountWrites) {
    const address = new Address(a)
    if (rebased !== undefined && equalsBytes(a, rebase!.address)) await sm.putAccount(address, rebased)
    else if (sm.putAccountRLP !== undefined) await sm.putAccountRLP(address, rlp)
    else await sm.putAccount(address, createAccountFromRLP(rlp))
  }
  for (const [a, code] of fx.codeWrites) await sm.putCode(new Address(a), code)
  for (const [a, slot, value] of fx.slotWrites) await sm.putStorage(new Address(a), slot, value)
  return undefined
}

/**
 * A read of `fx` that will not hold when the main thread reaches the transaction, known before it
 * does (work sharing's early check for a block of dependent transactions): a read the worker took
 * from the parent state (not one of `ownWrites`, the keys its earlier transactions in the same
 * run wrote) whose value `sm` now holds differently, or a read of a key in `tainted` (written by an
 * earlier transaction of the run that is itself stale: the value it left is not the one the block
 * will have). The credited recipient of a plain transfer is not counted (applyEffects rebases it).
 * Returns the read's key, or undefined.
 */
export async function staleRead(sm: EffectsTarget, fx: TxEffects, ownWrites: ReadonlySet<string>, tainted: ReadonlySet<string>): Promise<string | undefined> {
  for (const [a, want] of fx.accountReads) {
    const hex = bytesToHex(a)
    if (fx.credited !== undefined && equalsBytes(a, fx.credited)) continue
    if (tainted.has(hex)) return hex
    if (ownWrites.has(hex)) continue
    const raw = sm.accountRLP !== undefined ? await sm.accountRLP(new Address(a)) : ((await sm.getAccount(new Address(a)))?.serialize() ?? null)
    if (raw === null ? want !== null : want === null || !equalsBytes(raw, want)) return hex
  }
  for (const [a, slot, want] of fx.slotReads) {
    const key = bytesToHex(a) + bytesToHex(slot).slice(2)
    if (tainted.has(key)) return key
    if (ownWrites.has(key)) continue
    if (!equalsBytes(await sm.getStorage(new Address(a), slot), want)) return key
  }
  return undefined
}

/** Adds the keys `fx` wrote (as staleRead names them) to `into`. */
export function addWrittenKeys(fx: TxEffects, into: Set<string>): void {
  for (const [a] of fx.accountWrites) into.add(bytesToHex(a))
  for (const [a, slot] of fx.slotWrites) into.add(bytesToHex(a) + bytesToHex(slot).slice(2))
}
