// EIP-7928 block access lists as a state overlay: the state transaction i (block access index i + 1)
// starts from is the parent state plus every change the list records at a lower index (index 0 is
// the pre-execution system calls). Speculation workers execute each transaction of a block that
// carries its access list against that view, so no transaction waits for another; the main thread
// still checks every read against the real state (effects mode) or replays every trace (trace
// mode), and compares the list it builds with the one given, so a wrong list costs re-executions
// and then INVALID, never a wrong state.
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { Account, Address } from '@ethereumjs/util'
import { bytesToBigInt, bytesToHex, createAccount, KECCAK256_NULL } from '@ethereumjs/util'
import { RLP } from '@ethereumjs/rlp'
import type { SyncKVReader } from '../db/interface.ts'
import { keccak256 } from '../util/keccak.ts'
import { FlatReadStateManager } from './state.ts'

/** Changes of one account, each list ascending by block access index. */
interface AccountChanges {
  storage: Map<bigint, [number, Uint8Array][]>
  balance: [number, bigint][]
  nonce: [number, bigint][]
  code: [number, Uint8Array][]
}

type Raw = Uint8Array | Raw[]

function asList(x: Raw, what: string): Raw[] {
  if (!Array.isArray(x)) throw new Error(`block access list: ${what} is not a list`)
  return x
}
function asBytes(x: Raw, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new Error(`block access list: ${what} is not a byte string`)
  return x
}
const index = (x: Raw): number => Number(bytesToBigInt(asBytes(x, 'index')))
const byIndex = <T>(xs: [number, T][]): [number, T][] => xs.sort((a, b) => a[0] - b[0])

/** Latest value recorded at an index below `before`, or undefined. */
function latest<T>(changes: readonly [number, T][] | undefined, before: number): T | undefined {
  let out: T | undefined
  if (changes === undefined) return out
  for (const [i, v] of changes) {
    if (i >= before) break
    out = v
  }
  return out
}

export class BalView {
  private readonly accounts = new Map<string, AccountChanges>()

  /** Parses the RLP access list (EIP-7928 encoding); throws on a malformed one. */
  constructor(rlp: Uint8Array) {
    for (const entry of asList(RLP.decode(rlp) as Raw, 'access list')) {
      const [addr, storage, , balance, nonce, code] = asList(entry, 'account entry')
      if (addr === undefined || storage === undefined || balance === undefined || nonce === undefined || code === undefined) {
        throw new Error('block access list: short account entry')
      }
      const changes: AccountChanges = { storage: new Map(), balance: [], nonce: [], code: [] }
      for (const slotEntry of asList(storage, 'storage changes')) {
        const [slot, writes] = asList(slotEntry, 'slot changes')
        const list = asList(writes ?? [], 'slot writes').map((w): [number, Uint8Array] => {
          const [i, v] = asList(w, 'slot write')
          return [index(i ?? new Uint8Array()), asBytes(v ?? new Uint8Array(), 'value')]
        })
        changes.storage.set(bytesToBigInt(asBytes(slot ?? new Uint8Array(), 'slot')), byIndex(list))
      }
      for (const b of asList(balance, 'balance changes')) {
        const [i, v] = asList(b, 'balance change')
        changes.balance.push([index(i ?? new Uint8Array()), bytesToBigInt(asBytes(v ?? new Uint8Array(), 'balance'))])
      }
      for (const n of asList(nonce, 'nonce changes')) {
        const [i, v] = asList(n, 'nonce change')
        changes.nonce.push([index(i ?? new Uint8Array()), bytesToBigInt(asBytes(v ?? new Uint8Array(), 'nonce'))])
      }
      for (const c of asList(code, 'code changes')) {
        const [i, v] = asList(c, 'code change')
        changes.code.push([index(i ?? new Uint8Array()), asBytes(v ?? new Uint8Array(), 'code')])
      }
      byIndex(changes.balance)
      byIndex(changes.nonce)
      byIndex(changes.code)
      this.accounts.set(bytesToHex(asBytes(addr, 'address')).toLowerCase(), changes)
    }
  }

  /** `account` (the parent's) with the changes recorded below block access index `before`. */
  account(address: Address, account: Account | undefined, before: number): Account | undefined {
    const c = this.accounts.get(address.toString())
    if (c === undefined) return account
    const balance = latest(c.balance, before)
    const nonce = latest(c.nonce, before)
    const code = latest(c.code, before)
    if (balance === undefined && nonce === undefined && code === undefined) return account
    const out = account ?? createAccount({})
    if (balance !== undefined) out.balance = balance
    if (nonce !== undefined) out.nonce = nonce
    if (code !== undefined) out.codeHash = code.length === 0 ? KECCAK256_NULL : keccak256(code)
    return out
  }

  code(address: Address, before: number): Uint8Array | undefined {
    return latest(this.accounts.get(address.toString())?.code, before)
  }

  /** The slot's value recorded below `before` (unpadded bytes), or undefined when none is. */
  storage(address: Address, slot: Uint8Array, before: number): Uint8Array | undefined {
    return latest(this.accounts.get(address.toString())?.storage.get(bytesToBigInt(slot)), before)
  }
}

/**
 * A speculation worker's state for blocks that carry their access list: the parent state (flat
 * tables) seen through a BalView at the current transaction's index. The worker empties the caches
 * between transactions (a checkpoint reverted after each), so every transaction reads afresh.
 * Without a view (blocks with no list) it is FlatReadStateManager unchanged: the effects recorder
 * (effects.ts) extends this class and serves both.
 */
export class BalStateManager extends FlatReadStateManager {
  /** Block access index of the transaction being run (transaction i has i + 1). */
  accessIndex = 1
  protected readonly view: BalView | undefined

  constructor(opts: ConstructorParameters<typeof MerkleStateManager>[0], flat: SyncKVReader | undefined, view: BalView | undefined) {
    super(opts, flat)
    this.view = view
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    const view = this.view
    if (view === undefined || this._caches!.account!.get(address) !== undefined) return super.getAccount(address)
    const account = view.account(address, await super.getAccount(address), this.accessIndex)
    this._caches!.account!.put(address, account)
    return account
  }

  override async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    const view = this.view
    if (view !== undefined && this._caches!.storage!.get(address, slot) === undefined) {
      const v = view.storage(address, slot, this.accessIndex)
      if (v !== undefined) {
        this._caches!.storage!.put(address, slot, RLP.encode(v))
        return v
      }
    }
    return super.getStorage(address, slot)
  }

  override async getCode(address: Address): Promise<Uint8Array> {
    return this.view?.code(address, this.accessIndex) ?? super.getCode(address)
  }

  override async getCodeSize(address: Address): Promise<number> {
    if (this.view === undefined) return super.getCodeSize(address)
    return (await this.getCode(address)).length
  }
}
