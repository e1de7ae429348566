// The node's Prometheus endpoint, scraped after some dev blocks: every metric the operator docs
// promise is present, and the chain/engine/block ones move.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { initCommand } from '../../src/node/commands.ts'
import { openDatadir, CHAINDATA } from '../../src/node/datadir.ts'
import { startNode } from '../../src/node/node.ts'

const silent = pino({ level: 'silent' })
const NAMES = [
  'parallax_chain_head_block', 'parallax_chain_safe_block', 'parallax_chain_finalized_block',
  'parallax_engine_call_seconds', 'parallax_rpc_call_seconds', 'parallax_block_execution_seconds',
  'parallax_block_mgasps', 'parallax_blocks_imported_total', 'parallax_exec_blocks_total',
  'parallax_exec_block_seconds', 'parallax_exec_reexecutions_total',
  'parallax_exec_fallbacks_total', 'parallax_exec_worker_utilisation', 'parallax_txpool_pending',
  'parallax_txpool_queued', 'parallax_p2p_peers', 'parallax_gossip_messages_total', 'parallax_db_size_bytes',
]

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line === undefined ? NaN : Number(line.split(' ').pop())
}

t.test('metrics move with the chain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-metrics-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await initCommand({ datadir: dir, genesis: 'dev', logger: silent })
  const opened = await openDatadir(dir, silent)
  const node = await startNode({
    chain: opened.chain, common: opened.common, logger: silent,
    authrpc: { addr: '127.0.0.1', port: 0, jwtSecret: randomBytes(32) },
    http: { addr: '127.0.0.1', port: 0, api: ['eth'] },
    dev: { period: 0 },
    metrics: { addr: '127.0.0.1', port: 0, chaindata: join(dir, CHAINDATA) },
  })
  try {
    const scrape = async (path = '/metrics'): Promise<string> => {
      const res = await fetch(`${metricsUrl}${path}`)
      t.equal(res.status, 200)
      return res.text()
    }
    const metricsUrl = metricsBase(node)
    const before = await scrape()
    for (const n of NAMES) t.match(before, new RegExp(`^# TYPE ${n} `, 'm'), `${n} present`)
    for (let i = 0; i < 3; i++) await node.dev!.produce()
    await new Promise((r) => setTimeout(r, 50))
    const after = await scrape('/debug/metrics/prometheus')
    t.equal(value(after, 'parallax_chain_head_block'), 3, 'head gauge at 3')
    t.ok(value(after, 'parallax_chain_safe_block') >= 1, 'safe gauge moved')
    t.ok(value(after, 'parallax_block_execution_seconds_count') >= 3, 'block execution histogram counted 3 blocks')
    t.match(after, /parallax_engine_call_seconds_count\{method="engine_newPayloadV4",status="ok"\} 3/, 'engine newPayload latency per method/status')
    t.match(after, /parallax_blocks_imported_total\{source="dev"\} 3/, 'blocks imported by source')
    // openDatadir without exec settings: the sequential executor, which seals each block; the import of
    // a payload the node sealed itself reuses the seal's execution (Chain.rememberSealed).
    t.ok(value(after, 'parallax_exec_blocks_total{executor="sequential"}') >= 3, 'executor runs counted by executor')
    t.equal(value(after, 'parallax_exec_blocks_total{executor="parallel"}'), 0)
    t.ok(value(after, 'parallax_exec_block_seconds_count{executor="sequential"}') >= 3, 'executor time observed')
    t.equal(value(after, 'parallax_exec_fallbacks_total{reason="small_block"}'), 0, 'fallback reasons start at 0')
    t.ok(value(after, 'parallax_db_size_bytes') > 0, 'LevelDB size')
  } finally {
    await node.close()
    await opened.close()
  }
})

function metricsBase(node: Awaited<ReturnType<typeof startNode>>): string {
  const m = node.metricsUrl
  if (m === undefined) throw new Error('metrics server not started')
  return m
}
