import { request as httpRequest } from 'node:http'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { createMetrics, dirSize, startMetricsServer, type Metrics, type MetricsServer } from '../../../src/metrics/index.ts'
import { NODE_DEFAULTS, parseNodeFlags } from '../../../src/cli/flags.ts'

interface Reply {
  status: number
  contentType: string | undefined
  text: string
}

function get(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text: Buffer.concat(parts).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The value of one sample line, `name{labels} value` (labels exactly as rendered), or undefined. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    if (line.slice(0, cut) === series) return Number(line.slice(cut + 1))
  }
  return undefined
}

const NAMES = [
  'parallax_chain_head_block',
  'parallax_chain_safe_block',
  'parallax_chain_finalized_block',
  'parallax_engine_call_seconds',
  'parallax_rpc_call_seconds',
  'parallax_block_execution_seconds',
  'parallax_block_mgasps',
  'parallax_blocks_imported_total',
  'parallax_exec_reexecutions_total',
  'parallax_exec_fallbacks_total',
  'parallax_exec_worker_utilisation',
  'parallax_txpool_pending',
  'parallax_txpool_queued',
  'parallax_p2p_peers',
  'parallax_gossip_messages_total',
  'parallax_db_size_bytes',
]

t.test('metrics server: both paths, every metric, values move', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'px-metrics-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const chaindata = join(dir, 'chaindata')
  await mkdir(chaindata)
  await writeFile(join(chaindata, '000001.ldb'), Buffer.alloc(1000))

  const metrics: Metrics = createMetrics()
  const server: MetricsServer = await startMetricsServer({ addr: '127.0.0.1', port: 0, metrics, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  t.not(server.port, 0)
  t.equal(server.url, `http://127.0.0.1:${server.port}`)
  metrics.setDatadir(chaindata)

  metrics.setHead({ head: 1n, safe: 0n, finalized: 0n })
  metrics.observeEngineCall('engine_newPayloadV4', 0.02, true)
  metrics.onRpcCall('eth_blockNumber', 0.4, true)
  metrics.observeBlock({ seconds: 0.5, gasUsed: 15_000_000n, source: 'engine', reexecutions: 2 })
  metrics.setTxpool({ pending: 3, queued: 1 })
  metrics.setPeers(2)
  metrics.gossip('accept')
  metrics.fallback('tiny-block')
  metrics.setWorkerUtilisation(0.25)

  const first = await get(`${server.url}/metrics`)
  t.equal(first.status, 200)
  t.match(first.contentType, /^text\/plain; version=0\.0\.4/)
  for (const name of NAMES) t.match(first.text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`)
  t.match(first.text, /^parallax_process_cpu_user_seconds_total /m, 'process metrics carry the parallax_ prefix')
  t.match(first.text, /^parallax_nodejs_heap_size_total_bytes /m)

  t.equal(sample(first.text, 'parallax_chain_head_block'), 1)
  t.equal(sample(first.text, 'parallax_block_mgasps'), 30)
  t.equal(sample(first.text, 'parallax_blocks_imported_total{source="engine"}'), 1)
  t.equal(sample(first.text, 'parallax_blocks_imported_total{source="gossip"}'), 0, 'known sources start at 0')
  t.equal(sample(first.text, 'parallax_exec_reexecutions_total'), 2)
  t.equal(sample(first.text, 'parallax_exec_fallbacks_total{reason="tiny-block"}'), 1)
  t.equal(sample(first.text, 'parallax_exec_worker_utilisation'), 0.25)
  t.equal(sample(first.text, 'parallax_txpool_pending'), 3)
  t.equal(sample(first.text, 'parallax_txpool_queued'), 1)
  t.equal(sample(first.text, 'parallax_p2p_peers'), 2)
  t.equal(sample(first.text, 'parallax_gossip_messages_total{result="accept"}'), 1)
  t.equal(sample(first.text, 'parallax_gossip_messages_total{result="reject"}'), 0)
  t.equal(sample(first.text, 'parallax_engine_call_seconds_count{method="engine_newPayloadV4",status="ok"}'), 1)
  t.equal(sample(first.text, 'parallax_engine_call_seconds_bucket{le="0.025",method="engine_newPayloadV4",status="ok"}'), 1)
  t.equal(sample(first.text, 'parallax_engine_call_seconds_bucket{le="0.01",method="engine_newPayloadV4",status="ok"}'), 0)
  t.equal(sample(first.text, 'parallax_rpc_call_seconds_count{method="eth_blockNumber",status="ok"}'), 1, 'onRpcCall routes eth_* to the RPC histogram')
  t.equal(sample(first.text, 'parallax_block_execution_seconds_count'), 1)
  t.equal(sample(first.text, 'parallax_db_size_bytes'), 1000)

  // Move everything.
  metrics.setHead({ head: 5n, safe: 4, finalized: 2 })
  metrics.onRpcCall('engine_forkchoiceUpdatedV3', 3, true)
  metrics.observeEngineCall('engine_newPayloadV4', 0.5, false)
  metrics.observeRpcCall('eth_call', 0.001, false)
  metrics.observeBlock({ seconds: 0.25, gasUsed: 1_000_000, source: 'engine' })
  metrics.observeBlock({ seconds: 0.1, gasUsed: 0n, source: 'gossip', reexecutions: 1 })
  metrics.setTxpool({ pending: 0, queued: 0 })
  metrics.setPeers(7)
  metrics.gossip('reject')
  metrics.gossip('ignore')
  metrics.fallback('tiny-block')
  metrics.fallback('worker-error')
  metrics.setWorkerUtilisation(3)
  await writeFile(join(chaindata, 'LOG'), Buffer.alloc(24))
  await mkdir(join(chaindata, 'sub'))
  await writeFile(join(chaindata, 'sub', 'x'), Buffer.alloc(6))

  const second = await get(`${server.url}/debug/metrics/prometheus`)
  t.equal(second.status, 200)
  for (const name of NAMES) t.match(second.text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed at geth's path`)
  t.equal(sample(second.text, 'parallax_chain_head_block'), 5)
  t.equal(sample(second.text, 'parallax_chain_safe_block'), 4)
  t.equal(sample(second.text, 'parallax_chain_finalized_block'), 2)
  t.equal(sample(second.text, 'parallax_blocks_imported_total{source="engine"}'), 2)
  t.equal(sample(second.text, 'parallax_blocks_imported_total{source="gossip"}'), 1)
  t.equal(sample(second.text, 'parallax_block_execution_seconds_count'), 3)
  t.equal(sample(second.text, 'parallax_block_mgasps'), 0, 'the last block sets the gauge')
  t.equal(sample(second.text, 'parallax_exec_reexecutions_total'), 3)
  t.equal(sample(second.text, 'parallax_exec_fallbacks_total{reason="tiny-block"}'), 2)
  t.equal(sample(second.text, 'parallax_exec_fallbacks_total{reason="worker-error"}'), 1)
  t.equal(sample(second.text, 'parallax_exec_worker_utilisation'), 1, 'utilisation is clamped to 0..1')
  t.equal(sample(second.text, 'parallax_txpool_pending'), 0)
  t.equal(sample(second.text, 'parallax_p2p_peers'), 7)
  t.equal(sample(second.text, 'parallax_gossip_messages_total{result="reject"}'), 1)
  t.equal(sample(second.text, 'parallax_gossip_messages_total{result="ignore"}'), 1)
  t.equal(sample(second.text, 'parallax_engine_call_seconds_count{method="engine_newPayloadV4",status="ok"}'), 1)
  t.equal(sample(second.text, 'parallax_engine_call_seconds_count{method="engine_newPayloadV4",status="error"}'), 1)
  t.equal(sample(second.text, 'parallax_engine_call_seconds_count{method="engine_forkchoiceUpdatedV3",status="ok"}'), 1, 'onRpcCall routes engine_* to the Engine histogram')
  t.equal(sample(second.text, 'parallax_rpc_call_seconds_count{method="eth_call",status="error"}'), 1)
  t.equal(sample(second.text, 'parallax_db_size_bytes'), 1030, 'the size is measured again on every scrape')
})

t.test('metrics server: other paths and methods', async (t) => {
  const metrics = createMetrics({ processMetrics: false })
  const server = await startMetricsServer({ addr: '127.0.0.1', port: 0, metrics, logger: pino({ level: 'silent' }) })
  t.teardown(() => server.close())
  t.equal((await get(`${server.url}/`)).status, 404)
  t.equal((await get(`${server.url}/metricsx`)).status, 404)
  t.equal((await get(`${server.url}/debug/metrics`)).status, 404)
  t.equal((await get(`${server.url}/metrics?x=1`)).status, 200, 'a query string is ignored')
  t.equal((await get(`${server.url}/metrics`, 'POST')).status, 405)
  const head = await get(`${server.url}/metrics`, 'HEAD')
  t.equal(head.status, 200)
  t.equal(head.text, '')
  const body = (await get(`${server.url}/metrics`)).text
  t.notMatch(body, /parallax_process_/, 'process metrics can be left out')
  t.equal(sample(body, 'parallax_db_size_bytes'), 0, 'no datadir: size 0')
  await server.close()
  await server.close() // idempotent
  await t.rejects(get(`${server.url}/metrics`), 'closed')
})

t.test('two registries do not share state, and a busy port is a ConfigError', async (t) => {
  const a = createMetrics({ processMetrics: false })
  const b = createMetrics({ processMetrics: false })
  a.setPeers(3)
  t.equal(sample(await a.text(), 'parallax_p2p_peers'), 3)
  t.equal(sample(await b.text(), 'parallax_p2p_peers'), 0)
  const logger = pino({ level: 'silent' })
  const first = await startMetricsServer({ addr: '127.0.0.1', port: 0, metrics: a, logger })
  t.teardown(() => first.close())
  await t.rejects(startMetricsServer({ addr: '127.0.0.1', port: first.port, metrics: b, logger }), { code: 'CONFIG' })
})

t.test('dirSize: a missing folder is 0, nested files count up to the depth limit', async (t) => {
  t.equal(await dirSize(join(tmpdir(), 'px-metrics-does-not-exist')), 0)
  const dir = await mkdtemp(join(tmpdir(), 'px-dirsize-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'a'), Buffer.alloc(10))
  await mkdir(join(dir, 'd1', 'd2'), { recursive: true })
  await writeFile(join(dir, 'd1', 'd2', 'b'), Buffer.alloc(5))
  t.equal(await dirSize(dir), 15)
  t.equal(await dirSize(dir, 1), 10, 'the depth limit holds')
})

t.test('--metrics flags', async (t) => {
  t.equal(NODE_DEFAULTS.metrics, false)
  t.equal(NODE_DEFAULTS.metricsAddr, '127.0.0.1')
  t.equal(NODE_DEFAULTS.metricsPort, 9001)
  const f = parseNodeFlags({ metrics: true, 'metrics.addr': '0.0.0.0', 'metrics.port': 9101 })
  t.equal(f.metrics, true)
  t.equal(f.metricsAddr, '0.0.0.0')
  t.equal(f.metricsPort, 9101)
  t.throws(() => parseNodeFlags({ 'metrics.port': '9101' }), { code: 'USAGE' })
})
