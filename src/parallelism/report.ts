// The `parallax analyze` report: one self-contained HTML file with a table per block, two charts
// (the achievable speedup over the range, and the contracts that serialise most) drawn by Vega-Lite
// and rendered to SVG here (server-side, no browser), and the data as embedded JSON. The charts are
// also returned as standalone SVG files (the export).
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { contendedContracts } from './dag.ts'
import type { BlockParallelismRpc } from './types.ts'

/** One block's row of the report (what the table and the embedded data hold). */
export interface ReportRow {
  number: number
  hash: string
  txCount: number
  gasUsed: number
  criticalPathGas: number
  criticalPathPct: number
  chain: number
  dependencies: number
  txsWithDeps: number
  bounds: BlockParallelismRpc['bounds']
  speedup: number | null
  hottest: string | null
}

/** Sums over the range; `bound` is the range's own bound: total gas / sum of the blocks' max(cp, gas / P). */
export interface ReportTotals {
  blocks: number
  txs: number
  gasUsed: number
  criticalPathGas: number
  dependencies: number
  txsWithDeps: number
  bound: { p2: number; p4: number; p8: number; p16: number }
}

export interface Report {
  from: number
  to: number
  totals: ReportTotals
  rows: ReportRow[]
  contracts: { contract: string; dependents: number }[]
}

export const TOP_CONTRACTS = 15
/** Blocks averaged per point of the speedup chart (at most; fewer for short ranges). */
export const MOVING_AVERAGE = 20

export function reportRow(b: BlockParallelismRpc): ReportRow {
  const hot = b.hotKeys[0]
  return {
    number: b.number,
    hash: b.hash,
    txCount: b.txCount,
    gasUsed: b.gasUsed,
    criticalPathGas: b.criticalPath.gas,
    criticalPathPct: b.criticalPath.gasPct,
    chain: b.criticalPath.txs,
    dependencies: b.dependencies,
    txsWithDeps: b.txsWithDeps,
    bounds: b.bounds,
    speedup: b.achieved?.speedup ?? null,
    hottest: hot === undefined ? null : `${hot.contract} ${hot.slot.length > 14 ? `${hot.slot.slice(0, 10)}…` : hot.slot} (${hot.dependents})`,
  }
}

/** The report's data from the blocks' analyses (in block order). */
export function buildReport(from: number, to: number, blocks: readonly BlockParallelismRpc[]): Report {
  const rows = blocks.map(reportRow)
  const sum = (f: (r: ReportRow) => number): number => rows.reduce((a, r) => a + f(r), 0)
  const gasUsed = sum((r) => r.gasUsed)
  const boundAt = (p: number): number => {
    const t = sum((r) => Math.max(r.criticalPathGas, r.gasUsed / p))
    return t > 0 ? gasUsed / t : 1
  }
  const per = new Map<string, number>()
  for (const b of blocks) {
    const deps = b.transactions.flatMap((tx) => tx.dependsOn.map((d) => ({ from: d.tx, to: tx.index, keys: d.keys })))
    for (const [a, n] of contendedContracts(deps)) per.set(a, (per.get(a) ?? 0) + n)
  }
  const contracts = [...per].map(([contract, dependents]) => ({ contract, dependents })).sort((a, b) => b.dependents - a.dependents || (a.contract < b.contract ? -1 : 1)).slice(0, TOP_CONTRACTS)
  return {
    from,
    to,
    totals: {
      blocks: rows.length,
      txs: sum((r) => r.txCount),
      gasUsed,
      criticalPathGas: sum((r) => r.criticalPathGas),
      dependencies: sum((r) => r.dependencies),
      txsWithDeps: sum((r) => r.txsWithDeps),
      bound: { p2: boundAt(2), p4: boundAt(4), p8: boundAt(8), p16: boundAt(16) },
    },
    rows,
    contracts,
  }
}

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** The two charts as SVG documents. */
export async function renderCharts(r: Report): Promise<{ speedup: string; contracts: string }> {
  const points = r.rows.filter((x) => x.txCount > 0).flatMap((x) => [
    ...(['p2', 'p4', 'p8', 'p16'] as const).map((p) => ({ block: x.number, series: `bound P=${p.slice(1)}`, speedup: x.bounds[p] })),
    ...(x.speedup !== null ? [{ block: x.number, series: 'achieved', speedup: x.speedup }] : []),
  ])
  const window = Math.max(1, Math.min(MOVING_AVERAGE, Math.floor(points.length / 40)))
  const speedup = await toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Achievable speedup over time (perfect scheduler, by gas${window > 1 ? `; ${window}-block moving average` : ''})`,
    width: 720,
    height: 260,
    data: { values: points },
    transform: [{ window: [{ op: 'mean', field: 'speedup', as: 'avg' }], frame: [-(window - 1), 0], groupby: ['series'], sort: [{ field: 'block' }] }],
    mark: { type: 'line', strokeWidth: 1.5, interpolate: 'monotone' },
    encoding: {
      x: { field: 'block', type: 'quantitative', title: 'block', scale: { zero: false } },
      y: { field: 'avg', type: 'quantitative', title: 'speedup (x)' },
      color: { field: 'series', type: 'nominal', sort: ['bound P=2', 'bound P=4', 'bound P=8', 'bound P=16', 'achieved'], title: null },
    },
  })
  const contracts = await toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Contracts that serialise most (transactions that waited on them)',
    width: 520,
    height: { step: 18 },
    data: { values: r.contracts },
    mark: 'bar',
    encoding: {
      y: { field: 'contract', type: 'nominal', sort: '-x', title: null, axis: { labelFont: 'monospace', labelLimit: 400 } },
      x: { field: 'dependents', type: 'quantitative', title: 'dependent transactions' },
    },
  })
  return { speedup, contracts }
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const f2 = (x: number): string => x.toFixed(2)

/** The self-contained HTML report. */
export function renderHtml(r: Report, charts: { speedup: string; contracts: string }): string {
  const t = r.totals
  const head = ['block', 'txs', 'gas', 'critical path gas', 'cp %', 'chain', 'deps', 'txs waiting', 'x2', 'x4', 'x8', 'x16', 'achieved', 'hottest key (dependents)']
  const rows = r.rows.map((x) => `<tr><td>${x.number}</td><td>${x.txCount}</td><td>${x.gasUsed}</td><td>${x.criticalPathGas}</td><td>${x.criticalPathPct.toFixed(1)}</td><td>${x.chain}</td><td>${x.dependencies}</td><td>${x.txsWithDeps}</td><td>${f2(x.bounds.p2)}</td><td>${f2(x.bounds.p4)}</td><td>${f2(x.bounds.p8)}</td><td>${f2(x.bounds.p16)}</td><td>${x.speedup === null ? '–' : f2(x.speedup)}</td><td class="k">${esc(x.hottest ?? '')}</td></tr>`)
  const data = JSON.stringify(r).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parallax parallelism report, blocks ${r.from}-${r.to}</title>
<style>body{font:14px system-ui,sans-serif;margin:20px;color:#222}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}td.k{text-align:left;font-family:monospace}th{background:#f3f3f3}.totals td{font-weight:600}</style></head>
<body><h1>Parallelism of blocks ${r.from}–${r.to}</h1>
<p>${t.blocks} blocks, ${t.txs} transactions, ${t.gasUsed} gas; critical paths sum to ${t.criticalPathGas} gas (${t.gasUsed > 0 ? ((100 * t.criticalPathGas) / t.gasUsed).toFixed(1) : '0.0'}%); ${t.dependencies} read-after-write dependencies; ${t.txsWithDeps} transactions wait on another.
Over the range a perfect scheduler reaches ${f2(t.bound.p2)}x at P=2, ${f2(t.bound.p4)}x at 4, ${f2(t.bound.p8)}x at 8, ${f2(t.bound.p16)}x at 16 (by gas).</p>
<figure id="chart-speedup">${charts.speedup}</figure>
<figure id="chart-contracts">${charts.contracts}</figure>
<h2>Blocks</h2>
<table id="blocks"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody><tfoot><tr class="totals"><td>total</td><td>${t.txs}</td><td>${t.gasUsed}</td><td>${t.criticalPathGas}</td><td></td><td></td><td>${t.dependencies}</td><td>${t.txsWithDeps}</td><td>${f2(t.bound.p2)}</td><td>${f2(t.bound.p4)}</td><td>${f2(t.bound.p8)}</td><td>${f2(t.bound.p16)}</td><td></td><td></td></tr></tfoot></table>
<script type="application/json" id="parallax-report">${data}</script>
</body></html>
`
}
