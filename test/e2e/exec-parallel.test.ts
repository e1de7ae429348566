// The parallel executor wired into the node (issue 4): a real `parallax node --exec.workers 2`,
// driven over the Engine API like a consensus client, builds and imports blocks of 16 transactions
// through the parallel executor (sealing included) and counts it in its metrics; with
// --no-exec.parallel the same datadir runs on the sequential executor. Plus, in-process: sealing a
// conflict-heavy block through the parallel executor gives the same block as the sequential
// builder, and workers that cannot start are counted as `worker_start` fallbacks.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import pino from 'pino'
import { parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { commonFromGenesis, loadPreset } from '../../config/index.ts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { buildOnParent, type PayloadAttributes } from '../../src/exec/build.ts'
import { parallaxCrypto } from '../../src/exec/crypto.ts'
import { ParallelExecutor } from '../../src/exec/parallel.ts'
import { initCommand } from '../../src/node/commands.ts'
import { createNodeExecutor } from '../../src/node/executor.ts'
import { runSlot } from '../../src/node/engine-client.ts'
import type { FallbackReason } from '../../src/metrics/index.ts'
import { setupBenchBlock } from '../bench/setup.ts'
import { randomBlockMix } from '../helpers/workloads/random-mix.ts'
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts'
import type { RpcClient } from '../helpers/rpc-client.ts'

const silent = pino({ level: 'silent' })
const devCommon = commonFromGenesis(loadPreset('dev'), parallaxCrypto())
const TXS_PER_BLOCK = 16

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? NaN : Number(line.split(' ').pop())
}

async function scrape(node: NodeProcess): Promise<string> {
  const line = node.logs().split('\n').find((l) => l.includes('"msg":"Metrics server started"'))
  if (line === undefined) throw new Error('metrics server not started')
  const res = await fetch((JSON.parse(line) as { endpoint: string }).endpoint)
  return res.text()
}

/** 16 transfers from 4 dev accounts (4 nonces each), sent over the Engine port's eth_sendRawTransaction. */
async function sendTransfers(engine: RpcClient, round: number): Promise<string[]> {
  const hashes: string[] = []
  for (let s = 0; s < 4; s++) {
    const account = privateKeyToAccount(DEV_PRIVATE_KEYS[s + 1]!)
    const nonce = Number(await engine.call('eth_getTransactionCount', [account.address, 'pending']))
    for (let k = 0; k < TXS_PER_BLOCK / 4; k++) {
      const to = `0x${(0xbe00 + round * 64 + s * 8 + k).toString(16).padStart(40, '0')}` as const
      const raw = await account.signTransaction({ chainId: 1337, type: 'eip1559', to, value: parseEther('0.001'), nonce: nonce + k, gas: 21000n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n })
      hashes.push((await engine.call('eth_sendRawTransaction', [raw])) as string)
    }
  }
  return hashes
}

/** One consensus-client slot on the node's head; checks the block is VALID and canonical. */
async function slot(t: Test, engine: RpcClient): Promise<{ number: bigint; txs: number }> {
  const head = (await engine.call('eth_getBlockByNumber', ['latest', false])) as { hash: string; number: string; timestamp: string }
  const res = await runSlot((m, p) => engine.call(m, p), devCommon, {
    head: { hash: head.hash, number: BigInt(head.number), timestamp: BigInt(head.timestamp) },
    safe: head.hash,
    finalized: head.hash,
    timestamp: BigInt(head.timestamp) + 12n,
    feeRecipient: `0x${'c0'.repeat(20)}`,
    prevRandao: bytesToHex(randomBytes(32)),
    parentBeaconBlockRoot: bytesToHex(randomBytes(32)),
  })
  t.equal(res.status, 'VALID', `block ${res.number} VALID`)
  const latest = (await engine.call('eth_getBlockByNumber', ['latest', false])) as { hash: string }
  t.equal(latest.hash, res.blockHash, `block ${res.number} is canonical`)
  return res
}

/**
 * Slots until the transfers are in a block (all 16 in one); receipts must be successful. A node's
 * first payload can come out empty: getPayload waits 900 ms for a first build, and right after the
 * start the executor's worker threads may still be loading.
 */
async function includeTransfers(t: Test, engine: RpcClient, hashes: string[]): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const res = await slot(t, engine)
    if (res.txs === 0) continue
    t.equal(res.txs, hashes.length, `block ${res.number} carries the ${hashes.length} transfers`)
    const receipts = (await Promise.all(hashes.map((h) => engine.call('eth_getTransactionReceipt', [h])))) as ({ status: string; blockNumber: string } | null)[]
    t.ok(
      receipts.every((r) => r?.status === '0x1' && BigInt(r.blockNumber) === res.number),
      'every transfer has a successful receipt in it',
    )
    return
  }
  t.fail('the transfers were not included in 4 slots')
}

t.test('parallax node runs the parallel executor (and the sequential one with --no-exec.parallel)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-exec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const datadir = join(dir, 'data')
  await initCommand({ datadir, genesis: 'dev', logger: silent })
  const secret = randomBytes(32)
  const secretFile = join(dir, 'jwt.hex')
  writeFileSync(secretFile, bytesToHex(secret))
  const args = ['node', '--datadir', datadir, '--authrpc.port', '0', '--authrpc.jwtsecret', secretFile, '--maxpeers', '0', '--metrics', '--metrics.port', '0']

  let node = await startNodeProcess([...args, '--exec.workers', '2'], secret)
  try {
    t.match(node.logs(), /"executor":"parallel","workers":2,"msg":"Block executor"/, 'parallel executor with 2 workers')
    // No payload waits for the workers to start: blocks sealed meanwhile run sequentially (fallback
    // "workers_starting"). Transfers slot after slot until the parallel executor sealed a block.
    let rounds = 0
    for (; rounds < 8; rounds++) {
      await includeTransfers(t, node.engine, await sendTransfers(node.engine, 10 + rounds))
      if (sample(await scrape(node), 'parallax_exec_blocks_total{executor="parallel"}') >= 1) break
    }
    t.equal((await slot(t, node.engine)).txs, 0, 'an empty block (the small-block fallback)')
    const m = await scrape(node)
    const parallel = sample(m, 'parallax_exec_blocks_total{executor="parallel"}')
    const sequential = sample(m, 'parallax_exec_blocks_total{executor="sequential"}')
    // The import of our own payload reuses the seal's outcome, so sealing alone may be the one run.
    t.ok(parallel >= 1, `a 16-tx block was sealed by the parallel executor (${parallel} runs, after ${rounds} sequential blocks while the workers started)`)
    t.equal(sample(m, 'parallax_exec_fallbacks_total{reason="workers_starting"}'), rounds, 'each block before it ran sequentially, counted as workers_starting')
    t.ok(sample(m, 'parallax_exec_fallbacks_total{reason="small_block"}') >= 1, 'the empty block fell back')
    const whole = (['small_block', 'no_store', 'binary_tree', 'workers_starting', 'cores_busy', 'worker_start', 'other'] as FallbackReason[]).reduce((n, r) => n + sample(m, `parallax_exec_fallbacks_total{reason="${r}"}`), 0)
    t.equal(sequential, whole, 'every sequential run is an accounted fallback')
    t.equal(sample(m, 'parallax_exec_fallbacks_total{reason="worker_start"}'), 0, 'the workers started')
    t.ok(sample(m, 'parallax_exec_reexecutions_total') >= 0, 're-executions counted')
    t.ok(sample(m, 'parallax_exec_block_seconds_count{executor="parallel"}') === parallel, 'execution time observed per parallel block')
  } finally {
    const { code } = await node.stop()
    t.equal(code, 0, 'clean shutdown (executor closed)')
  }

  node = await startNodeProcess([...args, '--no-exec.parallel'], secret)
  try {
    t.match(node.logs(), /"executor":"sequential","msg":"Block executor"/, '--no-exec.parallel: sequential executor')
    await includeTransfers(t, node.engine, await sendTransfers(node.engine, 1))
    const m = await scrape(node)
    t.equal(sample(m, 'parallax_exec_blocks_total{executor="parallel"}'), 0, 'no parallel runs')
    // newPayload of our own payload reuses the sealing run's outcome: one execution per block.
    t.ok(sample(m, 'parallax_exec_blocks_total{executor="sequential"}') >= 1, 'sealed sequentially')
    t.equal(sample(m, 'parallax_exec_fallbacks_total{reason="small_block"}'), 0, 'no fallbacks: the parallel executor is not there')
  } finally {
    const { code } = await node.stop()
    t.equal(code, 0)
  }
})

t.test('sealing through the parallel executor gives the sequential builder\'s block', async (t) => {
  const mix = randomBlockMix(7, { txs: 32 })
  const bb = await setupBenchBlock(() => ({ name: 'mix-7', description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }), 30_000_000n)
  t.teardown(() => bb.close())
  const h = bb.block.header
  const attributes: PayloadAttributes = { timestamp: h.timestamp, feeRecipient: h.coinbase.bytes, prevRandao: h.mixHash, withdrawals: [], parentBeaconBlockRoot: h.parentBeaconBlockRoot! }
  const req = { parent: bb.parent, base: bb.kv, headerByHash: bb.request().headerByHash, common: bb.common, attributes, txs: bb.block.transactions }
  const ref = await buildOnParent(req)
  const fallbacks: string[] = []
  const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, onFallback: (r) => fallbacks.push(r) })
  t.teardown(() => par.close())
  const built = await buildOnParent({ ...req, executor: par })
  t.same(fallbacks, [], 'no fallback')
  t.equal(par.stats.blocks, 1, 'the parallel executor sealed it')
  t.equal(built.block.transactions.length, bb.txCount)
  t.equal(bytesToHex(built.block.hash()), bytesToHex(ref.block.hash()), 'same block hash')
  t.equal(bytesToHex(built.block.hash()), bytesToHex(bb.block.hash()), 'the same block as runBlock(generate) in the bench setup')
  t.equal(built.blockValue, ref.blockValue, 'same block value')
  t.same(built.requests?.map((r) => bytesToHex(r.bytes)), ref.requests?.map((r) => bytesToHex(r.bytes)), 'same requests')
})

t.test('workers that cannot start: the block runs sequentially, counted as worker_start', async (t) => {
  const mix = randomBlockMix(8, { txs: 8, kinds: ['transfer'] })
  const bb = await setupBenchBlock(() => ({ name: 'mix-8', description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }), 30_000_000n)
  t.teardown(() => bb.close())
  const notADir = join(bb.location, 'CURRENT') // a file: LevelDB cannot open it in the workers
  const exec = createNodeExecutor({ parallel: true, workers: 1 }, notADir, silent)
  t.teardown(() => exec.close())
  const seen: { runs: string[]; fallbacks: FallbackReason[] } = { runs: [], fallbacks: [] }
  exec.observe({ observeExecution: (e) => seen.runs.push(e.executor), fallback: (r) => seen.fallbacks.push(r) })
  const out = await exec.execute(bb.request())
  t.equal(out.executor, 'sequential')
  t.equal(bytesToHex(out.stateRoot), bytesToHex(bb.block.header.stateRoot), 'still the right state root')
  t.same(seen, { runs: ['sequential'], fallbacks: ['worker_start'] })
})
