// The call worker pool over a LevelDB store (multithreading): answers equal the in-process ones, an
// endless loop ends at the deadline with geth's timeout error while the main thread stays free, a
// job that waits for a worker past its deadline is answered without running, and a pool that
// cannot open the store falls back to running in-process.
import t from 'tap'
import { join } from 'node:path'
import { CallWorkerPool } from '../../../../src/rpc/eth/call-pool.ts'
import { ethCaller, openPooledChain, SENDER, silent } from './fixture.ts'

const { dir, chain, inline, pool } = await openPooledChain(t, 'parallax-call-pool-')

const X = '0x0000000000000000000000000000000000000abc'
const LOOP = { [X]: { code: '0x5b600056' } }
const inProcess = ethCaller(chain)
const pooled = ethCaller(chain, { calls: pool, options: { evmTimeoutMs: 1000 } })
// The deadline counts from a call's arrival: let the worker boot (tsx, LevelDB) before timing calls.
await pool.whenReady()

/** Runs `fn` while measuring the longest gap between 10 ms timer ticks on this thread. */
async function maxLag<T>(fn: () => Promise<T>): Promise<{ value: T; lagMs: number }> {
  let last = performance.now()
  let lagMs = 0
  const timer = setInterval(() => {
    const now = performance.now()
    lagMs = Math.max(lagMs, now - last)
    last = now
  }, 10)
  try {
    return { value: await fn(), lagMs }
  } finally {
    clearInterval(timer)
  }
}

t.test('answers equal the in-process ones', async (t) => {
  const cases: [string, unknown[]][] = [
    ['eth_call', [{ to: X }, 'latest', { [X]: { code: '0x602a60005260206000f3' } }]],
    ['eth_call', [{ to: X }, 'latest', { [X]: { code: '0x60aa6000526001601ffd' } }]],
    ['eth_estimateGas', [{ from: SENDER, to: X, value: '0x1' }]],
    ['eth_estimateGas', [{ from: SENDER, to: '0x0000000000000000000000000000000000000009', value: '0x1' }]],
    ['eth_createAccessList', [{ from: SENDER, to: X }, 'latest', { [X]: { code: '0x60015460005260206000f3' } }]],
    ['eth_call', [{ to: X }, '0x99']],
  ]
  for (const [method, params] of cases) t.strictSame(await pooled(method, params), await inProcess(method, params), method)
})

t.test('an endless loop ends at the deadline with geth\'s error; the main thread is not held', async (t) => {
  const t0 = performance.now()
  const { value, lagMs } = await maxLag(() => pooled('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', LOOP]))
  const ms = performance.now() - t0
  t.strictSame(value, { error: { code: -32000, message: 'execution aborted (timeout = 1s)' } })
  t.ok(ms >= 900 && ms < 2500, `answered at the limit (${ms.toFixed(0)} ms)`)
  t.ok(lagMs < 300, `main thread timers kept running (max lag ${lagMs.toFixed(0)} ms)`)
})

t.test('with one worker busy, a queued call is answered at its own deadline without running', async (t) => {
  const t0 = performance.now()
  const answers = await Promise.all([1, 2, 3].map(() => pooled('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', LOOP])))
  const ms = performance.now() - t0
  for (const a of answers) t.strictSame(a, { error: { code: -32000, message: 'execution aborted (timeout = 1s)' } })
  t.ok(ms < 2500, `all three within one limit, not three (${ms.toFixed(0)} ms)`)
  t.strictSame(await pooled('eth_call', [{ to: X }, 'latest', { [X]: { code: '0x602a60005260206000f3' } }]), { result: `0x${'2a'.padStart(64, '0')}` }, 'the worker is free again')
})

t.test('a worker that overruns its deadline by the grace period is terminated and replaced', async (t) => {
  const warnings: string[] = []
  const logger = { ...silent, warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as typeof silent
  const strict = new CallWorkerPool({ kvPath: join(dir, 'chaindata'), common: chain.common, workers: 1, logger, fallback: inline, graceMs: 1 })
  t.teardown(() => strict.close())
  await strict.whenReady()
  // One KECCAK256 over 64 MB: a single opcode, so the EVM's own deadline check cannot stop it in time.
  const call = ethCaller(chain, { calls: strict, options: { evmTimeoutMs: 100, gasCap: 0n } })
  const hashAll = { [X]: { code: '0x630400000060002000' } }
  t.strictSame(await call('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', hashAll]), { error: { code: -32000, message: 'execution aborted (timeout = 100ms)' } })
  t.ok(warnings.includes('Call worker did not stop at the deadline; terminating it'), 'terminated')
  const slow = ethCaller(chain, { calls: strict })
  t.strictSame(await slow('eth_call', [{ to: X }, 'latest', { [X]: { code: '0x602a60005260206000f3' } }]), { result: `0x${'2a'.padStart(64, '0')}` }, 'the replacement serves')
  t.ok(warnings.includes('Replacing call worker'), 'replaced')
})

t.test('workers that cannot open the store: jobs run in-process', async (t) => {
  const broken = new CallWorkerPool({ kvPath: join(dir, 'missing', 'not-a-dir\0'), common: chain.common, workers: 1, logger: silent, fallback: inline })
  t.teardown(() => broken.close())
  await broken.whenReady()
  const call = ethCaller(chain, { calls: broken })
  t.strictSame(await call('eth_call', [{ to: X }, 'latest', { [X]: { code: '0x602a60005260206000f3' } }]), { result: `0x${'2a'.padStart(64, '0')}` })
})

t.test('a call that arrives while the workers are still starting is not timed out by their start', async (t) => {
  // A cold pool: the worker's boot (tsx, LevelDB) takes far longer than this call's 50 ms limit.
  const cold = new CallWorkerPool({ kvPath: join(dir, 'chaindata'), common: chain.common, workers: 1, logger: silent, fallback: inline })
  t.teardown(() => cold.close())
  const call = ethCaller(chain, { calls: cold, options: { evmTimeoutMs: 50 } })
  const t0 = performance.now()
  t.strictSame(await call('eth_call', [{ to: X }, 'latest', { [X]: { code: '0x602a60005260206000f3' } }]), { result: `0x${'2a'.padStart(64, '0')}` }, `answered after the start (${(performance.now() - t0).toFixed(0)} ms)`)
  // Once started, the limit holds as before.
  t.strictSame(await call('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', LOOP]), { error: { code: -32000, message: 'execution aborted (timeout = 50ms)' } })
})

t.test('calls that arrive during the start and then wait for a busy worker still end one limit after the start', async (t) => {
  const cold = new CallWorkerPool({ kvPath: join(dir, 'chaindata'), common: chain.common, workers: 1, logger: silent, fallback: inline })
  t.teardown(() => cold.close())
  const call = ethCaller(chain, { calls: cold, options: { evmTimeoutMs: 400 } })
  const loop = () => call('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', LOOP])
  const first = loop()
  const second = loop() // queued behind the first on the only worker
  const t0 = performance.now()
  await first
  const firstAt = performance.now() - t0
  t.strictSame(await second, { error: { code: -32000, message: 'execution aborted (timeout = 400ms)' } })
  const secondAt = performance.now() - t0
  t.ok(secondAt - firstAt < 300, `the queued one ends with the running one (${firstAt.toFixed(0)} / ${secondAt.toFixed(0)} ms), not a limit later`)
})
