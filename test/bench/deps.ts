// The dependency structure of each benchmark block: how much parallelism any scheduler could at best
// extract from it, Block-STM included. It informs the Block-STM vs ordered-commit decision in
// docs/notes.md: our executor's measured speedup (run.ts) is compared against this bound, so we know
// whether the gap is the block's (dependencies), the design's (the serial main thread) or neither.
//
//   node --import tsx test/bench/deps.ts [--gas 30M|300M] [--only name,name] [--runs N] [--json]
//
// Each workload's block is built exactly as run.ts builds it (same generators, seed and builder),
// then executed sequentially (ethereumjs runBlock, as SequentialExecutor) once with instrumentation,
// recording every transaction's reads and writes, then --runs times (default 3) without it, for the
// timings: the weight of a transaction is the median wall time between its beforeTx and afterTx.
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
// - Not tracked: whole-storage wipes (SELFDESTRUCT of a new contract, CREATE over storage); none of
//   the workloads does either.
// j depends on every i < j that wrote a key j read (read-after-write only: with multi-version memory
// or ordered commit, write-after-write and write-after-read cost nothing; every writer, not only the
// last, since only credits write without reading and those are deltas on the earlier ones). Critical path
// cp[j] = w[j] + max over deps cp[i]; the bound for a perfect scheduler on P threads is
// total / max(cp, total/P), by time and by gas. The run time outside the per-transaction windows
// (system calls, receipts, the state root) is serial for every scheduler: `blk xP` charges it.
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { AccountFields } from '@ethereumjs/common'
import { Caches } from '@ethereumjs/statemanager'
import { type Account, type Address, bytesToHex, equalsBytes, KECCAK256_NULL_S } from '@ethereumjs/util'
import { createVM, type AfterTxEvent, type VM } from '@ethereumjs/vm'
import { Overlay } from '../../src/db/overlay.ts'
import { AncestorHashes } from '../../src/exec/ancestors.ts'
import { runRequest, type ExecuteRequest } from '../../src/exec/sequential.ts'
import { FlatReadStateManager, openBlockState, openTrie } from '../../src/exec/state.ts'
import { DEFAULT_SEED } from '../helpers/workloads/named.ts'
import { AMSTERDAM_ROW, parseGas, parseOnly, rowWorkload, selectRows } from './rows.ts'
import { median } from './measure.ts'
import { setupBenchBlock, type BenchBlock } from './setup.ts'

const PS = [2, 4, 8, 16] as const

interface Snap { n: bigint; b: bigint; c: string }
const snap = (a: Account | undefined): Snap => ({ n: a?.nonce ?? 0n, b: a?.balance ?? 0n, c: a !== undefined ? bytesToHex(a.codeHash) : KECCAK256_NULL_S })

interface TxState { reads: Set<string>; own: Set<string>; preAcct: Map<string, { address: Address; pre: Snap }>; preSlot: Map<string, { address: Address; slot: Uint8Array; pre: Uint8Array }> }

/** Records, per transaction, the keys read and written (see the header for the rules). */
class DepsStateManager extends FlatReadStateManager {
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

interface TxDeps { reads: string[]; writes: string[]; gas: number }

/** A VM over `stateManager` for the block's request, as SequentialExecutor builds it. */
async function blockVm(req: ExecuteRequest, stateManager: FlatReadStateManager): Promise<VM> {
  const common = req.common.copy()
  common.setHardforkBy({ blockNumber: req.block.header.number, timestamp: req.block.header.timestamp })
  return createVM({ common, stateManager, blockchain: new AncestorHashes(req.parent, req.headerByHash) })
}

/** One instrumented sequential execution: per transaction its reads, writes and gas. */
async function recordDeps(bb: BenchBlock): Promise<TxDeps[]> {
  const req = bb.request()
  const sm = new DepsStateManager({ trie: openTrie(new Overlay(req.base), req.parent.stateRoot), caches: new Caches() })
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
  const out: TxDeps[] = []
  let failure: unknown
  const settle = (p: Promise<void>, resolve?: () => void): void => {
    p.catch((e: unknown) => (failure ??= e)).finally(() => resolve?.())
  }
  // Two-argument listeners: runTx awaits them (vm._emit), so the async bookkeeping finishes in place.
  vm.events.on('beforeTx', (tx, resolve) => settle(sm.beginTx(tx.to), resolve))
  vm.events.on('afterTx', (e: AfterTxEvent, resolve) =>
    settle((async () => void out.push({ ...(await sm.endTx()), gas: Number(e.totalGasSpent) }))(), resolve),
  )
  await runRequest(vm, req)
  if (failure !== undefined) throw failure
  return out
}

/** Uninstrumented sequential runs: per-transaction window times and the runBlock wall time. */
async function timeBlock(bb: BenchBlock, gc: () => void): Promise<{ txMs: number[]; blockMs: number }> {
  const req = bb.request()
  const vm = await blockVm(req, openBlockState(req.base, req.parent.stateRoot).stateManager)
  const txMs: number[] = []
  let t0 = 0
  vm.events.on('beforeTx', () => void (t0 = performance.now()))
  vm.events.on('afterTx', () => void txMs.push(performance.now() - t0))
  gc()
  const t = performance.now()
  await runRequest(vm, req)
  return { txMs, blockMs: performance.now() - t }
}

interface PathStats { total: number; criticalPath: number; criticalPathPct: number; bound: Record<string, number> }
/** Critical path over the read-after-write DAG, with weights w; chain = longest path in transactions. */
function criticalPath(txs: readonly TxDeps[], w: readonly number[]): { stats: PathStats; chain: number; txsWithDeps: number } {
  const keyCp = new Map<string, number>()
  const keyLen = new Map<string, number>()
  let cp = 0, chain = 0, txsWithDeps = 0, total = 0
  txs.forEach((tx, j) => {
    let before = 0, len = 0
    for (const k of tx.reads) {
      before = Math.max(before, keyCp.get(k) ?? 0)
      len = Math.max(len, keyLen.get(k) ?? 0)
    }
    if (len > 0) txsWithDeps++
    const c = before + w[j]!
    for (const k of tx.writes) {
      keyCp.set(k, Math.max(keyCp.get(k) ?? 0, c))
      keyLen.set(k, Math.max(keyLen.get(k) ?? 0, len + 1))
    }
    cp = Math.max(cp, c)
    chain = Math.max(chain, len + 1)
    total += w[j]!
  })
  const bound = Object.fromEntries(PS.map((p) => [`p${p}`, total / Math.max(cp, total / p)]))
  return { stats: { total, criticalPath: cp, criticalPathPct: total > 0 ? (100 * cp) / total : 0, bound }, chain, txsWithDeps }
}

export interface DepsRow {
  workload: string
  txs: number
  gasUsed: number
  /** runBlock wall time (median), and the part of it outside the per-transaction windows. */
  blockMs: number
  serialMs: number
  serialPct: number
  maxTxMs: number
  maxTxIndex: number
  chain: number
  txsWithDeps: number
  byTime: PathStats
  byGas: PathStats
  /** blockMs / (serialMs + max(cp, total/P)): the bound with the serial part charged. */
  blockBound: Record<string, number>
}

async function analyse(name: string, gas: bigint, runs: number, gc: () => void): Promise<DepsRow> {
  const amsterdam = name === AMSTERDAM_ROW
  const bb = await setupBenchBlock(
    rowWorkload(name, DEFAULT_SEED),
    gas,
    { amsterdam, builder: 'runBlock' },
  )
  try {
    const deps = await recordDeps(bb)
    const timed: { txMs: number[]; blockMs: number }[] = []
    for (let i = 0; i < runs; i++) timed.push(await timeBlock(bb, gc))
    if (deps.length !== bb.txCount || timed.some((t) => t.txMs.length !== bb.txCount)) throw new Error(`${name}: saw a different number of transactions than the block's ${bb.txCount}`)
    const w = deps.map((_, j) => median(timed.map((t) => t.txMs[j]!)))
    const blockMs = median(timed.map((t) => t.blockMs))
    const { stats: byTime, chain, txsWithDeps } = criticalPath(deps, w)
    const byGas = criticalPath(deps, deps.map((d) => d.gas)).stats
    const serialMs = Math.max(0, blockMs - byTime.total)
    const maxTxMs = Math.max(...w)
    const blockBound = Object.fromEntries(PS.map((p) => [`p${p}`, blockMs / (serialMs + Math.max(byTime.criticalPath, byTime.total / p))]))
    return { workload: name, txs: bb.txCount, gasUsed: Number(bb.gasUsed), blockMs, serialMs, serialPct: (100 * serialMs) / blockMs, maxTxMs, maxTxIndex: w.indexOf(maxTxMs), chain, txsWithDeps, byTime, byGas, blockBound }
  } finally {
    await bb.close()
  }
}

function renderTable(rows: readonly DepsRow[], gas: bigint, runs: number): string {
  const head = ['workload', 'txs', 'block ms', 'serial%', 'tx ms', 'max tx', 'cp ms', 'cp%', 'cp% gas', 'chain', 'dep txs', 'x2', 'x4', 'x8', 'x16', 'blk x2', 'blk x16']
  const f = (x: number, d: number): string => x.toFixed(d)
  const cells = rows.map((r) => [
    r.workload, String(r.txs), f(r.blockMs, 0), f(r.serialPct, 1), f(r.byTime.total, 0), f(r.maxTxMs, 2), f(r.byTime.criticalPath, 1), f(r.byTime.criticalPathPct, 1),
    f(r.byGas.criticalPathPct, 1), String(r.chain), `${f((100 * r.txsWithDeps) / r.txs, 0)}%`, ...PS.map((p) => f(r.byTime.bound[`p${p}`]!, 2)), f(r.blockBound.p2!, 2), f(r.blockBound.p16!, 2),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ').trimEnd()
  return [
    `Parallax dependency bound: ${gas / 1_000_000n}M gas, seed ${DEFAULT_SEED}, weights = median of ${runs} uninstrumented sequential run(s)`,
    '',
    line(head),
    line(widths.map((n) => '-'.repeat(n))),
    ...cells.map(line),
    '',
    'block ms: runBlock wall time; serial%: its share outside the per-tx windows (system calls, receipts, state root)',
    'tx ms: sum of per-tx times; max tx: longest tx (ms); cp: critical path of the read-after-write DAG (time; % of tx ms; and by gas)',
    'chain: longest dependency chain (txs); dep txs: txs with >= 1 dependency; xP = tx ms / max(cp, tx ms / P), a perfect P-thread scheduler',
    'blk xP: block ms / (serial + max(cp, tx ms / P)), the same bound with the serial part charged (compare with the bench speedup)',
  ].join('\n')
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { gas: { type: 'string', default: '30M' }, only: { type: 'string', multiple: true }, runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
    strict: true,
  })
  const gas = parseGas(values.gas!)
  const runs = Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected an integer >= 1, got ${values.runs}`)
  const names = selectRows(parseOnly(values.only))
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const rows: DepsRow[] = []
  for (const name of names) {
    const t = performance.now()
    rows.push(await analyse(name, gas, runs, gc))
    const r = rows[rows.length - 1]!
    process.stderr.write(`[${name}] ${r.txs} txs, cp ${r.byTime.criticalPathPct.toFixed(1)}% (${((performance.now() - t) / 1000).toFixed(1)} s)\n`)
  }
  const table = renderTable(rows, gas, runs)
  if (values.json === true) {
    process.stderr.write(`${table}\n`)
    process.stdout.write(`${JSON.stringify({ gasTarget: Number(gas), seed: DEFAULT_SEED, runs, rows }, null, 2)}\n`)
  } else process.stdout.write(`${table}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`deps failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
