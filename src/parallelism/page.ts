// The parallelism page, served at /parallax on the --http port when --http.parallax is given: the
// last blocks as they arrive, each with its conflict DAG (laid out by dagre, drawn as SVG: one
// `.dag-node` per transaction, one `.dag-edge` per dependency), bars of the bounds at P = 2..16 and
// of the achieved speedup, and the hot contracts (`.hot-contract`). It reads only parallax_blockParallelism (polling
// "latest"), so it works against any node serving that method: `/parallax?rpc=<url>` points it at
// another one (a replica; that node needs --http.corsdomain for this page's origin).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { StaticPage } from '../rpc/server.ts'

export const PAGE_PATH = '/parallax'

/** dagre's browser bundle (it defines the global `dagre`). */
function dagreBundle(): string {
  const pkg = createRequire(import.meta.url).resolve('@dagrejs/dagre/package.json')
  return readFileSync(join(dirname(pkg), 'dist', 'dagre.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script')
}

const STYLE = `
body{font:14px system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}
h1{font-size:20px;margin:0 0 4px} #status{color:#666;margin-bottom:12px}
.block{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;margin-bottom:12px}
.block h2{font-size:15px;margin:0 0 6px} .facts{color:#444;margin-bottom:6px}
.row{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
.dag{border:1px solid #eee;background:#fcfcff;max-width:100%;overflow:auto}
.dag-node rect{fill:#eee;stroke:#888} .dag-node.replayed rect{fill:#dbe8ff;stroke:#4a78c2} .dag-node.main rect{fill:#ffe2c2;stroke:#c27a2e} .dag-node.reexecuted rect{fill:#ffc9c9;stroke:#c23a3a}
.dag-node text{font-size:10px;text-anchor:middle;dominant-baseline:central}
.dag-edge{fill:none;stroke:#888;stroke-width:1.2;marker-end:url(#arrow)}
.bars text{font-size:11px} .bars rect.bound{fill:#8fb3e8} .bars rect.achieved{fill:#5bb974}
.hot{margin:0;padding-left:18px;font-family:monospace;font-size:12px}`

const SCRIPT = `
const params = new URLSearchParams(location.search)
const RPC = params.get('rpc') || '/'
const KEEP = Number(params.get('blocks') || 5)
const SVGNS = 'http://www.w3.org/2000/svg'
const blocks = []
let id = 0
async function rpc(method, p) {
  const res = await fetch(RPC, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: p }) })
  const body = await res.json()
  if (body.error) throw new Error(body.error.message)
  return body.result
}
function el(name, attrs, parent) {
  const e = document.createElementNS(SVGNS, name)
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v))
  if (parent) parent.appendChild(e)
  return e
}
function drawDag(b) {
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 8, ranksep: 28, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const tx of b.transactions) g.setNode(String(tx.index), { width: 30, height: 18 })
  for (const tx of b.transactions) for (const d of tx.dependsOn) g.setEdge(String(d.tx), String(tx.index))
  dagre.layout(g)
  const gr = g.graph()
  const svg = el('svg', { class: 'dag', width: Math.max(60, gr.width || 0), height: Math.max(30, gr.height || 0), 'data-nodes': b.transactions.length })
  const defs = el('defs', {}, svg)
  const m = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, defs)
  el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#888' }, m)
  for (const tx of b.transactions) {
    for (const d of tx.dependsOn) {
      const pts = g.edge(String(d.tx), String(tx.index)).points
      const path = el('path', { class: 'dag-edge', 'data-from': d.tx, 'data-to': tx.index, d: 'M' + pts.map((p) => p.x.toFixed(1) + ',' + p.y.toFixed(1)).join(' L') }, svg)
      el('title', {}, path).textContent = 'tx ' + d.tx + ' → tx ' + tx.index + ': ' + d.keys.join(', ')
    }
  }
  for (const tx of b.transactions) {
    const n = g.node(String(tx.index))
    const node = el('g', { class: 'dag-node ' + (tx.execution || ''), 'data-tx': tx.index, transform: 'translate(' + (n.x - 15) + ',' + (n.y - 9) + ')' }, svg)
    el('rect', { width: 30, height: 18, rx: 3 }, node)
    el('text', { x: 15, y: 9 }, node).textContent = String(tx.index)
    el('title', {}, node).textContent = 'tx ' + tx.index + ' ' + tx.hash + '\\nfrom ' + tx.from + ' to ' + (tx.to || 'create') + '\\ngas ' + tx.gasUsed + (tx.execution ? '\\n' + tx.execution : '')
  }
  return svg
}
function drawBars(b) {
  const items = [['P=2', b.bounds.p2], ['P=4', b.bounds.p4], ['P=8', b.bounds.p8], ['P=16', b.bounds.p16]]
  if (b.achieved) items.push(['achieved', b.achieved.speedup])
  const max = Math.max(2, ...items.map((i) => i[1]))
  const svg = el('svg', { class: 'bars', width: 260, height: items.length * 18 + 4 })
  items.forEach(([label, v], i) => {
    el('text', { x: 0, y: i * 18 + 13 }, svg).textContent = label
    el('rect', { class: label === 'achieved' ? 'achieved' : 'bound', x: 62, y: i * 18 + 3, height: 13, width: Math.max(1, (150 * v) / max) }, svg)
    el('text', { x: 66 + (150 * v) / max, y: i * 18 + 13 }, svg).textContent = v.toFixed(2) + 'x'
  })
  return svg
}
function render() {
  const root = document.getElementById('blocks')
  root.replaceChildren()
  for (const b of blocks) {
    const sec = document.createElement('section')
    sec.className = 'block'
    sec.dataset.number = String(b.number)
    sec.dataset.hash = b.hash
    sec.dataset.edges = String(b.dependencies)
    const h = document.createElement('h2')
    h.textContent = 'Block ' + b.number + ' · ' + b.txCount + ' txs · ' + b.gasUsed + ' gas'
    const facts = document.createElement('div')
    facts.className = 'facts'
    facts.textContent = 'critical path ' + b.criticalPath.gasPct.toFixed(1) + '% of gas (' + b.criticalPath.txs + ' txs) · ' + b.dependencies + ' dependencies · ' + b.txsWithDeps + ' txs wait · ' + (b.achieved ? 'speedup ' + b.achieved.speedup.toFixed(2) + 'x, main thread ' + (100 * b.achieved.mainThreadShare).toFixed(0) + '%, ' + b.achieved.reexecuted + ' re-executed' : 'not run in parallel here')
    const row = document.createElement('div')
    row.className = 'row'
    row.append(drawDag(b), drawBars(b))
    // Hot contracts: the transactions that waited on each contract (any of its keys), most first.
    const per = new Map()
    for (const tx of b.transactions) for (const d of tx.dependsOn) for (const k of d.keys) {
      const c = k.slice(0, k.indexOf('.'))
      if (!per.has(c)) per.set(c, new Set())
      per.get(c).add(tx.index)
    }
    const hot = document.createElement('ol')
    hot.className = 'hot'
    hot.title = 'contracts (accounts) transactions waited on: dependent transactions; hottest key'
    for (const [c, s] of [...per].sort((x, y) => y[1].size - x[1].size).slice(0, 5)) {
      const li = document.createElement('li')
      const key = b.hotKeys.find((k) => k.contract === c)
      li.textContent = c + ': ' + s.size + ' waiting' + (key ? ' (' + (key.slot.length > 12 ? key.slot.slice(0, 10) + '…' : key.slot) + ')' : '')
      li.className = 'hot-contract'
      hot.append(li)
    }
    row.append(hot)
    sec.append(h, facts, row)
    root.append(sec)
  }
}
async function poll() {
  const status = document.getElementById('status')
  try {
    const b = await rpc('parallax_blockParallelism', ['latest'])
    if (blocks.length === 0 || blocks[0].hash !== b.hash) {
      blocks.unshift(b)
      blocks.length = Math.min(blocks.length, KEEP)
      render()
    }
    status.textContent = 'Latest block ' + b.number + ' · ' + new Date().toLocaleTimeString()
    document.body.dataset.latest = String(b.number)
  } catch (e) {
    status.textContent = 'RPC error: ' + e.message
  }
  setTimeout(poll, Number(params.get('interval') || 1000))
}
poll()`

/** The page and its route table for the RPC server. */
export function parallaxPages(): Map<string, StaticPage> {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parallax · parallelism</title><style>${STYLE}</style></head>
<body><h1>Parallax · block parallelism</h1><div id="status">loading…</div>
<div class="facts">Nodes: transactions (blue: replayed from a worker, orange: run on the main thread, red: re-executed, grey: not run in parallel here). Edges: read-after-write dependencies. Bars: a perfect scheduler's speedup bound at P threads (by gas) and this node's achieved speedup. Lists: the contracts transactions waited on most.</div>
<div id="blocks"></div>
<script>${dagreBundle()}</script>
<script>${SCRIPT}</script></body></html>`
  return new Map([[PAGE_PATH, { contentType: 'text/html; charset=utf-8', body: html }]])
}
