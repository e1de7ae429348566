// Issue 15 items 1-2 against a real node: while a batch of endless eth_call loops (gas 2^64-1, code by
// state override) runs on the HTTP port and another on the Engine port, eth_blockNumber on other
// connections and engine_* calls answer quickly, and every loop ends with geth's timeout error at
// --rpc.evmtimeout. The bound on the quick calls is generous (1 s against a 5 s limit): on main they
// waited for the whole batch (tens of seconds).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import { BIN, startNodeProcess } from '../helpers/node-process.ts'
import type { RpcClient, RpcReply } from '../helpers/rpc-client.ts'

const LOOPER = '0x0000000000000000000000000000000000000abc'
const loopCall = (id: number) => ({
  jsonrpc: '2.0', id, method: 'eth_call',
  params: [{ to: LOOPER, gas: '0xffffffffffffffff' }, 'latest', { [LOOPER]: { code: '0x5b600056' } }],
})
const TIMEOUT = { code: -32000, message: 'execution aborted (timeout = 5s)' }

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now()
  const value = await fn()
  return { value, ms: performance.now() - t0 }
}

t.test('eth_call loops do not hold eth_blockNumber or the Engine API, and end at the EVM timeout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-rpc-isolation-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const datadir = join(dir, 'data')
  t.equal(spawnSync(process.execPath, [BIN, 'init', '--datadir', datadir, 'dev']).status, 0, 'init dev')
  const secret = randomBytes(32)
  writeFileSync(join(dir, 'jwt.hex'), bytesToHex(secret))
  const node = await startNodeProcess(
    // No gas cap: with geth's default 50M a warm worker can run the loop out of gas before 5 s.
    ['node', '--datadir', datadir, '--authrpc.port', '0', '--authrpc.jwtsecret', join(dir, 'jwt.hex'), '--http', '--http.port', '0', '--maxpeers', '0', '--rpc.gascap', '0'],
    secret,
  )
  t.teardown(() => node.stop())
  const http = node.http!
  const engine: RpcClient = node.engine
  const genesis = (await http.call('eth_getBlockByNumber', ['latest', false])) as { hash: string }
  const fcu = [{ headBlockHash: genesis.hash, safeBlockHash: genesis.hash, finalizedBlockHash: genesis.hash }, null]

  // The limit counts from when the RPC workers are up (a call that arrives while they start gets
  // its whole limit from then on): one quick call first, so the loops below are timed from their arrival.
  await http.call('eth_call', [{ to: '0x0000000000000000000000000000000000000abc' }, 'latest'])
  const started = performance.now()
  const batch = timed(async () => {
    const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([1, 2, 3, 4].map(loopCall)) })
    return (await res.json()) as (RpcReply & { id: number })[]
  })
  const onEnginePort = timed(() => engine.raw('eth_call', loopCall(9).params))
  await new Promise((r) => setTimeout(r, 300))

  // Probe until the loops are over: a cheap eth_* read on HTTP, the same on the Engine port, and two engine_* calls.
  const worst: Record<string, number> = { eth_blockNumber: 0, 'eth_blockNumber (authrpc)': 0, engine_exchangeCapabilities: 0, engine_forkchoiceUpdatedV3: 0 }
  let probes = 0
  while (performance.now() - started < 4500) {
    const [a, b, c, d] = await Promise.all([
      timed(() => http.call('eth_blockNumber', [])),
      timed(() => engine.call('eth_blockNumber', [])),
      timed(() => engine.call('engine_exchangeCapabilities', [[]])),
      timed(() => engine.call('engine_forkchoiceUpdatedV3', fcu)),
    ])
    t.equal((d.value as { payloadStatus: { status: string } }).payloadStatus.status, 'VALID')
    worst['eth_blockNumber'] = Math.max(worst['eth_blockNumber']!, a.ms)
    worst['eth_blockNumber (authrpc)'] = Math.max(worst['eth_blockNumber (authrpc)']!, b.ms)
    worst['engine_exchangeCapabilities'] = Math.max(worst['engine_exchangeCapabilities']!, c.ms)
    worst['engine_forkchoiceUpdatedV3'] = Math.max(worst['engine_forkchoiceUpdatedV3']!, d.ms)
    probes++
    await new Promise((r) => setTimeout(r, 200))
  }
  t.ok(probes >= 5, `${probes} probe rounds while the loops ran`)
  for (const [method, ms] of Object.entries(worst)) t.ok(ms < 1000, `${method}: slowest ${ms.toFixed(0)} ms`)

  const b = await batch
  t.same(b.value.map((r) => r.id), [1, 2, 3, 4])
  for (const r of b.value) t.strictSame(r.error, TIMEOUT, `loop ${r.id} ends with geth's timeout error`)
  t.ok(b.ms < 8000, `the batch answered at its limit (${b.ms.toFixed(0)} ms), not 4 x 5 s`)
  const e = await onEnginePort
  t.strictSame(e.value.error, TIMEOUT, 'the loop on the Engine port too')
  t.ok(e.ms < 8000, `in ${e.ms.toFixed(0)} ms`)
  t.comment(`slowest quick calls while 5 loops ran: ${JSON.stringify(Object.fromEntries(Object.entries(worst).map(([k, v]) => [k, Math.round(v)])))}`)
})
