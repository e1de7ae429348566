// `parallax analyze` over 500 blocks of the random differential chain (MixChain: transfers, ERC-20
// and AMM traffic, creates, self-destructs, EIP-7702, coinbase readers, ...): the command finishes
// with a progress bar and a self-contained HTML report with SVG charts, and the report's totals and
// rows match parallax_blockParallelism's answers for the same blocks.
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { genesisToJson } from '../../config/index.ts'
import pino from 'pino'
import t from 'tap'
import { main } from '../../src/cli/main.ts'
import { initCommand } from '../../src/node/commands.ts'
import { openDatadir } from '../../src/node/datadir.ts'
import type { Report } from '../../src/parallelism/report.ts'
import { createParallelism } from '../../src/parallelism/rpc.ts'
import type { BlockParallelismRpc } from '../../src/parallelism/types.ts'
import { startCallPool } from '../../src/rpc/eth/call-pool.ts'
import { Chain } from '../../src/chain/chain.ts'
import { LevelKV } from '../../src/db/level.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { CHAINDATA } from '../../src/node/datadir.ts'
import { MixChainProducer } from '../helpers/mix-chain-producer.ts'
import { benchGenesis } from '../helpers/workloads/genesis.ts'
import { MixChain } from '../helpers/workloads/random-mix.ts'

const silent = pino({ level: 'silent' })
const SEED = 14
const BLOCKS = 500

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough()
  let buf = ''
  stream.on('data', (d: Buffer) => (buf += d.toString()))
  return { stream, text: () => buf }
}

t.test(`parallax analyze over ${BLOCKS} blocks of the random differential chain`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parallax-analyze-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const datadir = join(dir, 'data')
  const spec = benchGenesis(new MixChain(SEED).alloc)
  await initCommand({ datadir, genesis: 'mix', parsed: { spec, stored: JSON.stringify(genesisToJson(spec)) }, logger: silent })

  // The chain: blocks produced (and sealed) in a thread, imported as a node imports them.
  let txs = 0
  let t0 = performance.now()
  {
    // As a node that builds its own blocks: each MixChain draft sealed by the chain's executor (the
    // fast sequential one, LevelDB's synchronous reads as the differential runs use them), then
    // imported reusing that execution (Chain.rememberSealed, as the payload builder does).
    const store = await LevelKV.open(join(datadir, CHAINDATA), { multithreading: true })
    const kv = Object.create(store) as LevelKV
    kv.get = async (k) => store.getSync(k)
    const producer = new MixChainProducer(SEED)
    const common = producer.mix.common
    const executor = new SequentialExecutor()
    const chain = await Chain.open({ kv, common, executor, logger: silent })
    try {
      for (let i = 0; i < BLOCKS; i++) {
        const parent = chain.head
        const { draft } = await producer.draft(parent)
        const out = await executor.execute({ block: draft, parent, base: kv, headerByHash: (h) => chain.store.getHeader(h), common, generate: true })
        const block = out.sealed!
        chain.rememberSealed(block, out)
        const res = await chain.insertBlock(block, { setHead: true })
        if (res.status !== 'imported') throw new Error(`block ${block.header.number}: ${res.status} ${res.message ?? ''}`)
        producer.accept(block.header)
        txs += block.transactions.length
      }
    } finally {
      await store.close()
    }
  }
  t.ok(txs > BLOCKS, `${txs} transactions in ${BLOCKS} blocks`)
  t.comment(`chain: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  t0 = performance.now()

  const out = join(dir, 'report.html')
  const stdout = collect()
  const stderr = collect()
  const code = await main(['analyze', '--datadir', datadir, '--from', '1', '--to', String(BLOCKS), '--out', out, '--verbosity', '0'], { stdout: stdout.stream, stderr: stderr.stream, handleSignals: false })
  t.comment(`analyze: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  t0 = performance.now()
  t.equal(code, 0, `analyze exits 0 ${stderr.text().slice(-500)}`)
  t.match(stderr.text(), new RegExp(`analyze \\[.*\\] 100% \\| ${BLOCKS}/${BLOCKS} blocks`), 'a progress bar to the end')
  t.same(stdout.text().trim().split('\n'), [out, join(dir, 'report.speedup.svg'), join(dir, 'report.contracts.svg')], 'the files it wrote')
  const html = await readFile(out, 'utf8')
  t.match(html, /<figure id="chart-speedup"><svg/, 'the speedup chart is inline SVG')
  t.match(html, /<figure id="chart-contracts"><svg/, 'the contracts chart is inline SVG')
  t.notMatch(html, /<script src=|<link /, 'self-contained: nothing loaded from elsewhere')
  for (const f of ['report.speedup.svg', 'report.contracts.svg']) {
    const svg = await readFile(join(dir, f), 'utf8')
    t.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, `${f} is an SVG document`)
    t.ok((await stat(join(dir, f))).size > 2_000, `${f} has content`)
  }
  const keep = process.env['PARALLAX_REPORT_DIR'] // keep the report (the README's screenshot)
  if (keep !== undefined) for (const f of ['report.html', 'report.speedup.svg', 'report.contracts.svg']) await copyFile(join(dir, f), join(keep, f))
  const report = JSON.parse(/<script type="application\/json" id="parallax-report">(.*?)<\/script>/s.exec(html)![1]!) as Report
  t.equal(report.rows.length, BLOCKS)
  t.match(html, new RegExp(`<tr class="totals"><td>total</td><td>${report.totals.txs}</td><td>${report.totals.gasUsed}</td>`), 'the table shows the totals')

  // Bad ranges: one Fatal line, exit 1.
  for (const [args, why] of [[['--from', '1', '--to', '100000'], /past the head/], [['--from', '5', '--to', '4'], /expected 0 <= from <= to/], [['--from', 'x', '--to', '4'], /expected a block number/]] as const) {
    const err = collect()
    t.equal(await main(['analyze', '--datadir', datadir, ...args, '--out', join(dir, 'bad.html'), '--verbosity', '0'], { stdout: collect().stream, stderr: err.stream, handleSignals: false }), 1, `refused: ${args.join(' ')}`)
    t.match(err.text(), why)
  }

  // The per-block RPC answers, from the method itself over the same datadir (its call workers, as a node's).
  const node = await openDatadir(datadir, silent)
  const calls = startCallPool(node.chain, 2, silent)
  t.teardown(async () => {
    await calls.close()
    await node.close()
  })
  const { methods } = createParallelism({ chain: node.chain, calls })
  const method = methods.get('parallax_blockParallelism')!
  const answers = (await Promise.all(Array.from({ length: BLOCKS }, (_, i) => method([`0x${(i + 1).toString(16)}`])))) as BlockParallelismRpc[]
  const sums = { txs: 0, gasUsed: 0, criticalPathGas: 0, dependencies: 0, txsWithDeps: 0 }
  let rowMismatches = 0
  for (let n = 1; n <= BLOCKS; n++) {
    const b = answers[n - 1]!
    sums.txs += b.txCount
    sums.gasUsed += b.gasUsed
    sums.criticalPathGas += b.criticalPath.gas
    sums.dependencies += b.dependencies
    sums.txsWithDeps += b.txsWithDeps
    const row = report.rows[n - 1]!
    const same = row.number === b.number && row.hash === b.hash && row.txCount === b.txCount && row.gasUsed === b.gasUsed && row.criticalPathGas === b.criticalPath.gas && row.chain === b.criticalPath.txs && row.dependencies === b.dependencies && row.txsWithDeps === b.txsWithDeps && JSON.stringify(row.bounds) === JSON.stringify(b.bounds)
    if (!same) rowMismatches++
  }
  t.comment(`RPC answers: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  t.equal(rowMismatches, 0, 'every row matches its block\'s RPC answer')
  t.same({ txs: report.totals.txs, gasUsed: report.totals.gasUsed, criticalPathGas: report.totals.criticalPathGas, dependencies: report.totals.dependencies, txsWithDeps: report.totals.txsWithDeps }, sums, 'the totals match the sums of the RPC answers')
  t.equal(report.totals.txs, txs, 'every transaction is counted')
  t.ok(report.totals.dependencies > 0, `the random chain has dependencies (${report.totals.dependencies})`)
  t.ok(report.contracts.length > 0, 'contended contracts are listed')
})
