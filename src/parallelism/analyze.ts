// `parallax analyze --datadir D --from N --to M [--out report.html]`: parallax_blockParallelism over
// a range of imported canonical blocks (the same analysis, run in a pool of call workers over the
// datadir's LevelDB, several blocks at once), with a progress bar on stderr, then the report
// (report.ts): the HTML file and its charts as SVG next to it (`<out>.speedup.svg`,
// `<out>.contracts.svg`). The node must not be running on the datadir (LevelDB allows one process).
// The executor's records live in a running node's memory, so the report has the bounds and the DAG
// facts, and no achieved speedup.
import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { SingleBar } from 'cli-progress'
import type { Logger } from 'pino'
import { openDatadir } from '../node/datadir.ts'
import { startCallPool } from '../rpc/eth/call-pool.ts'
import { UsageError } from '../util/errors.ts'
import { buildReport, renderCharts, renderHtml, type Report } from './report.ts'
import { createParallelism } from './rpc.ts'
import type { BlockParallelismRpc } from './types.ts'

export interface AnalyzeOptions {
  datadir: string
  from: bigint
  to: bigint
  out: string
  logger: Logger
  /** Where the progress bar goes (a TTY gets a redrawn bar, anything else a line per 10%). */
  progress: NodeJS.WritableStream
  /** Call workers (default: one per core). */
  workers?: number
  signal?: AbortSignal
}

export interface AnalyzeResult {
  report: Report
  files: { html: string; speedupSvg: string; contractsSvg: string }
}

export async function analyzeCommand(o: AnalyzeOptions): Promise<AnalyzeResult> {
  if (o.from < 0n || o.to < o.from) throw new UsageError(`--from ${o.from} --to ${o.to}: expected 0 <= from <= to`)
  const opened = await openDatadir(o.datadir, o.logger)
  const workers = o.workers ?? availableParallelism()
  const calls = startCallPool(opened.chain, workers, o.logger.child({ module: 'analyze-workers' }))
  try {
    const head = opened.chain.head.number
    if (o.to > head) throw new UsageError(`--to ${o.to} is past the head of the chain in ${o.datadir} (${head})`)
    const { analyse } = createParallelism({ chain: opened.chain, calls, cacheSize: 0 })
    const count = Number(o.to - o.from + 1n)
    const bar = new SingleBar({ stream: o.progress, format: 'analyze [{bar}] {percentage}% | {value}/{total} blocks | block {block} | ETA {eta_formatted}', noTTYOutput: true, notTTYSchedule: 2000, hideCursor: null })
    bar.start(count, 0, { block: String(o.from) })
    const blocks = new Array<BlockParallelismRpc>(count)
    let next = 0
    let done = 0
    const runOne = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        if (o.signal?.aborted === true) throw new Error('interrupted')
        blocks[i] = await analyse({ number: o.from + BigInt(i), requireCanonical: false })
        bar.update(++done, { block: String(blocks[i]!.number) })
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.max(1, workers) }, runOne))
    } finally {
      bar.stop()
    }
    const report = buildReport(Number(o.from), Number(o.to), blocks)
    const charts = await renderCharts(report)
    const base = o.out.replace(/\.html?$/i, '')
    const files = { html: o.out, speedupSvg: `${base}.speedup.svg`, contractsSvg: `${base}.contracts.svg` }
    await writeFile(files.html, renderHtml(report, charts))
    await writeFile(files.speedupSvg, charts.speedup)
    await writeFile(files.contractsSvg, charts.contracts)
    return { report, files }
  } finally {
    await calls.close()
    await opened.close()
  }
}
