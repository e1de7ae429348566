// The bench report: its JSON shape (written by --json) and the text table.

export interface ExecutorStats {
  medianMs: number
  runsMs: number[]
  mgasPerSec: number
  /** Median over runs (always 0 for the sequential executor). */
  reexecutions: number
  /**
   * Sequential: time in MerkleStateManager.getStateRoot during one extra instrumented run.
   * Parallel: as the executor reports it (outcome.timings.stateRootMs or outcome.stateRootMs), else
   * measured like the sequential one (only what runs on the bench's thread is seen).
   */
  stateRootMs?: number
  /** The parallel executor's own account of where its time went (medians over runs). */
  profile?: {
    /** Main-thread time (wall time less waiting for workers), and its parts. */
    mainMs: number
    execMs: number
    applyMs: number
    waitMs: number
    afterMs: number
    own: number
    applied: number
    /** Summed worker busy time; approximate bytes of speculation results sent to the main thread. */
    workerMs: number
    traceBytes: number
    mainShare: number
  }
}

export interface BenchRow {
  workload: string
  description?: string
  /** Set when the row could not be built; everything else is then absent. */
  notAvailable?: string
  txs?: number
  gasUsed?: number
  /** The fast sequential executor (the reference) and the stock one (ethereumjs' own read path). */
  sequential?: ExecutorStats
  stock?: ExecutorStats
  parallel?: ExecutorStats
  /** fast sequential median / parallel median */
  speedup?: number
  parallelError?: string
  /** stateRoot, receiptsRoot, logsBloom, gasUsed (and BAL hash) equal across all runs of both executors and the header. */
  rootsEqual?: boolean
  rootsChecked?: string
  mismatches?: string[]
  build?: { generateMs: number; genesisMs: number; buildMs: number }
  blockAccessListBytes?: number
}

export interface BenchReport {
  meta: {
    date: string
    node: string
    platform: string
    cpus: number
    cpuModel: string
    memoryGiB: number
    nativeSecp256k1: boolean
    gasTarget: number
    runs: number
    warmup: number
    seed: number
    builder: string
    contention?: boolean
    parallel: { available: true; source: string } | { available: false; note: string }
  }
  rows: BenchRow[]
}

const f0 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0))
const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1))
const f2 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : `${n.toFixed(2)}x`)
const mgas = (n: number | undefined): string => (n === undefined ? '-' : (n / 1e6).toFixed(1) + 'M')

function rootsCell(r: BenchRow): string {
  if (r.rootsEqual === undefined) return '-'
  if (!r.rootsEqual) return `NO (${(r.mismatches ?? []).join(', ')})`
  return r.parallel !== undefined ? 'yes' : 'seq=hdr only'
}

/** Lays out `rows` under `head` (first and last column left-aligned, the rest right-aligned). */
function layout(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length === head.length).map((r) => r[i]!.length)))
  const line = (cells: string[]): string =>
    cells.length === head.length
      ? cells.map((c, i) => (i === 0 || i === head.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
      : `${cells[0]!.padEnd(widths[0]!)}  ${cells.slice(1).join('  ')}`
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

/**
 * Projected time of the parallel executor with P cores (P − 1 workers), from this run's measured
 * parts: the main thread's fixed part (everything but running and applying transactions) plus
 * applying every transaction, or the workers' share of the speculation, whichever is longer.
 * A projection from shares measured on this machine, not a measurement.
 */
export function projectMs(r: BenchRow, cores: number): number | undefined {
  const p = r.parallel?.profile
  const txs = r.txs
  if (p === undefined || txs === undefined || p.applied === 0 || txs - p.own <= 0) return undefined
  const fixed = p.mainMs - p.execMs - p.applyMs
  const applyAll = (p.applyMs / p.applied) * txs
  const workerAll = (p.workerMs / Math.max(1, txs - p.own)) * txs
  return Math.max(fixed + applyAll, workerAll / Math.max(1, cores - 1))
}

export function renderTable(report: BenchReport): string {
  const head = ['workload', 'txs', 'gas', 'seq ms', 'stock ms', 'par ms', 'par/seq', 'seq Mgas/s', 'par Mgas/s', 're-exec', 'root ms seq/par', 'roots equal']
  const rows: string[][] = report.rows.map((r) => {
    if (r.notAvailable !== undefined) return [r.workload, `not available: ${r.notAvailable}`]
    const s = r.sequential
    const p = r.parallel
    return [
      r.workload,
      String(r.txs ?? '-'),
      mgas(r.gasUsed),
      f0(s?.medianMs),
      f0(r.stock?.medianMs),
      p !== undefined ? f0(p.medianMs) : r.parallelError !== undefined ? 'ERR' : '-',
      f2(r.speedup),
      f1(s?.mgasPerSec),
      f1(p?.mgasPerSec),
      p !== undefined ? f0(p.reexecutions) : '-',
      `${f0(s?.stateRootMs)} / ${f0(p?.stateRootMs)}`,
      rootsCell(r),
    ]
  })
  const timeHead = ['workload', 'main ms', 'main/seq', 'own exec ms', 'apply ms', 'after ms', 'own/applied txs', 'worker ms', 'bytes/tx', 'main share', 'proj x4', 'x8', 'x16']
  const timeRows: string[][] = report.rows
    .filter((r) => r.parallel?.profile !== undefined)
    .map((r) => {
      const p = r.parallel!.profile!
      const seq = r.sequential?.medianMs
      const proj = (c: number): string => {
        const ms = projectMs(r, c)
        return ms === undefined || seq === undefined ? '-' : f2(seq / ms)
      }
      return [
        r.workload,
        f0(p.mainMs),
        seq === undefined ? '-' : `${((100 * p.mainMs) / seq).toFixed(0)}%`,
        f0(p.execMs),
        f0(p.applyMs),
        f0(p.afterMs),
        `${f0(p.own)}/${f0(p.applied)}`,
        f0(p.workerMs),
        r.txs !== undefined && r.txs > 0 ? f0(p.traceBytes / Math.max(1, r.txs - p.own)) : '-',
        `${(100 * p.mainShare).toFixed(0)}%`,
        proj(4),
        proj(8),
        proj(16),
      ]
    })
  const m = report.meta
  const out = [
    `Parallax bench: ${m.gasTarget / 1e6}M gas target, median of ${m.runs} run(s) after ${m.warmup} warm-up; seed ${m.seed}; blocks built with ${m.builder}${m.contention === true ? '; WITH a CPU-bound process running (--contention)' : ''}`,
    `${m.cpuModel}, ${m.cpus} cores, ${m.memoryGiB} GiB, node ${m.node}, native secp256k1: ${m.nativeSecp256k1 ? 'yes' : 'no'}`,
    'seq = fast sequential executor (the reference: same read path as the parallel one); stock = ethereumjs read path; par/seq = seq ms / par ms',
    '',
    ...layout(head, rows),
    '',
    ...(timeRows.length > 0
      ? [
          'Where the parallel executor\'s time goes (medians): main ms = its main thread\'s time; own exec = transactions it ran itself;',
          'apply = taking workers\' results; after = after the last transaction (withdrawals, requests, state root, diff); worker ms = summed',
          'worker busy time; main share = share of the gas the main thread was given; proj xP = PROJECTED speedup over seq with P cores',
          '(P-1 workers) from these measured parts (not measured; `npm run bench:deps` gives the dependency bound).',
          '',
          ...layout(timeHead, timeRows),
          '',
        ]
      : []),
    m.parallel.available ? `parallel executor: ${m.parallel.source}` : m.parallel.note,
    'root ms: time inside getStateRoot in one extra instrumented run of each executor (this thread only; a parallel executor may report its own)',
  ]
  for (const r of report.rows) if (r.parallelError !== undefined) out.push(`${r.workload}: parallel ${r.parallelError}`)
  return out.join('\n')
}
