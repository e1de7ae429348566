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
// Keys and the read/write rules: src/parallelism/recorder.ts (the node's parallax_blockParallelism
// records with the same code); the DAG, critical path and bounds: src/parallelism/dag.ts.
// j depends on every i < j that wrote a key j read (read-after-write only: with multi-version memory
// or ordered commit, write-after-write and write-after-read cost nothing; every writer, not only the
// last, since only credits write without reading and those are deltas on the earlier ones). Critical path
// cp[j] = w[j] + max over deps cp[i]; the bound for a perfect scheduler on P threads is
// total / max(cp, total/P), by time and by gas. The run time outside the per-transaction windows
// (system calls, receipts, the state root) is serial for every scheduler: `blk xP` charges it.
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { criticalPath, PS, type PathStats } from '../../src/parallelism/dag.ts'
import { blockVm, recordAccesses, type RecordedTx } from '../../src/parallelism/recorder.ts'
import { runRequest, type ExecuteRequest } from '../../src/exec/sequential.ts'
import { openBlockState } from '../../src/exec/state.ts'
import { DEFAULT_SEED } from '../helpers/workloads/named.ts'
import { AMSTERDAM_ROW, parseGas, parseOnly, rowWorkload, selectRows } from './rows.ts'
import { median } from './measure.ts'
import { setupBenchBlock, type BenchBlock } from './setup.ts'

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

/** The by-gas part of a row, from one instrumented run of the request's block (no timings). */
export async function gasDeps(req: ExecuteRequest): Promise<{ deps: RecordedTx[]; byGas: PathStats; chain: number; txsWithDeps: number }> {
  const deps = await recordAccesses(req)
  const { stats: byGas, chain, txsWithDeps } = criticalPath(deps, deps.map((d) => d.gas))
  return { deps, byGas, chain, txsWithDeps }
}

async function analyse(name: string, gas: bigint, runs: number, gc: () => void): Promise<DepsRow> {
  const amsterdam = name === AMSTERDAM_ROW
  const bb = await setupBenchBlock(
    rowWorkload(name, DEFAULT_SEED),
    gas,
    { amsterdam, builder: 'runBlock' },
  )
  try {
    const { deps, byGas } = await gasDeps(bb.request())
    const timed: { txMs: number[]; blockMs: number }[] = []
    for (let i = 0; i < runs; i++) timed.push(await timeBlock(bb, gc))
    if (deps.length !== bb.txCount || timed.some((t) => t.txMs.length !== bb.txCount)) throw new Error(`${name}: saw a different number of transactions than the block's ${bb.txCount}`)
    const w = deps.map((_, j) => median(timed.map((t) => t.txMs[j]!)))
    const blockMs = median(timed.map((t) => t.blockMs))
    const { stats: byTime, chain, txsWithDeps } = criticalPath(deps, w)
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

// Run as a script (npm run bench:deps); the tests import gasDeps.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`deps failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  })
}
