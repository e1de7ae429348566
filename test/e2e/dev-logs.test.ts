// What a new user reads from `parallax node --dev`: each server's start logged once; one INFO line
// per block with transactions and none for an empty one (the head update repeats the import line, so
// it is debug); the `--verbosity 4` "Node flags" line saying what dev mode does (HTTP on, no
// networking); and on a restart with a kept datadir, the accounts' balances at the head instead of
// the genesis's "10000 ETH each".
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNodeProcess } from '../helpers/node-process.ts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util'

interface LogLine {
  level: string
  msg: string
  [k: string]: unknown
}
const parse = (text: string): LogLine[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine)
const account = (i: number): string => createAddressFromPrivateKey(hexToBytes(DEV_PRIVATE_KEYS[i]!)).toString()

const dir = mkdtempSync(join(tmpdir(), 'parallax-dev-logs-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const common = ['node', '--dev', '--datadir', dir, '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0', '--rpc.evmtimeout', '60s']

t.test('a dev node’s start and blocks', async (t) => {
  const node = await startNodeProcess([...common, '--verbosity', '4', '--ws', '--ws.port', '0', '--metrics', '--metrics.port', '0'])
  t.teardown(() => node.stop())
  const rpc = node.http!
  const hash = (await rpc.call('eth_sendTransaction', [{ from: account(0), to: account(1), gas: '0x5208', value: `0x${(10n ** 18n).toString(16)}` }])) as string
  for (let i = 0; i < 100 && (await rpc.call('eth_getTransactionReceipt', [hash])) === null; i++) await new Promise((r) => setTimeout(r, 100))
  await rpc.call('evm_mine', []) // an empty block
  const head = Number(await rpc.call('eth_blockNumber', []))
  t.equal(head, 2, 'a block with the transaction and an empty one')
  await node.stop()
  const lines = parse(node.logs())

  for (const msg of ['Engine API started', 'HTTP server started', 'WebSocket server started', 'Metrics server started']) {
    t.equal(lines.filter((l) => l.msg === msg && l.level === 'info').length, 1, `"${msg}" once at info`)
  }
  const imported = lines.filter((l) => l.msg === 'Imported new block')
  t.same(imported.map((l) => [l['number'], l['txs'], l.level]), [[1, 1, 'info'], [2, 0, 'debug']], 'the block with a transaction at info, the empty one at debug')
  t.same(lines.filter((l) => l.msg === 'Chain head was updated').map((l) => l.level), ['debug', 'debug'], 'a head that extends by one block is debug')
  t.equal(lines.filter((l) => l.level === 'info' && /block|head/i.test(l.msg)).filter((l) => l.msg !== 'Loaded most recent local block' && l.msg !== 'Block executor').length, 1, 'one INFO line about blocks in all')

  const flags = lines.find((l) => l.msg === 'Node flags')
  t.ok(flags, 'the Node flags line at --verbosity 4')
  t.equal(flags?.['http'], true, 'dev mode serves HTTP')
  t.equal(flags?.['maxPeers'], 0, 'dev mode has no networking')
  t.notOk(lines.some((l) => l.level === 'warn'), 'no warning')
})

t.test('a restart with the kept datadir lists the balances at the head', async (t) => {
  const node = await startNodeProcess(common)
  await node.stop()
  const lines = parse(node.logs())
  const header = lines.find((l) => l.msg.startsWith('Dev accounts'))
  t.ok(header)
  t.notOk(JSON.stringify(header).includes('10000 ETH each'), 'not the genesis funds')
  const line = (i: number) => lines.find((l) => l.msg.startsWith(`(${i}) ${account(i).toLowerCase()}`))
  t.match(line(0)?.['balance'], /^9998\.9\d+ ETH$/, 'account 0 paid 1 ETH and the fee')
  t.equal(line(1)?.['balance'], '10001 ETH', 'account 1 got 1 ETH')
  t.equal(line(2)?.['balance'], '10000 ETH', 'account 2 is untouched')
})
