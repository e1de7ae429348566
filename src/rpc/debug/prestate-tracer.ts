// geth's prestateTracer: the accounts a transaction touched as they were before it (balance, nonce,
// code, the storage slots it read or wrote), or with `diffMode` what changed ({pre, post}). The
// accounts are the ones geth looks up (sender, recipient, fee recipient, and whatever BALANCE,
// EXTCODE*, CALL*, CREATE*, SELFDESTRUCT, SLOAD and SSTORE name); their values before the
// transaction are the first values the state manager handed out during it (every write is preceded
// by a read in ethereumjs), so nothing has to be copied up front.
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { type Account, Address, bytesToHex, equalsBytes, KECCAK256_NULL, setLengthLeft } from '@ethereumjs/util'
import type { Json, JsonObject } from '../eth/format.ts'
import { toData, toQuantity } from '../eth/params.ts'
import type { TraceOptions, TxContext, TxTracer } from './tracer.ts'

interface Snapshot {
  balance: bigint
  nonce: bigint
  codeHash: Uint8Array
}

const ADDRESS_OPS = new Set(['BALANCE', 'EXTCODESIZE', 'EXTCODECOPY', 'EXTCODEHASH', 'SELFDESTRUCT'])
const CALL_OPS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL'])

const toAddress = (v: bigint): Address => new Address(setLengthLeft(hexBytes(v), 20).subarray(-20))
const slotKey = (v: bigint): string => `0x${v.toString(16).padStart(64, '0')}`

function hexBytes(v: bigint): Uint8Array {
  const h = v.toString(16)
  return Uint8Array.from(Buffer.from(h.length % 2 === 0 ? h : `0${h}`, 'hex'))
}

export class PrestateTracer implements TxTracer {
  readonly wantsSteps = true
  private readonly opts: TraceOptions
  private state!: MerkleStateManager
  private restore: (() => void) | undefined
  /** First values handed out during the transaction. */
  private readonly firstAccount = new Map<string, Snapshot | null>()
  private readonly firstStorage = new Map<string, Uint8Array>()
  private readonly firstCode = new Map<string, Uint8Array>()
  /** Accounts geth would look up, in order, with the slots touched. */
  private readonly touched = new Map<string, Set<string>>()
  private readonly created = new Set<string>()

  constructor(opts: TraceOptions) {
    this.opts = opts
  }

  start(ctx: TxContext): void {
    this.state = ctx.state
    this.record(ctx.state)
    this.touch(ctx.from.toString())
    if (ctx.tx.to !== undefined) this.touch(ctx.tx.to.toString())
    this.touch(ctx.coinbase.toString())
  }

  /** Wraps the state manager's reads so the first value of each account, slot and code is kept. */
  private record(sm: MerkleStateManager): void {
    const getAccount = sm.getAccount
    const getStorage = sm.getStorage
    const getCode = sm.getCode
    sm.getAccount = async (address: Address): Promise<Account | undefined> => {
      const acc = await getAccount.call(sm, address)
      const k = address.toString()
      if (!this.firstAccount.has(k)) this.firstAccount.set(k, acc === undefined ? null : { balance: acc.balance, nonce: acc.nonce, codeHash: acc.codeHash })
      return acc
    }
    sm.getStorage = async (address: Address, key: Uint8Array): Promise<Uint8Array> => {
      const v = await getStorage.call(sm, address, key)
      const k = `${address.toString()}:${bytesToHex(setLengthLeft(key, 32))}`
      if (!this.firstStorage.has(k)) this.firstStorage.set(k, v)
      return v
    }
    sm.getCode = async (address: Address): Promise<Uint8Array> => {
      const v = await getCode.call(sm, address)
      const k = address.toString()
      if (!this.firstCode.has(k)) this.firstCode.set(k, v)
      return v
    }
    this.restore = () => {
      sm.getAccount = getAccount
      sm.getStorage = getStorage
      sm.getCode = getCode
    }
  }

  private touch(address: string, slot?: string): void {
    let slots = this.touched.get(address)
    if (slots === undefined) this.touched.set(address, (slots = new Set()))
    if (slot !== undefined) slots.add(slot)
  }

  /**
   * The account (and slot) the last opcode names, kept until the opcode is known to have run: geth
   * looks nothing up for an opcode that failed its gas or stack checks, while ethereumjs emits the
   * step before those checks. The next step or frame entry confirms it; the frame failing drops it.
   */
  private pending: { depth: number; address: string; slot?: string } | undefined
  private depth = -1

  private confirm(): void {
    if (this.pending !== undefined) this.touch(this.pending.address, this.pending.slot)
    this.pending = undefined
  }

  step(step: InterpreterStep): void {
    this.confirm()
    const name = step.opcode.name
    const s = step.stack
    const n = s.length
    const at = (address: string, slot?: string): void => {
      this.pending = { depth: step.depth, address, ...(slot !== undefined ? { slot } : {}) }
    }
    if ((name === 'SLOAD' || name === 'SSTORE') && n >= 1) at(step.address.toString(), slotKey(s[n - 1]!))
    else if (ADDRESS_OPS.has(name) && n >= 1) at(toAddress(s[n - 1]!).toString())
    else if (CALL_OPS.has(name) && n >= 2) {
      at(toAddress(s[n - 2]!).toString())
    }
  }

  enter(msg: Message): void {
    this.confirm()
    this.depth = msg.depth
  }

  exit(result: EVMResult): void {
    if (this.pending !== undefined && this.pending.depth === this.depth && result.execResult.exceptionError !== undefined) this.pending = undefined
    else this.confirm()
    this.depth--
    if (result.createdAddress !== undefined) {
      const a = result.createdAddress.toString()
      this.touch(a)
      this.created.add(a)
    }
  }

  private async preOf(address: string): Promise<{ snap: Snapshot | null; code: Uint8Array }> {
    const a = new Address(hexBytesOf(address))
    let snap = this.firstAccount.get(address)
    if (snap === undefined) {
      const acc = await this.state.getAccount(a) // never read during the transaction: unchanged
      snap = acc === undefined ? null : { balance: acc.balance, nonce: acc.nonce, codeHash: acc.codeHash }
    }
    let code: Uint8Array = new Uint8Array()
    if (snap !== null && !equalsBytes(snap.codeHash, KECCAK256_NULL)) code = this.firstCode.get(address) ?? (await this.state.getCode(a))
    return { snap, code }
  }

  private async preSlot(address: string, slot: string): Promise<string> {
    const v = this.firstStorage.get(`${address}:${slot}`) ?? (await this.state.getStorage(new Address(hexBytesOf(address)), hexBytesOf(slot)))
    return bytesToHex(setLengthLeft(v, 32))
  }

  private accountJson(snap: Snapshot | null, code: Uint8Array, storage: Record<string, string>): JsonObject {
    const out: JsonObject = { balance: toQuantity(snap?.balance ?? 0n) }
    if (snap !== null && snap.nonce !== 0n) out['nonce'] = Number(snap.nonce)
    if (!this.opts.disableCode && code.length > 0) out['code'] = toData(code)
    if (!this.opts.disableStorage && Object.keys(storage).length > 0) out['storage'] = storage
    return out
  }

  dispose(): void {
    this.restore?.()
    this.restore = undefined
  }

  async end(): Promise<Json> {
    this.dispose()
    const pre: Record<string, JsonObject> = {}
    const empties = new Set<string>()
    const preValues = new Map<string, { snap: Snapshot | null; code: Uint8Array; storage: Record<string, string> }>()
    for (const [address, slots] of this.touched) {
      const { snap, code } = await this.preOf(address)
      const storage: Record<string, string> = {}
      for (const slot of slots) storage[slot] = await this.preSlot(address, slot)
      preValues.set(address, { snap, code, storage })
      if ((snap === null || (snap.balance === 0n && snap.nonce === 0n)) && code.length === 0) empties.add(address)
      pre[address] = this.accountJson(snap, code, storage)
    }
    for (const a of this.created) if (empties.has(a)) delete pre[a]
    if (!this.opts.diffMode) return pre
    return this.diff(pre, preValues)
  }

  /** The accounts the transaction changed, once it has run (instead of end()). */
  async changes(): Promise<AccountChange[]> {
    this.dispose()
    const out: AccountChange[] = []
    for (const [address, slots] of this.touched) {
      const { snap, code } = await this.preOf(address)
      const a = new Address(hexBytesOf(address))
      const acc = await this.state.getAccount(a)
      const before = snap === null ? null : { balance: snap.balance, nonce: snap.nonce, code }
      const after = acc === undefined ? null : { balance: acc.balance, nonce: acc.nonce, code: equalsBytes(acc.codeHash, KECCAK256_NULL) ? new Uint8Array() : await this.state.getCode(a) }
      const storage: [string, string, string][] = []
      for (const slot of slots) {
        const old = await this.preSlot(address, slot)
        const now = after === null ? old : bytesToHex(setLengthLeft(await this.state.getStorage(a, hexBytesOf(slot)), 32))
        if (now !== old || after === null) storage.push([slot, old, now])
      }
      const same = before !== null && after !== null && before.balance === after.balance && before.nonce === after.nonce && equalsBytes(before.code, after.code)
      if ((before === null && after === null) || (same && storage.length === 0)) continue
      out.push({ address, before, after, storage, created: this.created.has(address) })
    }
    return out
  }

  private async diff(pre: Record<string, JsonObject>, preValues: Map<string, { snap: Snapshot | null; code: Uint8Array; storage: Record<string, string> }>): Promise<Json> {
    const post: Record<string, JsonObject> = {}
    const zero = `0x${'0'.repeat(64)}`
    for (const [address, before] of preValues) {
      const a = new Address(hexBytesOf(address))
      const acc = await this.state.getAccount(a)
      if (acc === undefined) {
        // Deleted (self-destructed): only its pre-state is reported.
        if (before.snap === null) delete pre[address]
        continue
      }
      const code = equalsBytes(acc.codeHash, KECCAK256_NULL) ? new Uint8Array() : await this.state.getCode(a)
      const out: JsonObject = {}
      let modified = false
      if (acc.balance !== (before.snap?.balance ?? 0n)) {
        out['balance'] = toQuantity(acc.balance)
        modified = true
      }
      if (acc.nonce !== (before.snap?.nonce ?? 0n)) {
        out['nonce'] = Number(acc.nonce)
        modified = true
      }
      if (!equalsBytes(code, before.code)) {
        if (!this.opts.disableCode) out['code'] = toData(code)
        modified = true
      }
      const changed: Record<string, string> = {}
      const kept: Record<string, string> = {}
      for (const [slot, old] of Object.entries(before.storage)) {
        const now = bytesToHex(setLengthLeft(await this.state.getStorage(a, hexBytesOf(slot)), 32))
        if (now === old) continue
        modified = true
        kept[slot] = old
        if (now !== zero) changed[slot] = now
      }
      if (!this.opts.disableStorage && Object.keys(changed).length > 0) out['storage'] = changed
      const p = pre[address]
      if (p !== undefined) {
        if (Object.keys(kept).length > 0 && !this.opts.disableStorage) p['storage'] = kept
        else delete p['storage']
      }
      if (!modified) {
        delete pre[address]
        continue
      }
      if (Object.keys(out).length > 0) post[address] = out
    }
    return { post, pre }
  }
}

/** One account's change in a transaction (for parity's stateDiff): existence, fields and touched slots, before and after. */
export interface AccountChange {
  address: string
  before: AccountState | null
  after: AccountState | null
  /** [slot, before, after] of every touched slot whose value changed. */
  storage: [string, string, string][]
  /** Created by a CREATE/CREATE2 (or the transaction) of this transaction. */
  created: boolean
}
export interface AccountState {
  balance: bigint
  nonce: bigint
  code: Uint8Array
}

function hexBytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
}
