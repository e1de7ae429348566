// p2p benchmark: (1) propagation latency of ~1 MB blocks across a line of three nodes A → B → C
// (C knows only B; every hop validates and executes the block before relaying it), and (2) range
// sync throughput between two nodes. In-process nodes on 127.0.0.1, in-memory chains.
//
//   node --import tsx test/bench/p2p.ts [--blocks 8] [--sync-blocks 300]
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { startP2P, type P2PNode } from '../../src/p2p/index.ts'
import { BlockFactory, devChain, silent, tempDir, waitFor, type DevChain } from '../unit/p2p/fixture.ts'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const dirs: (() => void)[] = []
async function start(dev: DevChain, bootnodes: string[], follow: boolean): Promise<P2PNode> {
  const dir = tempDir('parallax-p2p-bench-')
  dirs.push(dir.remove)
  return startP2P({ chain: dev.chain, datadir: dir.path, listen: { addr: '127.0.0.1', port: 0 }, bootnodes, maxPeers: 10, nodiscover: true, follow, logger: silent })
}

const meshed = (a: P2PNode, b: P2PNode) => a.peers().some((p) => p.id === b.peerId && p.inMesh)

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)] ?? NaN, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN }
}

/** Arrival time (performance.now()) of each block hash at a node whose head follows. */
function arrivals(dev: DevChain): Map<string, number> {
  const seen = new Map<string, number>()
  dev.chain.onHeadChange((added) => {
    const now = performance.now()
    for (const b of added) seen.set(bytesToHex(b.hash()), now)
  })
  return seen
}

async function propagation(count: number): Promise<{ size: number; txs: number; gas: bigint; hop1: number[]; total: number[]; hop2: number[] }> {
  const a = await devChain()
  const bDev = await devChain()
  const cDev = await devChain()
  const A = await start(a, [], false)
  const B = await start(bDev, [A.multiaddrs()[0]!], true)
  const C = await start(cDev, [B.multiaddrs()[0]!], true)
  try {
    if (!(await waitFor(() => meshed(A, B) && meshed(B, C) && meshed(C, B), 15_000))) throw new Error('mesh did not form')
    const atB = arrivals(bDev)
    const atC = arrivals(cDev)
    const factory = new BlockFactory(a)
    const hop1: number[] = []
    const total: number[] = []
    const hop2: number[] = []
    let size = 0
    let txs = 0
    let gas = 0n
    // One small warm-up block (first-execution costs), then the measured ~1 MB blocks.
    for (let i = 0; i <= count; i++) {
      const block: Block = i === 0 ? await factory.extend() : await factory.extend({ txs: 8, calldata: 128 * 1024 })
      const h = bytesToHex(block.hash())
      const t0 = performance.now()
      await A.publishBlock(block)
      if (!(await waitFor(() => atC.has(h), 30_000))) throw new Error(`block ${block.header.number} did not reach C`)
      if (i === 0) continue
      size = block.serialize().length
      txs = block.transactions.length
      gas = block.header.gasUsed
      hop1.push(atB.get(h)! - t0)
      total.push(atC.get(h)! - t0)
      hop2.push(atC.get(h)! - atB.get(h)!)
    }
    return { size, txs, gas, hop1, total, hop2 }
  } finally {
    await Promise.all([A.stop(), B.stop(), C.stop()])
  }
}

async function rangeSync(count: number): Promise<{ blocks: number; ms: number; txs: number; localMs: number }> {
  const s = await devChain()
  const factory = new BlockFactory(s)
  for (let i = 0; i < count; i++) await factory.extend({ txs: 2 })
  // Baseline: the same blocks imported locally (no network), the ceiling for range sync.
  const local = await devChain()
  const l0 = performance.now()
  for (let n = 1n; n <= s.chain.head.number; n++) {
    const b = (await s.chain.store.getBlock((await s.chain.store.getCanonicalHash(n))!))!
    await local.chain.insertBlock(b, { setHead: true })
  }
  const localMs = performance.now() - l0
  const S = await start(s, [], false)
  const tDev = await devChain()
  let T: P2PNode | undefined
  try {
    const t0 = performance.now()
    T = await start(tDev, [S.multiaddrs()[0]!], true)
    const target = bytesToHex(s.chain.head.hash())
    if (!(await waitFor(() => bytesToHex(tDev.chain.head.hash()) === target, 600_000))) throw new Error('range sync did not finish')
    return { blocks: count, ms: performance.now() - t0, txs: count * 2, localMs }
  } finally {
    await Promise.all([S.stop(), T?.stop()])
  }
}

const blocks = arg('blocks', 8)
const syncBlocks = arg('sync-blocks', 300)
const p = await propagation(blocks)
const hop = stats(p.hop1)
const tot = stats(p.total)
const second = stats(p.hop2)
const r = await rangeSync(syncBlocks)
for (const d of dirs) d()

const fmt = (n: number) => n.toFixed(0).padStart(8)
console.log(`\nParallax p2p benchmark (node ${process.version}, ${new Date().toISOString()})`)
console.log(`\nPropagation of ${blocks} blocks of ${(p.size / 1024 / 1024).toFixed(2)} MiB (${p.txs} txs, ${(Number(p.gas) / 1e6).toFixed(1)} Mgas) along A → B → C`)
console.log('| measure                          |   median |      min |      max |')
console.log('|----------------------------------|----------|----------|----------|')
console.log(`| A publish → B head (ms)          | ${fmt(hop.median)} | ${fmt(hop.min)} | ${fmt(hop.max)} |`)
console.log(`| B head → C head (ms)             | ${fmt(second.median)} | ${fmt(second.min)} | ${fmt(second.max)} |`)
console.log(`| A publish → C head (ms)          | ${fmt(tot.median)} | ${fmt(tot.min)} | ${fmt(tot.max)} |`)
console.log(`\nRange sync, two nodes (follow mode, ${r.txs / r.blocks} txs per block)`)
console.log('| run                               | blocks | seconds | blocks/s |')
console.log('|-----------------------------------|--------|---------|----------|')
console.log(`| range sync from a peer (connect+) | ${String(r.blocks).padStart(6)} | ${(r.ms / 1000).toFixed(2).padStart(7)} | ${(r.blocks / (r.ms / 1000)).toFixed(1).padStart(8)} |`)
console.log(`| local import, no network          | ${String(r.blocks).padStart(6)} | ${(r.localMs / 1000).toFixed(2).padStart(7)} | ${(r.blocks / (r.localMs / 1000)).toFixed(1).padStart(8)} |`)
console.log('\nEach hop includes the receiver’s full validation and execution of the block before it relays it.')
