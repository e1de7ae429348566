// `npm run bench`: the fast sequential executor (the reference: same read path as the parallel
// one), the stock sequential executor (ethereumjs' own read path, for context) and the parallel
// executor on the benchmark workloads, in one run. Each workload's block is built once; every
// executor then executes it N times over fresh state overlays (they never commit), interleaved,
// each timed run after an untimed one of the same executor (steady state, as in a node), medians
// reported. Flags: --gas 30M|300M, --runs N, --warmup N, --json [--out file], --only
// <names>, --executor <module>, --seed N, --builder runBlock|buildOnParent, --contention (a
// CPU-bound process busy during the timed runs). See test/bench/README.md.
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { spawn, type ChildProcess } from 'node:child_process'
import { runInNewContext } from 'node:vm'
import { nativeSecp256k1 } from '../../src/exec/crypto.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import type { Executor } from '../../src/exec/sequential.ts'
import { DEFAULT_SEED } from '../helpers/workloads/named.ts'
import { loadParallel, type ParallelSource } from './parallel.ts'
import { diffPrints, headerPrint, median, timeOnce, timeStateRoot, type RootPrint, type RunSample } from './measure.ts'
import { renderTable, type BenchReport, type BenchRow, type ExecutorStats } from './report.ts'
import { setupBenchBlock, type BenchBlock, type BlockBuilderKind } from './setup.ts'
import { AMSTERDAM_ROW, parseGas, parseOnly, ROWS, rowWorkload, selectRows } from './rows.ts'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void


interface Options {
  gas: bigint
  runs: number
  warmup: number
  json: boolean
  out?: string
  only?: string[]
  executor?: string
  seed: number
  builder: BlockBuilderKind
  contention: boolean
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      gas: { type: 'string', default: '30M' },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string', multiple: true },
      executor: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      builder: { type: 'string', default: 'runBlock' },
      contention: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help === true) {
    process.stdout.write(
      [
        'usage: npm run bench -- [--gas 30M|300M] [--runs N] [--warmup N] [--json [--out FILE]]',
        '                        [--only NAME[,NAME...]] [--executor MODULE|none] [--seed N]',
        '                        [--builder runBlock|buildOnParent]   (buildOnParent is quadratic: small gas only)',
        '                        [--contention]   (a CPU-bound process runs during the timed runs)',
        `workloads: ${ROWS.join(', ')} (--only also takes a prefix: --only uniswap)`,
        '',
      ].join('\n'),
    )
    process.exit(0)
  }
  const int = (s: string, name: string, min: number): number => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${s}`)
    return n
  }
  const only = parseOnly(values.only)
  const builder = values.builder
  if (builder !== 'runBlock' && builder !== 'buildOnParent') throw new Error(`--builder: expected runBlock or buildOnParent, got ${builder}`)
  return {
    builder,
    gas: parseGas(values.gas!),
    runs: int(values.runs!, 'runs', 1),
    warmup: int(values.warmup!, 'warmup', 0),
    json: values.json === true,
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(only !== undefined && only.length > 0 ? { only } : {}),
    ...(values.executor !== undefined ? { executor: values.executor } : {}),
    seed: int(values.seed!, 'seed', 0),
    contention: values.contention === true,
  }
}

/** A CPU-bound process (one busy thread) for --contention; killed with the bench. */
function startContention(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  process.on('exit', kill)
  return child
}

const log = (msg: string): void => {
  process.stderr.write(`${msg}\n`)
}

function stats(samples: RunSample[], gasUsed: bigint): ExecutorStats {
  const ms = median(samples.map((s) => s.ms))
  const sr = samples.map((s) => s.stateRootMs).filter((x): x is number => x !== undefined)
  const profiles = samples.map((s) => s.profile).filter((p): p is NonNullable<RunSample['profile']> => p !== undefined)
  const med = (f: (p: NonNullable<RunSample['profile']>) => number): number => median(profiles.map(f))
  return {
    medianMs: ms,
    runsMs: samples.map((s) => Math.round(s.ms * 10) / 10),
    mgasPerSec: Number(gasUsed) / 1e6 / (ms / 1000),
    reexecutions: median(samples.map((s) => s.reexecutions)),
    ...(sr.length > 0 ? { stateRootMs: median(sr) } : {}),
    ...(profiles.length === samples.length && profiles.length > 0
      ? {
          profile: {
            mainMs: med((p) => p.totalMs - p.waitMs),
            execMs: med((p) => p.execMs),
            applyMs: med((p) => p.replayMs),
            waitMs: med((p) => p.waitMs),
            afterMs: med((p) => p.afterMs),
            own: med((p) => p.own),
            applied: med((p) => p.replayed),
            workerMs: med((p) => p.workerMs),
            traceBytes: med((p) => p.traceBytes),
            mainShare: med((p) => p.mainShare),
          },
        }
      : {}),
  }
}

/**
 * The parallel executor kept from row to row, as a node keeps one for its lifetime: its workers'
 * compiled code stays warm, as the sequential executors' code does on this thread. (With a new
 * executor per row every row started with cold workers while this thread had run every row
 * before it.) Only an executor that can be pointed at another store (`retarget`) is kept.
 */
type Retargetable = Executor & { retarget(kvPath: string): Promise<void> }

interface KeptParallel {
  executor?: Retargetable
}

function retargetable(ex: Executor | undefined): ex is Retargetable {
  return typeof (ex as { retarget?: unknown } | undefined)?.retarget === 'function'
}

async function benchRow(name: string, o: Options, parallel: ParallelSource | undefined, kept: KeptParallel): Promise<BenchRow> {
  const amsterdam = name === AMSTERDAM_ROW
  const generate = rowWorkload(name, o.seed)
  log(`[${name}] generating and building (${o.gas / 1_000_000n}M gas)...`)
  let block: BenchBlock
  try {
    block = await setupBenchBlock(generate, o.gas, { amsterdam, builder: o.builder })
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    log(`[${name}] not available: ${reason}`)
    return { workload: name, notAvailable: reason }
  }
  const { txCount, gasUsed } = block
  log(
    `[${name}] ${txCount} txs, ${gasUsed} gas (generate ${block.timings.generateMs.toFixed(0)} ms, genesis ${block.timings.genesisMs.toFixed(0)} ms, ` +
      `build ${block.timings.buildMs.toFixed(0)} ms)${block.blockAccessList !== undefined ? `, BAL ${block.blockAccessList.length} bytes` : ''}`,
  )
  const header = headerPrint(block)
  const seq = new SequentialExecutor()
  const stock = new SequentialExecutor({ stock: true })
  let par: Executor | undefined
  let parError: string | undefined
  try {
    if (parallel !== undefined && kept.executor !== undefined) {
      const ex = kept.executor
      par = ex // (one that cannot be retargeted is closed below, not used again)
      await ex.retarget(block.location)
    } else if (parallel !== undefined) {
      par = await parallel.create({ location: block.location, kv: block.kv, common: block.common })
      if (retargetable(par)) kept.executor = par
    }
  } catch (err) {
    parError = `could not create: ${err instanceof Error ? err.message : String(err)}`
  }
  const mismatches = new Set<string>()
  const prints: { seq?: RootPrint; par?: RootPrint; stock?: RootPrint } = {}
  const seqSamples: RunSample[] = []
  const parSamples: RunSample[] = []
  const stockSamples: RunSample[] = []
  const one = async (which: 'seq' | 'par' | 'stock', timed: boolean): Promise<void> => {
    const ex = which === 'seq' ? seq : which === 'stock' ? stock : par
    if (ex === undefined || (which === 'par' && parError !== undefined)) return
    try {
      const { sample, print } = await timeOnce(ex, block)
      for (const f of diffPrints(print, header)) mismatches.add(`${which}≠header:${f}`)
      const first = prints[which]
      if (first === undefined) prints[which] = print
      else for (const f of diffPrints(print, first)) mismatches.add(`${which} runs differ:${f}`)
      if (timed) (which === 'seq' ? seqSamples : which === 'stock' ? stockSamples : parSamples).push(sample)
      log(`[${name}] ${which}${timed ? '' : ' (warm-up)'} ${sample.ms.toFixed(1)} ms${which === 'par' ? `, ${sample.reexecutions} re-executions` : ''}`)
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err)
      if (which !== 'par') throw err
      parError = `execute failed: ${msg}`
      log(`[${name}] parallel executor failed: ${msg}`)
    }
  }
  let load: ChildProcess | undefined
  try {
    // Warm-up: a node runs one block after another. The parallel executor needs a few blocks to
    // get there (its worker's code is compiled cold, and the main thread's share adapts from the
    // measured costs of the blocks before: timed runs after 1 warm-up block took 353-594 ms on
    // mixed/hybrid-hot30 where later ones took 382-386 ms); both executors get the same number.
    for (let i = 0; i < o.warmup; i++) {
      await one('seq', false)
      await one('par', false)
    }
    if (o.contention) load = startContention()
    for (let i = 0; i < o.runs; i++) {
      // rotate who goes first, so drift (heap growth, page cache) does not favour one side
      const order: ('seq' | 'par' | 'stock')[] = [['seq', 'par', 'stock'] as const, ['par', 'stock', 'seq'] as const, ['stock', 'seq', 'par'] as const][i % 3]!.slice()
      // Each timed run follows an untimed run of the same executor: a node runs one executor block
      // after block, and the first block after another executor ran is slower for either (the other
      // one's garbage, caches and, for the parallel one, an idle worker; measured 491 vs 402-414 ms
      // for par and 540 vs 461 ms for seq on erc20/independent). The stock column is context only.
      for (const w of order) {
        if (w !== 'stock') await one(w, false)
        await one(w, true)
      }
    }
    load?.kill('SIGKILL')
    load = undefined
    const seqStateRootMs = await timeStateRoot(seq, block)
    log(`[${name}] sequential state root ${seqStateRootMs.toFixed(1)} ms (instrumented run)`)
    const s = { ...stats(seqSamples, gasUsed), stateRootMs: seqStateRootMs }
    const st = stats(stockSamples, gasUsed)
    let p = parSamples.length === o.runs && parError === undefined ? stats(parSamples, gasUsed) : undefined
    if (p !== undefined && p.stateRootMs === undefined && par !== undefined) {
      // An executor that computes the root on this thread (ours does) is measured the same way.
      const parStateRootMs = await timeStateRoot(par, block)
      log(`[${name}] parallel state root ${parStateRootMs.toFixed(1)} ms (instrumented run, this thread)`)
      if (parStateRootMs > 0) p = { ...p, stateRootMs: parStateRootMs }
    }
    if (prints.seq !== undefined && prints.par !== undefined) for (const f of diffPrints(prints.seq, prints.par)) mismatches.add(`seq≠par:${f}`)
    if (prints.seq !== undefined && prints.stock !== undefined) for (const f of diffPrints(prints.seq, prints.stock)) mismatches.add(`seq≠stock:${f}`)
    return {
      workload: name,
      description: block.description,
      txs: txCount,
      gasUsed: Number(gasUsed),
      sequential: s,
      stock: st,
      ...(p !== undefined ? { parallel: p, speedup: s.medianMs / p.medianMs } : {}),
      ...(parError !== undefined ? { parallelError: parError } : {}),
      rootsEqual: mismatches.size === 0,
      rootsChecked: p !== undefined ? 'fast and stock sequential, parallel and header' : 'fast and stock sequential and header only',
      mismatches: [...mismatches],
      build: block.timings,
      ...(block.blockAccessList !== undefined ? { blockAccessListBytes: block.blockAccessList.length } : {}),
    }
  } finally {
    load?.kill('SIGKILL')
    // A kept executor that failed is not used again.
    if (par !== undefined && (par !== kept.executor || parError !== undefined)) {
      if (par === kept.executor) delete kept.executor
      await par.close?.()
    }
    await block.close()
    // Between rows only: a forced full GC releases the young generation's pages, and the next block
    // then pays to fault them back in (seq erc20/independent measured 860 ms right after gc() vs 459
    // in steady state), a regime a running node is not in.
    gc()
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2))
  const defaultParallel = fileURLToPath(new URL('../../src/exec/parallel.ts', import.meta.url))
  const modulePath = o.executor !== undefined ? resolve(o.executor) : defaultParallel
  const skip = o.executor === 'none'
  const loaded = skip || (o.executor === undefined && !existsSync(defaultParallel)) ? undefined : await loadParallel(pathToFileURL(modulePath).href)
  let parallel: ParallelSource | undefined
  let parallelNote: string
  if (skip) parallelNote = 'parallel executor not run (--executor none): parallel columns empty'
  else if (loaded === undefined) parallelNote = 'parallel executor not available: parallel columns empty (src/exec/parallel.ts does not exist)'
  else if ('unavailable' in loaded) parallelNote = `parallel executor not available: parallel columns empty (${loaded.unavailable})`
  else {
    parallel = loaded
    parallelNote = `parallel executor: ${loaded.description} from ${modulePath}`
  }
  log(parallelNote)
  const rows = selectRows(o.only)
  const report: BenchReport = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      nativeSecp256k1,
      gasTarget: Number(o.gas),
      runs: o.runs,
      warmup: o.warmup,
      seed: o.seed,
      builder: o.builder,
      contention: o.contention,
      parallel: parallel !== undefined ? { available: true, source: modulePath } : { available: false, note: parallelNote },
    },
    rows: [],
  }
  const kept: KeptParallel = {}
  try {
    for (const name of rows) report.rows.push(await benchRow(name, o, parallel, kept))
  } finally {
    await kept.executor?.close?.()
  }
  const table = renderTable(report)
  const json = `${JSON.stringify(report, null, 2)}\n`
  if (o.json && o.out === undefined) {
    process.stderr.write(`${table}\n`)
    process.stdout.write(json)
  } else {
    process.stdout.write(`${table}\n`)
    if (o.out !== undefined) {
      await writeFile(o.out, o.json ? json : `${table}\n`)
      log(`wrote ${o.out}`)
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
