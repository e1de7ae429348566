// The --rpc.* limit flags: geth's names and defaults (reth's for the eth_getLogs caps), Go durations,
// ether amounts, and bad values refused with a Fatal line before the node starts.
import t from 'tap'
import { durationMs, etherToWei, NODE_DEFAULTS } from '../../../src/cli/flags.ts'
import { nodeFlags } from '../../helpers/node-flags.ts'

t.test('defaults are geth\'s (and reth\'s for eth_getLogs)', async (t) => {
  const d = NODE_DEFAULTS.rpc
  t.equal(d.gasCap, 50_000_000n)
  t.equal(d.evmTimeoutMs, 5000)
  t.equal(d.txFeeCap, 10n ** 18n)
  t.equal(d.batchRequestLimit, 1000)
  t.equal(d.batchResponseMaxBytes, 25_000_000)
  t.equal(d.requestTimeoutMs, 30_000)
  t.equal(d.maxBlocksPerFilter, 100_000n)
  t.equal(d.maxLogsPerResponse, 20_000)
  t.same((await nodeFlags([])).flags?.rpc, d)
})

t.test('values are read', async (t) => {
  const r = await nodeFlags([
    '--rpc.gascap', '1000000', '--rpc.evmtimeout', '1m30s', '--rpc.txfeecap', '0.5', '--rpc.batch-request-limit', '10',
    '--rpc.batch-response-max-size', '1000', '--http.timeout', '2s', '--rpc.max-blocks-per-filter', '50', '--rpc.max-logs-per-response', '7', '--rpc.workers', '3',
  ])
  t.same(r.flags?.rpc, {
    gasCap: 1_000_000n, evmTimeoutMs: 90_000, txFeeCap: 5n * 10n ** 17n, batchRequestLimit: 10, batchResponseMaxBytes: 1000,
    requestTimeoutMs: 2000, maxBlocksPerFilter: 50n, maxLogsPerResponse: 7, callWorkers: 3,
  })
  t.equal((await nodeFlags(['--rpc.evmtimeout', '0', '--rpc.txfeecap', '0'])).flags?.rpc?.evmTimeoutMs, 0, '0 turns a limit off')
})

t.test('parsers', async (t) => {
  t.equal(durationMs('5s'), 5000)
  t.equal(durationMs('500ms'), 500)
  t.equal(durationMs('1.5s'), 1500)
  t.equal(durationMs('1h2m3s'), 3_723_000)
  for (const bad of ['5', 's', '5x', '5s ms', '-1s']) t.throws(() => durationMs(bad), bad)
  t.equal(etherToWei('1'), 10n ** 18n)
  t.equal(etherToWei('0.000000000000000001'), 1n)
  for (const bad of ['', '1e18', '-1', '0.0000000000000000001']) t.throws(() => etherToWei(bad), bad)
})

t.test('bad values: Fatal, exit 1, the node does not start', async (t) => {
  for (const args of [['--rpc.evmtimeout', '5'], ['--rpc.txfeecap', 'lots'], ['--rpc.gascap', '-1'], ['--rpc.workers', '0']]) {
    const r = await nodeFlags(args)
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, new RegExp(`^Fatal: .*${args[0]!.replace(/\./g, '\\.')}`))
    t.equal(r.flags, undefined)
  }
})
