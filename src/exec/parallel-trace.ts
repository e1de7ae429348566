// Traces of one transaction's EVM call (the top-level `evm.runCall` that runTx makes): every call the
// EVM made on the journal and the state manager, in order, with the values every read returned.
// A worker records a trace while speculating; the main thread replays it in place of the call. A
// replay performs the same journal/state-manager calls in the same order, so caches, the journal's
// touched set and the order of trie writes end up exactly as if the EVM had run; each read is
// compared with the recorded value, and the first difference aborts the replay (the caller reverts
// and runs the real call). See parallel.ts for why the hook is `runCall`.
import type { EVM, EVMResult } from '@ethereumjs/evm'
import { EVMError } from '@ethereumjs/evm'
import type { AccountFields, StateManagerInterface } from '@ethereumjs/common'
import type { Account } from '@ethereumjs/util'
import { Address, bytesToHex, createAccountFromRLP, equalsBytes, KECCAK256_NULL, KECCAK256_RLP } from '@ethereumjs/util'

export const Op = {
  JPut: 0,
  JDel: 1,
  JCheckpoint: 2,
  JCommit: 3,
  JRevert: 4,
  JWarmAddr: 5,
  JWarmSlot: 6,
  JIsWarmAddr: 7,
  JIsWarmSlot: 8,
  JAlwaysWarm: 9,
  SGetAccount: 10,
  SPutAccount: 11,
  SDelAccount: 12,
  SModify: 13,
  SGetCode: 14,
  SGetCodeSize: 15,
  SPutCode: 16,
  SGetStorage: 17,
  SPutStorage: 18,
  SClearStorage: 19,
  SCheckpoint: 20,
  SCommit: 21,
  SRevert: 22,
  OGet: 23,
  // EIP-7928: the EVM records block access list entries itself, inside the call
  BAddress: 24,
  BStorageWrite: 25,
  BStorageRead: 26,
  BBalance: 27,
  BNonce: 28,
  BCode: 29,
  BCheckpoint: 30,
  BCommit: 31,
  BRevert: 32,
} as const

/** One recorded call: [op, ...arguments, result?]. Plain data (structured-clone safe). */
export type TraceOp = readonly [number, ...(Uint8Array | bigint | number | boolean | string | null | SerialFields)[]]

export interface SerialFields {
  nonce?: bigint
  balance?: bigint
  storageRoot?: Uint8Array
  codeHash?: Uint8Array
}

/** The arguments runTx passed to runCall, as far as they decide the call. */
export interface CallArgs {
  caller: Uint8Array
  to: Uint8Array | null
  value: bigint
  gasLimit: bigint
  gasPrice: bigint
  data: Uint8Array
  blobHashes: number
}

export interface TxTrace {
  args: CallArgs
  ops: TraceOp[]
  /** The EVMResult, encoded by encodeValue. */
  result: unknown
  /**
   * EIP-8037 per-transaction EVM fields (state-gas reservoir and friends) that runTx sets before
   * the call and reads after it, encoded: their values when the call started (checked on replay)
   * and when it ended (assigned on replay). Absent before Amsterdam.
   */
  evmBefore?: unknown
  evmAfter?: unknown
}

/** The EVM instance fields runTx hands to and takes from the top-level call (EIP-8037, EIP-7928). */
const TX_EVM_FIELDS = [
  'stateGasReservoir',
  'executionStateGasUsed',
  'eip7928CallPostTargetOog',
  'eip2780PrepOog',
  'createTxTargetAlive',
  '_stateGasSnapshots',
  'createdAccountStateGas',
  'createdAccountIntrinsicStateGas',
] as const

/** Whether this EVM's fork has per-transaction EVM fields to carry (see TX_EVM_FIELDS). */
export function hasTxEvmFields(evm: EVM): boolean {
  return evm.common.isActivatedEIP(8037) || evm.common.isActivatedEIP(7928)
}

/** The per-transaction EVM fields, encoded (structured-clone safe). */
export function txEvmFields(evm: EVM): unknown {
  const e = evm as unknown as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const f of TX_EVM_FIELDS) if (e[f] !== undefined) out[f] = e[f]
  return encodeValue(out)
}

/** Assigns per-transaction EVM fields recorded by txEvmFields. */
export function setTxEvmFields(evm: EVM, encoded: unknown): void {
  const e = evm as unknown as Record<string, unknown>
  for (const [k, v] of Object.entries(decodeValue(encoded) as Record<string, unknown>)) e[k] = v
}

/** Equality of two encodeValue outputs (plain data: Uint8Arrays, bigints, arrays, objects). */
export function sameEncoded(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && equalsBytes(a, b)
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => sameEncoded(x, b[i]))
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    if (ka.length !== kb.length) return false
    return ka.every((k) => sameEncoded((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  }
  return a === b
}

interface RunCallOptsLike {
  message?: unknown
  caller?: Address
  to?: Address
  value?: bigint
  gasLimit?: bigint
  gasPrice?: bigint
  data?: Uint8Array
  blobVersionedHashes?: unknown[]
}

export function callArgs(opts: RunCallOptsLike): CallArgs {
  return {
    caller: opts.caller?.bytes ?? new Uint8Array(20),
    to: opts.to?.bytes ?? null,
    value: opts.value ?? 0n,
    gasLimit: opts.gasLimit ?? 0n,
    gasPrice: opts.gasPrice ?? 0n,
    data: opts.data ?? new Uint8Array(),
    blobHashes: opts.blobVersionedHashes?.length ?? 0,
  }
}

export function sameArgs(a: CallArgs, b: CallArgs): boolean {
  return (
    equalsBytes(a.caller, b.caller) &&
    (a.to === null ? b.to === null : b.to !== null && equalsBytes(a.to, b.to)) &&
    a.value === b.value &&
    a.gasLimit === b.gasLimit &&
    a.gasPrice === b.gasPrice &&
    a.blobHashes === b.blobHashes &&
    equalsBytes(a.data, b.data)
  )
}

/** Approximate bytes a trace takes in a message (byte arrays, 8 per number, 2 per string character). */
export function traceSize(t: TxTrace): number {
  return sizeOf(t.ops) + sizeOf(t.result) + sizeOf(t.args)
}

function sizeOf(x: unknown): number {
  if (x instanceof Uint8Array) return x.length + 8
  if (typeof x === 'string') return 2 * x.length + 8
  if (x === null || typeof x !== 'object') return 8
  let n = 8
  if (Array.isArray(x)) for (const v of x) n += sizeOf(v)
  else for (const [k, v] of Object.entries(x)) n += 2 * k.length + sizeOf(v)
  return n
}

// ---- value codec for the EVMResult (class instances do not survive structured clone) ----

type Encoded =
  | { t: 'addr'; v: Uint8Array }
  | { t: 'err'; v: string }
  | { t: 'map'; v: [unknown, unknown][] }
  | { t: 'set'; v: unknown[] }
  | { t: 'obj'; v: Record<string, unknown> }
  | { t: 'arr'; v: unknown[] }
  | { t: 'raw'; v: unknown }

export function encodeValue(x: unknown): Encoded {
  if (x instanceof Address) return { t: 'addr', v: x.bytes }
  if (x instanceof EVMError) return { t: 'err', v: x.error }
  if (x instanceof Map) return { t: 'map', v: [...x.entries()].map(([k, v]) => [encodeValue(k), encodeValue(v)]) }
  if (x instanceof Set) return { t: 'set', v: [...x.values()].map(encodeValue) }
  if (Array.isArray(x)) return { t: 'arr', v: x.map(encodeValue) }
  if (x instanceof Uint8Array || x === null || typeof x !== 'object') return { t: 'raw', v: x }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(x)) {
    if (k === 'runState' || v === undefined) continue
    out[k] = encodeValue(v)
  }
  return { t: 'obj', v: out }
}

export function decodeValue(e: unknown): unknown {
  const x = e as Encoded
  switch (x.t) {
    case 'addr':
      return new Address(x.v)
    case 'err':
      return new EVMError(x.v as ConstructorParameters<typeof EVMError>[0])
    case 'map':
      return new Map(x.v.map(([k, v]) => [decodeValue(k), decodeValue(v)]))
    case 'set':
      return new Set(x.v.map(decodeValue))
    case 'arr':
      return x.v.map(decodeValue)
    case 'obj': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(x.v)) out[k] = decodeValue(v)
      return out
    }
    default:
      return x.v
  }
}

// ---- recording (worker side) ----

interface JournalLike {
  putAccount(a: Address, acc: Account | undefined): Promise<void>
  deleteAccount(a: Address): Promise<void>
  checkpoint(): Promise<void>
  commit(): Promise<void>
  revert(): Promise<void>
  addWarmedAddress(a: Uint8Array): void
  addWarmedStorage(a: Uint8Array, s: Uint8Array): void
  isWarmedAddress(a: Uint8Array): boolean
  isWarmedStorage(a: Uint8Array, s: Uint8Array): boolean
  addAlwaysWarmAddress(a: string, toAccessList?: boolean): void
}

type Fn = (...args: never[]) => unknown

/**
 * Wraps the journal and state manager of `evm` (instance methods) so that, while `active`, every
 * call the EVM makes is appended to `ops`. Calls made from inside a wrapped call are not recorded
 * (replaying the outer call repeats them).
 */
export class TraceRecorder {
  ops: TraceOp[] = []
  active = false
  private depth = 0

  constructor(evm: EVM) {
    const j = evm.journal as unknown as JournalLike & Record<string, Fn>
    const sm = evm.stateManager as StateManagerInterface & Record<string, Fn>
    const acc = (a: Account | undefined): Uint8Array | null => (a === undefined ? null : a.serialize())
    const wrap = <A extends unknown[], R>(
      obj: Record<string, Fn>,
      name: string,
      rec: (args: A, result: R) => TraceOp,
    ): void => {
      const orig = (obj[name] as unknown as (...a: A) => R).bind(obj)
      const wrapped = (...args: A): R => {
        if (!this.active || this.depth > 0) return orig(...args)
        this.depth++
        let res: R
        try {
          res = orig(...args)
        } catch (err) {
          this.depth--
          throw err
        }
        if (res instanceof Promise) {
          return res.then(
            (v: unknown) => {
              this.depth--
              this.ops.push(rec(args, v as R))
              return v
            },
            (err: unknown) => {
              this.depth--
              throw err
            },
          ) as R
        }
        this.depth--
        this.ops.push(rec(args, res))
        return res
      }
      obj[name] = wrapped as unknown as Fn
    }
    wrap<[Address, Account | undefined], Promise<void>>(j, 'putAccount', ([a, x]) => [Op.JPut, a.bytes, acc(x)])
    wrap<[Address], Promise<void>>(j, 'deleteAccount', ([a]) => [Op.JDel, a.bytes])
    wrap<[], Promise<void>>(j, 'checkpoint', () => [Op.JCheckpoint])
    wrap<[], Promise<void>>(j, 'commit', () => [Op.JCommit])
    wrap<[], Promise<void>>(j, 'revert', () => [Op.JRevert])
    wrap<[Uint8Array], void>(j, 'addWarmedAddress', ([a]) => [Op.JWarmAddr, a.slice()])
    wrap<[Uint8Array, Uint8Array], void>(j, 'addWarmedStorage', ([a, s]) => [Op.JWarmSlot, a.slice(), s.slice()])
    wrap<[Uint8Array], boolean>(j, 'isWarmedAddress', ([a], r) => [Op.JIsWarmAddr, a.slice(), r])
    wrap<[Uint8Array, Uint8Array], boolean>(j, 'isWarmedStorage', ([a, s], r) => [Op.JIsWarmSlot, a.slice(), s.slice(), r])
    wrap<[string, boolean | undefined], void>(j, 'addAlwaysWarmAddress', ([a, l]) => [Op.JAlwaysWarm, a, l === true])
    wrap<[Address], Promise<Account | undefined>>(sm, 'getAccount', ([a], r) => [Op.SGetAccount, a.bytes, acc(r as unknown as Account | undefined)])
    wrap<[Address, Account | undefined], Promise<void>>(sm, 'putAccount', ([a, x]) => [Op.SPutAccount, a.bytes, acc(x)])
    wrap<[Address], Promise<void>>(sm, 'deleteAccount', ([a]) => [Op.SDelAccount, a.bytes])
    wrap<[Address, AccountFields], Promise<void>>(sm, 'modifyAccountFields', ([a, f]) => [Op.SModify, a.bytes, fieldsOf(f)])
    wrap<[Address], Promise<Uint8Array>>(sm, 'getCode', ([a], r) => [Op.SGetCode, a.bytes, r as unknown as Uint8Array])
    wrap<[Address], Promise<number>>(sm, 'getCodeSize', ([a], r) => [Op.SGetCodeSize, a.bytes, r as unknown as number])
    wrap<[Address, Uint8Array], Promise<void>>(sm, 'putCode', ([a, c]) => [Op.SPutCode, a.bytes, c.slice()])
    wrap<[Address, Uint8Array], Promise<Uint8Array>>(sm, 'getStorage', ([a, k], r) => [Op.SGetStorage, a.bytes, k.slice(), (r as unknown as Uint8Array).slice()])
    wrap<[Address, Uint8Array, Uint8Array], Promise<void>>(sm, 'putStorage', ([a, k, v]) => [Op.SPutStorage, a.bytes, k.slice(), v.slice()])
    wrap<[Address], Promise<void>>(sm, 'clearStorage', ([a]) => [Op.SClearStorage, a.bytes])
    wrap<[], Promise<void>>(sm, 'checkpoint', () => [Op.SCheckpoint])
    wrap<[], Promise<void>>(sm, 'commit', () => [Op.SCommit])
    wrap<[], Promise<void>>(sm, 'revert', () => [Op.SRevert])
    const osc = sm.originalStorageCache as unknown as Record<string, Fn>
    wrap<[Address, Uint8Array], Promise<Uint8Array>>(osc, 'get', ([a, k], r) => [Op.OGet, a.bytes, k.slice(), (r as unknown as Uint8Array).slice()])
    // EIP-7928: entries the EVM adds to the block access list during the call. The block access
    // index argument is the current transaction's; replay passes the main thread's own.
    const bal = evm.blockLevelAccessList as unknown as Record<string, Fn> | undefined
    if (bal !== undefined) {
      const opt = <T>(x: T | undefined): T | null => (x === undefined ? null : x)
      wrap<[string], void>(bal, 'addAddress', ([a]) => [Op.BAddress, a])
      wrap<[string, Uint8Array, Uint8Array, number, Uint8Array | undefined], void>(bal, 'addStorageWrite', ([a, k, v, , o]) => [Op.BStorageWrite, a, k.slice(), v.slice(), o === undefined ? null : o.slice()])
      wrap<[string, Uint8Array], void>(bal, 'addStorageRead', ([a, k]) => [Op.BStorageRead, a, k.slice()])
      wrap<[string, bigint, number, bigint | undefined], void>(bal, 'addBalanceChange', ([a, b, , o]) => [Op.BBalance, a, b, opt(o)])
      wrap<[string, bigint, number], void>(bal, 'addNonceChange', ([a, n]) => [Op.BNonce, a, n])
      wrap<[string, Uint8Array, number, Uint8Array | undefined], void>(bal, 'addCodeChange', ([a, c, , o]) => [Op.BCode, a, c.slice(), o === undefined ? null : o.slice()])
      wrap<[], void>(bal, 'checkpoint', () => [Op.BCheckpoint])
      wrap<[], void>(bal, 'commit', () => [Op.BCommit])
      wrap<[], void>(bal, 'revert', () => [Op.BRevert])
    }
  }

  start(): void {
    this.ops = []
    this.depth = 0
    this.active = true
  }
  stop(): TraceOp[] {
    this.active = false
    const ops = this.ops
    this.ops = []
    return ops
  }
}

function fieldsOf(f: AccountFields): SerialFields {
  const out: SerialFields = {}
  if (f.nonce !== undefined) out.nonce = f.nonce
  if (f.balance !== undefined) out.balance = f.balance
  if (f.storageRoot !== undefined) out.storageRoot = f.storageRoot
  if (f.codeHash !== undefined) out.codeHash = f.codeHash
  return out
}

// ---- replay (main side) ----

export class TraceMismatch extends Error {
  override readonly name = 'TraceMismatch'
}

/**
 * Performs `ops` on `evm`'s journal and state manager. Throws TraceMismatch at the first read whose
 * value differs from the recorded one, after reverting the checkpoints the trace had opened (the
 * caller must still revert the checkpoint it opened around the replay).
 */
export async function replayTrace(evm: EVM, ops: readonly TraceOp[], args?: CallArgs): Promise<void> {
  const j = evm.journal as unknown as JournalLike
  const sm = evm.stateManager
  const bal = evm.blockLevelAccessList as unknown as BalLike | undefined
  // Checkpoints the trace opened and has not closed yet: reverted if the replay stops half-way.
  const open: ('j' | 's' | 'b')[] = []
  try {
    await replayOps(j, sm, bal, ops, open, creditOnly(args, ops))
  } catch (err) {
    while (open.length > 0) {
      const o = open.pop()
      if (o === 'j') await j.revert()
      else if (o === 's') await sm.revert()
      else bal?.revert()
    }
    throw err
  }
}

interface BalLike {
  blockAccessIndex: number
  addAddress(a: string): void
  addStorageWrite(a: string, k: Uint8Array, v: Uint8Array, i: number, o?: Uint8Array): void
  addStorageRead(a: string, k: Uint8Array): void
  addBalanceChange(a: string, b: bigint, i: number, o?: bigint): void
  addNonceChange(a: string, n: bigint, i: number): void
  addCodeChange(a: string, c: Uint8Array, i: number, o?: Uint8Array): void
  checkpoint(): void
  commit(): void
  revert(): void
}

/**
 * Storage roots: within a block the tries are only written at the final flush, so an account's
 * storageRoot is its parent root until its storage is replaced (cleared by a self-destruct or a
 * re-creation: the empty root), which a worker that did not run that transaction does not see. The
 * EVM only ever asks whether a root is empty, so a read matches when nonce, balance, code hash and
 * the emptiness of storage match; the worker's root is then mapped to the main thread's, and
 * accounts the EVM writes back get the main thread's root.
 */
type RootMap = Map<string, Map<string, Uint8Array>>

/**
 * Plain value transfers commute: a call with no data to an account without code runs no EVM code,
 * so the recipient's balance is only ever read to be credited. For such a call (recipient other
 * than the caller) the recipient is returned: a recorded read of it that differs only in balance is
 * not a conflict, and its recorded writes are rebased by the difference.
 */
function creditOnly(args: CallArgs | undefined, ops: readonly TraceOp[]): Uint8Array | undefined {
  if (args === undefined || args.to === null || args.data.length > 0 || equalsBytes(args.to, args.caller)) return undefined
  for (const op of ops) {
    if (op[0] !== Op.SGetAccount || !equalsBytes(op[1] as Uint8Array, args.to)) continue
    const rec = op[2] as Uint8Array | null
    if (rec === null) return undefined // a new account: its existence is what matters, not a balance
    return equalsBytes(createAccountFromRLP(rec).codeHash, KECCAK256_NULL) ? args.to : undefined
  }
  return undefined
}

const MAX_BALANCE = (1n << 256n) - 1n

/** Balance differences of credit-only recipients (see creditOnly), by address hex. */
type Rebase = Map<string, bigint>

function rebased(rebase: Rebase, address: Uint8Array, acc: Account | undefined): Account | undefined {
  const d = acc === undefined ? undefined : rebase.get(bytesToHex(address))
  if (acc === undefined || d === undefined || d === 0n) return acc
  acc.balance += d
  if (acc.balance < 0n || acc.balance > MAX_BALANCE) throw new TraceMismatch(`rebased balance of ${bytesToHex(address)} out of range`)
  return acc
}

function checkAccount(roots: RootMap, address: Uint8Array, got: Account | undefined, want: Uint8Array | null, rebase?: Rebase): void {
  if (got === undefined || want === null) {
    if (got !== undefined || want !== null) throw new TraceMismatch(`account ${bytesToHex(address)} existence`)
    return
  }
  const w = createAccountFromRLP(want)
  if (rebase !== undefined && got.balance !== w.balance) {
    const k = bytesToHex(address)
    const prev = rebase.get(k)
    const d = got.balance - w.balance
    if (prev !== undefined && prev !== d) throw new TraceMismatch(`account ${k} balance moved twice`)
    rebase.set(k, d)
    w.balance = got.balance
  }
  if (
    got.nonce !== w.nonce ||
    got.balance !== w.balance ||
    !equalsBytes(got.codeHash, w.codeHash) ||
    equalsBytes(got.storageRoot, KECCAK256_RLP) !== equalsBytes(w.storageRoot, KECCAK256_RLP)
  ) {
    throw new TraceMismatch(`account ${bytesToHex(address)}${process.env.PARALLAX_TRACE_DEBUG ? ` got ${bytesToHex(got.serialize())} want ${bytesToHex(want)}` : ''}`)
  }
  if (equalsBytes(got.storageRoot, w.storageRoot)) return
  const k = bytesToHex(address)
  let m = roots.get(k)
  if (m === undefined) roots.set(k, (m = new Map()))
  const wk = bytesToHex(w.storageRoot)
  const prev = m.get(wk)
  if (prev !== undefined && !equalsBytes(prev, got.storageRoot)) throw new TraceMismatch(`account ${k} storage root`)
  m.set(wk, got.storageRoot)
}

function mapRoot(roots: RootMap, address: Uint8Array, acc: Account | undefined): Account | undefined {
  if (acc === undefined) return acc
  const mapped = roots.get(bytesToHex(address))?.get(bytesToHex(acc.storageRoot))
  if (mapped !== undefined) acc.storageRoot = mapped
  return acc
}

async function replayOps(
  j: JournalLike,
  sm: StateManagerInterface,
  balOrUndefined: BalLike | undefined,
  ops: readonly TraceOp[],
  open: ('j' | 's' | 'b')[],
  credited?: Uint8Array,
): Promise<void> {
  const roots: RootMap = new Map()
  const rebase: Rebase = new Map()
  const rebaseOf = (a: unknown): Rebase | undefined => (credited !== undefined && equalsBytes(a as Uint8Array, credited) ? rebase : undefined)
  const balOf = (): BalLike => {
    if (balOrUndefined === undefined) throw new TraceMismatch('block access list entries without a block access list')
    return balOrUndefined
  }
  const opt = <T>(x: unknown): T | undefined => (x === null ? undefined : (x as T))
  const addr = (b: unknown): Address => new Address(b as Uint8Array)
  const accOf = (b: unknown): Account | undefined => (b === null ? undefined : createAccountFromRLP(b as Uint8Array))
  for (const op of ops) {
    switch (op[0]) {
      case Op.JPut:
        await j.putAccount(addr(op[1]), rebased(rebase, op[1] as Uint8Array, mapRoot(roots, op[1] as Uint8Array, accOf(op[2]))))
        break
      case Op.JDel:
        await j.deleteAccount(addr(op[1]))
        break
      case Op.JCheckpoint:
        await j.checkpoint()
        open.push('j')
        break
      case Op.JCommit:
        await j.commit()
        open.pop()
        break
      case Op.JRevert:
        await j.revert()
        open.pop()
        break
      case Op.JWarmAddr:
        j.addWarmedAddress(op[1] as Uint8Array)
        break
      case Op.JWarmSlot:
        j.addWarmedStorage(op[1] as Uint8Array, op[2] as Uint8Array)
        break
      case Op.JIsWarmAddr:
        if (j.isWarmedAddress(op[1] as Uint8Array) !== op[2]) throw new TraceMismatch('warm address')
        break
      case Op.JIsWarmSlot:
        if (j.isWarmedStorage(op[1] as Uint8Array, op[2] as Uint8Array) !== op[3]) throw new TraceMismatch('warm slot')
        break
      case Op.JAlwaysWarm:
        j.addAlwaysWarmAddress(op[1] as string, op[2] as boolean)
        break
      case Op.SGetAccount: {
        const a = await sm.getAccount(addr(op[1]))
        checkAccount(roots, op[1] as Uint8Array, a, op[2] as Uint8Array | null, rebaseOf(op[1]))
        break
      }
      case Op.SPutAccount:
        await sm.putAccount(addr(op[1]), rebased(rebase, op[1] as Uint8Array, mapRoot(roots, op[1] as Uint8Array, accOf(op[2]))))
        break
      case Op.SDelAccount:
        await sm.deleteAccount(addr(op[1]))
        break
      case Op.SModify: {
        const f = { ...(op[2] as SerialFields) }
        const d = rebase.get(bytesToHex(op[1] as Uint8Array))
        if (f.balance !== undefined && d !== undefined) f.balance += d
        await sm.modifyAccountFields(addr(op[1]), f)
        break
      }
      case Op.SGetCode:
        if (!equalsBytes(await sm.getCode(addr(op[1])), op[2] as Uint8Array)) throw new TraceMismatch('code')
        break
      case Op.SGetCodeSize:
        if ((await sm.getCodeSize(addr(op[1]))) !== op[2]) throw new TraceMismatch('code size')
        break
      case Op.SPutCode:
        await sm.putCode(addr(op[1]), op[2] as Uint8Array)
        break
      case Op.SGetStorage:
        if (!equalsBytes(await sm.getStorage(addr(op[1]), op[2] as Uint8Array), op[3] as Uint8Array)) throw new TraceMismatch(`storage ${bytesToHex(op[1] as Uint8Array)}`)
        break
      case Op.SPutStorage:
        await sm.putStorage(addr(op[1]), op[2] as Uint8Array, op[3] as Uint8Array)
        break
      case Op.SClearStorage:
        await sm.clearStorage(addr(op[1]))
        break
      case Op.SCheckpoint:
        await sm.checkpoint()
        open.push('s')
        break
      case Op.SCommit:
        await sm.commit()
        open.pop()
        break
      case Op.SRevert:
        await sm.revert()
        open.pop()
        break
      case Op.OGet: {
        const v = await sm.originalStorageCache.get(addr(op[1]), op[2] as Uint8Array)
        if (!equalsBytes(v, op[3] as Uint8Array)) throw new TraceMismatch('original storage')
        break
      }
      case Op.BAddress:
        balOf().addAddress(op[1] as string)
        break
      case Op.BStorageWrite: {
        const b = balOf()
        b.addStorageWrite(op[1] as string, op[2] as Uint8Array, op[3] as Uint8Array, b.blockAccessIndex, opt<Uint8Array>(op[4]))
        break
      }
      case Op.BStorageRead:
        balOf().addStorageRead(op[1] as string, op[2] as Uint8Array)
        break
      case Op.BBalance: {
        const b = balOf()
        const d = rebase.get((op[1] as string).toLowerCase()) ?? 0n
        const original = opt<bigint>(op[3])
        b.addBalanceChange(op[1] as string, (op[2] as bigint) + d, b.blockAccessIndex, original === undefined ? undefined : original + d)
        break
      }
      case Op.BNonce: {
        const b = balOf()
        b.addNonceChange(op[1] as string, op[2] as bigint, b.blockAccessIndex)
        break
      }
      case Op.BCode: {
        const b = balOf()
        b.addCodeChange(op[1] as string, op[2] as Uint8Array, b.blockAccessIndex, opt<Uint8Array>(op[3]))
        break
      }
      case Op.BCheckpoint:
        balOf().checkpoint()
        open.push('b')
        break
      case Op.BCommit:
        balOf().commit()
        open.pop()
        break
      case Op.BRevert:
        balOf().revert()
        open.pop()
        break
      default:
        throw new TraceMismatch(`unknown op ${String(op[0])}`)
    }
  }
}

export function decodeResult(encoded: unknown): EVMResult {
  return decodeValue(encoded) as EVMResult
}
