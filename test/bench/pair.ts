// What two threads can do on this machine, measured: the fast sequential executor runs each bench
// block alone on this thread, then twice at once (this thread and a worker thread, same block, same
// LevelDB). However a parallel executor divides one block between two threads, each thread runs at
// most at the paired speed, so one block takes at least half a paired run: CEILING = 2 x alone /
// paired is the most any parallel executor can get over the sequential one here, before its own
// costs (shared caches and memory bandwidth, the hypervisor's scheduling and the garbage
// collector show up in the paired time; the paired runs have V8's parallel scavenge off, as the
// parallel executor's blocks do). The parallel executor's own speedup is measured in the same
// process, interleaved, for comparison.
//
//   npm run bench:pair [-- --only name,name] [--runs N] [--gas 30M] [--json]
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { withSerialScavenge } from '../../src/exec/gc-mode.ts'
import { createBenchExecutor } from '../../src/exec/parallel.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { tsWorkerSource } from '../../src/util/ts-worker.ts'
import { DEFAULT_SEED } from '../helpers/workloads/named.ts'
import { median } from './measure.ts'
import type { PairCommand, PairReply, PairWorkerData } from './pair-worker.ts'
import { AMSTERDAM_ROW, parseGas, parseOnly, rowWorkload, selectRows } from './rows.ts'
import { setupBenchBlock } from './setup.ts'

interface PairRow {
  workload: string
  aloneMs: number
  /** The same run alone on the worker thread. */
  workerAloneMs: number
  pairedMainMs: number
  pairedWorkerMs: number
  /** 2 x alone / the slower of the two paired runs (medians). */
  ceiling: number
  parMs: number
  /** alone / par, same process. */
  parSpeedup: number
}

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '5' },
    gas: { type: 'string', default: '30M' },
    json: { type: 'boolean', default: false },
  },
})
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${values.runs}`)
const gas = parseGas(values.gas)
const rows = selectRows(parseOnly(values.only))
const log = (msg: string): void => void process.stderr.write(`${msg}\n`)

/** A worker running pair-worker.ts (TypeScript: tsx's hooks registered inside it first). */
function startWorker(data: PairWorkerData): { worker: Worker; reply: () => Promise<PairReply> } {
  const worker = new Worker(tsWorkerSource(new URL('./pair-worker.ts', import.meta.url).href), { eval: true, workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 192 } })
  const queue: PairReply[] = []
  let waiting: ((r: PairReply) => void) | undefined
  worker.on('message', (r: PairReply) => {
    if (waiting !== undefined) {
      const w = waiting
      waiting = undefined
      w(r)
    } else queue.push(r)
  })
  worker.on('error', (err) => {
    const r: PairReply = { error: err.message }
    if (waiting !== undefined) waiting(r)
    else queue.push(r)
  })
  const reply = (): Promise<PairReply> => {
    const next = queue.shift()
    return next !== undefined ? Promise.resolve(next) : new Promise((resolve) => (waiting = resolve))
  }
  return { worker, reply }
}

const out: PairRow[] = []
for (const name of rows) {
  const amsterdam = name === AMSTERDAM_ROW
  const bb = await setupBenchBlock(rowWorkload(name, DEFAULT_SEED), gas, { amsterdam, builder: 'runBlock' })
  const { worker, reply } = startWorker({
    location: bb.location,
    rlp: bb.rlp,
    parentRlp: bb.parent.serialize(),
    amsterdam,
    ...(bb.blockAccessList !== undefined ? { blockAccessList: bb.blockAccessList } : {}),
  })
  const seq = new SequentialExecutor()
  const par = createBenchExecutor({ location: bb.location })
  try {
    const first = await reply()
    if (!('ready' in first)) throw new Error(`pair worker: ${'error' in first ? first.error : 'unexpected reply'}`)
    const inWorker = async (run: number): Promise<number> => {
      worker.postMessage({ run } satisfies PairCommand)
      const r = await reply()
      if ('error' in r) throw new Error(`pair worker: ${r.error}`)
      if (!('ms' in r)) throw new Error('pair worker: unexpected reply')
      return r.ms
    }
    // The request (the block decoded from its bytes) is built before the clock starts, as the
    // worker and the bench (measure.ts timeOnce) do: decoding is not execution.
    const here = async (ex: { execute: SequentialExecutor['execute'] }): Promise<number> => {
      const req = bb.request()
      const t = performance.now()
      await ex.execute(req)
      return performance.now() - t
    }
    // As the parallel executor runs its blocks: V8's parallel scavenge off while both threads
    // execute (its helper tasks would get no core; gc-mode.ts).
    const paired = (run: number): Promise<[number, number]> =>
      withSerialScavenge(async () => {
        const there = inWorker(run)
        const mine = await here(seq)
        return [mine, await there]
      })
    // Warm-up: both threads' executors and the parallel one (JIT, caches).
    for (let i = 0; i < 2; i++) {
      await here(seq)
      await inWorker(-1)
      await here(par)
    }
    const alone: number[] = []
    const wAlone: number[] = []
    const pm: number[] = []
    const pw: number[] = []
    const pmax: number[] = []
    const parMs: number[] = []
    // Each timed run follows an untimed run of the same kind (as run.ts does).
    for (let r = 0; r < runs; r++) {
      await here(seq)
      alone.push(await here(seq))
      await inWorker(-1)
      wAlone.push(await inWorker(r))
      await paired(-1)
      const [m, w] = await paired(r)
      pm.push(m)
      pw.push(w)
      pmax.push(Math.max(m, w))
      await here(par)
      parMs.push(await here(par))
      log(`[${name}] alone ${alone.at(-1)!.toFixed(0)} / ${wAlone.at(-1)!.toFixed(0)} ms, paired ${m.toFixed(0)} / ${w.toFixed(0)} ms, par ${parMs.at(-1)!.toFixed(0)} ms`)
    }
    const a = median(alone)
    const row: PairRow = {
      workload: name,
      aloneMs: a,
      workerAloneMs: median(wAlone),
      pairedMainMs: median(pm),
      pairedWorkerMs: median(pw),
      ceiling: (2 * a) / median(pmax),
      parMs: median(parMs),
      parSpeedup: a / median(parMs),
    }
    out.push(row)
  } finally {
    worker.postMessage({ close: true } satisfies PairCommand)
    await par.close()
    await worker.terminate()
    await bb.close()
  }
}

if (values.json === true) process.stdout.write(`${JSON.stringify({ gas: Number(gas), runs, rows: out }, null, 2)}\n`)
const head = ['workload', 'alone ms (here / worker)', 'paired ms (here / worker)', 'two-thread ceiling', 'par ms', 'par/seq']
const table = out.map((r) => [r.workload, `${r.aloneMs.toFixed(0)} / ${r.workerAloneMs.toFixed(0)}`, `${r.pairedMainMs.toFixed(0)} / ${r.pairedWorkerMs.toFixed(0)}`, `${r.ceiling.toFixed(2)}x`, r.parMs.toFixed(0), `${r.parSpeedup.toFixed(2)}x`])
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
const text = [
  `Two threads on this machine (median of ${runs}; ceiling = 2 x alone / the slower paired run; par/seq in the same process)`,
  line(head),
  line(widths.map((w) => '-'.repeat(w))),
  ...table.map(line),
].join('\n')
;(values.json === true ? process.stderr : process.stdout).write(`${text}\n`)
