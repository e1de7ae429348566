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
}

export interface BenchRow {
  workload: string
  description?: string
  /** Set when the row could not be built; everything else is then absent. */
  notAvailable?: string
  txs?: number
  gasUsed?: number
  sequential?: ExecutorStats
  parallel?: ExecutorStats
  /** sequential median / parallel median */
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

export function renderTable(report: BenchReport): string {
  const head = ['workload', 'txs', 'gas', 'seq ms', 'par ms', 'speedup', 'seq Mgas/s', 'par Mgas/s', 're-exec', 'root ms seq/par', 'roots equal']
  const rows: string[][] = report.rows.map((r) => {
    if (r.notAvailable !== undefined) return [r.workload, `not available: ${r.notAvailable}`]
    const s = r.sequential
    const p = r.parallel
    return [
      r.workload,
      String(r.txs ?? '-'),
      mgas(r.gasUsed),
      f0(s?.medianMs),
      p !== undefined ? f0(p.medianMs) : r.parallelError !== undefined ? 'ERR' : '-',
      f2(r.speedup),
      f1(s?.mgasPerSec),
      f1(p?.mgasPerSec),
      p !== undefined ? f0(p.reexecutions) : '-',
      `${f0(s?.stateRootMs)} / ${f0(p?.stateRootMs)}`,
      rootsCell(r),
    ]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length === head.length).map((r) => r[i]!.length)))
  const line = (cells: string[]): string =>
    cells.length === head.length
      ? cells.map((c, i) => (i === 0 || i === head.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
      : `${cells[0]!.padEnd(widths[0]!)}  ${cells.slice(1).join('  ')}`
  const m = report.meta
  const out = [
    `Parallax bench: ${m.gasTarget / 1e6}M gas target, median of ${m.runs} run(s) after ${m.warmup} warm-up; seed ${m.seed}; blocks built with ${m.builder}`,
    `${m.cpuModel}, ${m.cpus} cores, ${m.memoryGiB} GiB, node ${m.node}, native secp256k1: ${m.nativeSecp256k1 ? 'yes' : 'no'}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    m.parallel.available ? `parallel executor: ${m.parallel.source}` : m.parallel.note,
    'root ms: time inside getStateRoot in one extra instrumented run of each executor (this thread only; a parallel executor may report its own)',
  ]
  for (const r of report.rows) if (r.parallelError !== undefined) out.push(`${r.workload}: parallel ${r.parallelError}`)
  return out.join('\n')
}
