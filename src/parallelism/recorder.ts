// Records, per transaction of a block, the state keys it read and wrote, by running the block once
// sequentially (ethereumjs runBlock over the parent state) with an instrumented state manager. The
// node's parallax_blockParallelism runs it in an RPC worker; bench:deps (test/bench/deps.ts) uses
// the same recorder, so both build the same DAG (dag.ts).
//
// Keys: `addr.n` nonce, `addr.b` balance, `addr.c` code hash, `addr.s<slot>` a storage slot.
// - Read: a key the EVM or runTx's pre-execution checks asked the state manager for, before the
//   transaction itself wrote it: getAccount reads n, b and c; getCode/getCodeSize read c; getStorage
//   (SLOAD, and SSTORE's current/original-value lookups) reads the slot.
// - Written: a key whose value after the transaction differs from its value before (compared at
//   afterTx, so reverted frames and rewrites of the same value write nothing). A nonexistent account
//   counts as nonce 0, balance 0, no code, so crediting a fresh address writes only its balance.
// - Commutative (a credit, no read recorded): all account reads of runTx after the top-level call
//   returns (sender refund - already read before execution -, the fee-recipient credit, EIP-158
//   cleanup of touched accounts), and a plain value transfer's recipient (tx.to without code: only its
//   code is read; the EIP-2780 emptiness check is ignored). The credits still write `.b`, so a later
//   transaction that reads that balance (BALANCE, CALL with value, being the sender) depends on every
//   credit before it. Same-sender transactions depend on each other through n and b.
// - Not tracked: whole-storage wipes (SELFDESTRUCT of a new contract, CREATE over storage).
import type { AccountFields } from '@ethereumjs/common'
import { Caches } from '@ethereumjs/statemanager'
import { type Account, type Address, bytesToHex, equalsBytes, KECCAK256_NULL_S } from '@ethereumjs/util'
import { createVM, type AfterTxEvent, type VM } from '@ethereumjs/vm'
import { Overlay } from '../db/overlay.ts'
import { AncestorHashes } from '../exec/ancestors.ts'
import { runRequest, type ExecuteRequest } from '../exec/sequential.ts'
import { FlatReadStateManager, openTrie } from '../exec/state.ts'
import type { TxAccess } from './dag.ts'

interface Snap { n: bigint; b: bigint; c: string }
const snap = (a: Account | undefined): Snap => ({ n: a?.nonce ?? 0n, b: a?.balance ?? 0n, c: a !== undefined ? bytesToHex(a.codeHash) : KECCAK256_NULL_S })

interface TxState { reads: Set<string>; own: Set<string>; preAcct: Map<string, { address: Address; pre: Snap }>; preSlot: Map<string, { address: Address; slot: Uint8Array; pre: Uint8Array }> }

/** Records, per transaction, the keys read and written (see the header for the rules). */
class AccessStateManager extends FlatReadStateManager {
  /** 'pre': runTx before the top-level call; 'evm': inside it; 'post': runTx after it. */
  phase: 'pre' | 'evm' | 'post' = 'pre'
  private cur: TxState | undefined
  private plainTo: string | undefined
  private quietDepth = 0

  /** Runs f without recording (the library's internal calls and our own bookkeeping). */
  private async quiet<T>(f: () => Promise<T>): Promise<T> {
    this.quietDepth++
    try {
      return await f()
    } finally {
      this.quietDepth--
    }
  }
  private read(key: string): void {
    if (this.cur !== undefined && this.quietDepth === 0 && !this.cur.own.has(key)) this.cur.reads.add(key)
  }
  private async noteAccount(address: Address): Promise<void> {
    const cur = this.cur
    if (cur === undefined || this.quietDepth > 0) return
    const hex = address.toString()
    for (const f of ['.n', '.b', '.c']) cur.own.add(hex + f)
    if (!cur.preAcct.has(hex)) cur.preAcct.set(hex, { address, pre: snap(await this.quiet(() => this.getAccount(address))) })
  }

  async beginTx(to: Address | undefined): Promise<void> {
    const plain = to !== undefined && (await this.quiet(() => this.getCode(to))).length === 0
    this.plainTo = plain ? to.toString() : undefined
    this.cur = { reads: new Set(), own: new Set(), preAcct: new Map(), preSlot: new Map() }
    this.phase = 'pre'
  }
  /** The transaction's reads and the keys whose values it changed. */
  async endTx(): Promise<{ reads: string[]; writes: string[] }> {
    const cur = this.cur!
    this.cur = undefined
    const writes: string[] = []
    for (const [hex, { address, pre }] of cur.preAcct) {
      const post = snap(await this.quiet(() => this.getAccount(address)))
      if (post.n !== pre.n) writes.push(`${hex}.n`)
      if (post.b !== pre.b) writes.push(`${hex}.b`)
      if (post.c !== pre.c) writes.push(`${hex}.c`)
    }
    for (const [key, { address, slot, pre }] of cur.preSlot) {
      if (!equalsBytes(pre, await this.quiet(() => this.getStorage(address, slot)))) writes.push(key)
    }
    return { reads: [...cur.reads], writes }
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    if (this.cur !== undefined && this.quietDepth === 0 && this.phase !== 'post') {
      const hex = address.toString()
      this.read(`${hex}.c`)
      if (hex !== this.plainTo || this.phase !== 'evm') for (const f of ['.n', '.b']) this.read(hex + f)
    }
    return this.quiet(() => super.getAccount(address))
  }
  override async getCode(address: Address): Promise<Uint8Array> {
    this.read(`${address.toString()}.c`)
    return this.quiet(() => super.getCode(address))
  }
  override async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    this.read(`${address.toString()}.s${bytesToHex(slot)}`)
    return this.quiet(() => super.getStorage(address, slot))
  }
  // Account writes: the first one in a transaction snapshots the account; endTx diffs against it.
  override async putAccount(a: Address, acc: Account | undefined): Promise<void> { await this.noteAccount(a); return this.quiet(() => super.putAccount(a, acc)) }
  override async modifyAccountFields(a: Address, f: AccountFields): Promise<void> { await this.noteAccount(a); return this.quiet(() => super.modifyAccountFields(a, f)) }
  override async deleteAccount(a: Address): Promise<void> { await this.noteAccount(a); return this.quiet(() => super.deleteAccount(a)) }
  override async putCode(a: Address, code: Uint8Array): Promise<void> { await this.noteAccount(a); return this.quiet(() => super.putCode(a, code)) }
  override async clearStorage(a: Address): Promise<void> { await this.noteAccount(a); return this.quiet(() => super.clearStorage(a)) }
  override async putStorage(address: Address, slot: Uint8Array, value: Uint8Array): Promise<void> {
    const cur = this.cur
    if (cur !== undefined && this.quietDepth === 0) {
      const key = `${address.toString()}.s${bytesToHex(slot)}`
      cur.own.add(key)
      if (!cur.preSlot.has(key)) cur.preSlot.set(key, { address, slot, pre: await this.quiet(() => this.getStorage(address, slot)) })
    }
    return this.quiet(() => super.putStorage(address, slot, value))
  }
}

/** One recorded transaction: its accesses, gas used and the wall time of its runTx (instrumented). */
export interface RecordedTx extends TxAccess {
  ms: number
}

/** A VM over `stateManager` for the block's request, as SequentialExecutor builds it. */
export async function blockVm(req: ExecuteRequest, stateManager: FlatReadStateManager): Promise<VM> {
  const common = req.common.copy()
  common.setHardforkBy({ blockNumber: req.block.header.number, timestamp: req.block.header.timestamp })
  return createVM({ common, stateManager, blockchain: new AncestorHashes(req.parent, req.headerByHash) })
}

/** One instrumented sequential execution of the request's block: per transaction its reads, writes and gas. */
export async function recordAccesses(req: ExecuteRequest): Promise<RecordedTx[]> {
  const sm = new AccessStateManager({ trie: openTrie(new Overlay(req.base), req.parent.stateRoot), caches: new Caches() })
  const vm = await blockVm(req, sm)
  const evm = vm.evm
  const runCall = evm.runCall.bind(evm)
  evm.runCall = async (opts) => {
    if (opts.message !== undefined) return runCall(opts) // a nested frame
    sm.phase = 'evm'
    try {
      return await runCall(opts)
    } finally {
      sm.phase = 'post'
    }
  }
  const out: RecordedTx[] = []
  let failure: unknown
  let t0 = 0
  const settle = (p: Promise<void>, resolve?: () => void): void => {
    p.catch((e: unknown) => (failure ??= e)).finally(() => resolve?.())
  }
  // Two-argument listeners: runTx awaits them (vm._emit), so the async bookkeeping finishes in place.
  vm.events.on('beforeTx', (tx, resolve) => {
    t0 = performance.now()
    settle(sm.beginTx(tx.to), resolve)
  })
  vm.events.on('afterTx', (e: AfterTxEvent, resolve) =>
    settle((async () => void out.push({ ...(await sm.endTx()), gas: Number(e.totalGasSpent), ms: performance.now() - t0 }))(), resolve),
  )
  await runRequest(vm, req)
  if (failure !== undefined) throw failure
  return out
}
