import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { InvalidParamsError, RpcError } from '../../../src/rpc/errors.ts'
import { signJwt } from '../../../src/rpc/jwt.ts'
import { startRpcServer, type RpcServer, type RpcServerOptions } from '../../../src/rpc/server.ts'
import type { MethodTable, RpcHandler } from '../../../src/rpc/types.ts'
import { ConfigError } from '../../../src/util/errors.ts'

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json: () => unknown
}

interface PostOptions {
  method?: string
  headers?: Record<string, string>
  /** Send the body in these pieces with chunked transfer encoding (no Content-Length). */
  chunks?: string[]
  /** A fresh connection instead of the global keep-alive pool. */
  fresh?: boolean
}

function post(url: string, body: string, o: PostOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...o.headers }
    if (o.chunks === undefined) headers['Content-Length'] = String(Buffer.byteLength(body))
    const req = httpRequest(url, { method: o.method ?? 'POST', headers, ...(o.fresh === true ? { agent: false } : {}) }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (o.chunks !== undefined) for (const c of o.chunks) req.write(c)
    else req.write(body)
    req.end()
  })
}

const rpc = (url: string, payload: unknown, o?: PostOptions): Promise<Reply> => post(url, JSON.stringify(payload), o)

function captureLogger(): { logger: Logger; records: () => Record<string, unknown>[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString())
      cb()
    },
  })
  return { logger: pino({ level: 'debug' }, stream), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

type Teardown = { teardown(fn: () => unknown): void }

async function serve(t: Teardown, methods: Record<string, RpcHandler>, extra: Partial<RpcServerOptions> = {}): Promise<RpcServer> {
  const server = await startRpcServer({ host: '127.0.0.1', port: 0, methods: new Map(Object.entries(methods)) as MethodTable, logger: captureLogger().logger, ...extra })
  t.teardown(() => server.close())
  return server
}

const echo: RpcHandler = (params) => params
const methods = { echo, nothing: () => undefined, add: (p: unknown[]) => (p[0] as number) + (p[1] as number) }

t.test('single request: result, id kept as given, JSON content type', async (t) => {
  const s = await serve(t, methods)
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.not(s.port, 0)
  for (const id of [1, 'abc', null, 0, 'x'.repeat(100)]) {
    const r = await rpc(s.url, { jsonrpc: '2.0', id, method: 'add', params: [2, 3] })
    t.equal(r.status, 200)
    t.match(r.headers['content-type'], /^application\/json/)
    t.same(r.json(), { jsonrpc: '2.0', id, result: 5 }, `id ${JSON.stringify(id)}`)
  }
  t.same((await rpc(s.url, { jsonrpc: '2.0', id: 7, method: 'nothing' })).json(), { jsonrpc: '2.0', id: 7, result: null }, 'undefined → null')
  t.same((await rpc(s.url, { jsonrpc: '2.0', id: 8, method: 'echo' })).json(), { jsonrpc: '2.0', id: 8, result: [] }, 'absent params → []')
  t.same((await rpc(s.url, { jsonrpc: '2.0', id: 9, method: 'echo', params: null })).json(), { jsonrpc: '2.0', id: 9, result: [] }, 'null params → []')
  const ok = await rpc(s.url, { jsonrpc: '2.0', id: 1, method: 'echo', params: [1] }, { headers: { 'Content-Type': 'application/json; charset=utf-8' } })
  t.equal(ok.status, 200, 'content type parameters allowed')
})

t.test('batch: responses in request order with their ids; notifications omitted but executed', async (t) => {
  const seen: unknown[] = []
  const s = await serve(t, { ...methods, note: (p) => void seen.push(p[0]) })
  const r = await rpc(s.url, [
    { jsonrpc: '2.0', id: 'a', method: 'add', params: [1, 1] },
    { jsonrpc: '2.0', method: 'note', params: ['n1'] },
    { jsonrpc: '2.0', id: 2, method: 'missing' },
    { jsonrpc: '2.0', id: null, method: 'echo', params: ['x'] },
    { jsonrpc: '2.0', method: 'note', params: ['n2'] },
    { jsonrpc: '2.0', id: 3, method: 'add', params: [2, 2] },
  ])
  t.equal(r.status, 200)
  t.same(r.json(), [
    { jsonrpc: '2.0', id: 'a', result: 2 },
    { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'the method missing does not exist/is not available' } },
    { jsonrpc: '2.0', id: null, result: ['x'] },
    { jsonrpc: '2.0', id: 3, result: 4 },
  ])
  t.same(seen, ['n1', 'n2'])

  const allNotes = await rpc(s.url, [{ jsonrpc: '2.0', method: 'note', params: ['n3'] }, { jsonrpc: '2.0', method: 'nope' }])
  t.equal(allNotes.status, 200)
  t.equal(allNotes.text, '', 'no response at all for a batch of notifications')
  t.same(seen, ['n1', 'n2', 'n3'])
})

t.test('single notification: executed, empty response; its errors are not reported', async (t) => {
  const seen: unknown[] = []
  const s = await serve(t, { note: (p) => void seen.push(p[0]) })
  const r = await rpc(s.url, { jsonrpc: '2.0', method: 'note', params: [1] })
  t.equal(r.status, 200)
  t.equal(r.text, '')
  t.same(seen, [1])
  t.equal((await rpc(s.url, { jsonrpc: '2.0', method: 'unknown' })).text, '')
  t.equal((await rpc(s.url, { jsonrpc: '2.0', method: 'note', params: { a: 1 } })).text, '')
  t.same(seen, [1])
})

t.test('error codes: -32700, -32600, -32601, -32602', async (t) => {
  const called: string[] = []
  const s = await serve(t, { echo: (p) => (called.push('echo'), p) })
  const parseError = await post(s.url, '{"jsonrpc":"2.0","id":1,"method":')
  t.equal(parseError.status, 200)
  t.same(parseError.json(), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
  t.match((await post(s.url, '')).json(), { id: null, error: { code: -32700 } }, 'empty body is a parse error')

  const code = async (payload: unknown): Promise<unknown> => {
    const body = (await rpc(s.url, payload)).json() as { error?: { code: number } }
    return body.error?.code
  }
  t.equal(await code({ id: 1, method: 'echo' }), -32600, 'jsonrpc missing')
  t.equal(await code({ jsonrpc: '1.0', id: 1, method: 'echo' }), -32600, 'jsonrpc 1.0')
  t.equal(await code({ jsonrpc: 2, id: 1, method: 'echo' }), -32600, 'jsonrpc number')
  t.equal(await code({ jsonrpc: '2.0', id: 1, method: 5 }), -32600, 'method number')
  t.equal(await code({ jsonrpc: '2.0', id: 1 }), -32600, 'method missing')
  t.equal(await code({ jsonrpc: '2.0', id: { a: 1 }, method: 'echo' }), -32600, 'id object')
  t.equal(await code({ jsonrpc: '2.0', id: true, method: 'echo' }), -32600, 'id boolean')
  t.equal(await code(5), -32600, 'not an object')
  t.equal(await code('echo'), -32600, 'a string')
  const bad = (await rpc(s.url, { jsonrpc: '1.0', id: 'k', method: 'echo' })).json()
  t.match(bad, { jsonrpc: '2.0', id: 'k', error: { code: -32600 } }, 'id echoed when readable')

  const empty = await rpc(s.url, [])
  t.same(empty.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'empty batch' } })
  const junk = await rpc(s.url, [1, 'x'])
  t.match(junk.json(), [
    { id: null, error: { code: -32600 } },
    { id: null, error: { code: -32600 } },
  ])

  const unknown = await rpc(s.url, { jsonrpc: '2.0', id: 4, method: 'eth_nope' })
  t.same(unknown.json(), { jsonrpc: '2.0', id: 4, error: { code: -32601, message: 'the method eth_nope does not exist/is not available' } })
  t.equal(await code({ jsonrpc: '2.0', id: 5, method: 'echo', params: { a: 1 } }), -32602, 'object params')
  t.equal(await code({ jsonrpc: '2.0', id: 6, method: 'echo', params: 'x' }), -32602, 'string params')
  t.same(called, [], 'no handler ran for any invalid request')
})

t.test('handler errors go through toRpcError; internal errors logged at error with the stack', async (t) => {
  const log = captureLogger()
  const s = await serve(
    t,
    {
      badParams: () => {
        throw new InvalidParamsError('params[0].blockHash: expected 32 bytes')
      },
      withData: async () => {
        throw new RpcError(3, 'execution reverted', '0x08c379a0')
      },
      config: () => {
        throw new ConfigError('no state')
      },
      boom: async () => {
        await sleep(1)
        throw new TypeError('kaboom')
      },
      bigint: () => 1n,
    },
    { logger: log.logger },
  )
  const call = async (method: string): Promise<unknown> => (await rpc(s.url, { jsonrpc: '2.0', id: 1, method })).json()
  t.same(await call('badParams'), { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'params[0].blockHash: expected 32 bytes' } })
  t.same(await call('withData'), { jsonrpc: '2.0', id: 1, error: { code: 3, message: 'execution reverted', data: '0x08c379a0' } })
  t.same(await call('config'), { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'no state' } })
  t.same(await call('boom'), { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'kaboom' } })
  t.match(await call('bigint'), { id: 1, error: { code: -32603 } }, 'an unencodable result is an internal error, not a crash')
  const errors = log.records().filter((r) => r['level'] === 50)
  const boom = errors.find((r) => r['method'] === 'boom')
  t.ok(boom, 'internal error logged at error level')
  t.match(boom?.['err'], { type: 'TypeError', message: 'kaboom', stack: /kaboom[\s\S]*server\.test\.ts/ })
  t.notOk(errors.some((r) => r['method'] === 'badParams' || r['method'] === 'config'), 'expected errors are not logged at error')
  t.same(await call('bigint'), await call('bigint'), 'server still serving')
})

t.test('body limit: 413 with a JSON-RPC error, by Content-Length and by streamed size', async (t) => {
  let calls = 0
  const s = await serve(t, { echo: (p) => (calls++, p) }, { maxBodyBytes: 1000 })
  const fits = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['x'.repeat(900)] })
  t.ok(fits.length <= 1000)
  t.equal((await post(s.url, fits)).status, 200)
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['x'.repeat(2000)] })
  const r = await post(s.url, big)
  t.equal(r.status, 413)
  t.match(r.headers['content-type'], /application\/json/)
  t.match(r.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: /too large/ } })
  const chunked = await post(s.url, big, { chunks: [big.slice(0, 600), big.slice(600, 1200), big.slice(1200)] })
  t.equal(chunked.status, 413, 'chunked body without Content-Length')
  t.equal(calls, 1)
  t.equal((await post(s.url, fits)).status, 200, 'still serving afterwards')
})

t.test('batch limit: more than maxBatch entries is geth\'s one-entry -32600 "batch too large" with the first call\'s id, nothing runs', async (t) => {
  let calls = 0
  const s = await serve(t, { echo: (p) => (calls++, p) }, { maxBatch: 3 })
  const entry = (id: number) => ({ jsonrpc: '2.0', id, method: 'echo', params: [id] })
  t.equal(((await rpc(s.url, [entry(1), entry(2), entry(3)])).json() as unknown[]).length, 3)
  t.equal(calls, 3)
  t.same((await rpc(s.url, [entry(1), entry(2), entry(3), entry(4)])).json(), [{ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } }])
  const notes = [1, 2, 3, 4].map(() => ({ jsonrpc: '2.0', method: 'echo' }))
  t.same((await rpc(s.url, notes)).json(), [{ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'batch too large' } }], 'no call: id null')
  t.equal(calls, 3)
})

const allOrdered: Partial<RpcServerOptions> = { ordered: () => true }

t.test('strict arrival order: one FIFO across connections; no two calls overlap', async (t) => {
  const events: string[] = []
  let active = 0
  let maxActive = 0
  let firstStarted: () => void = () => undefined
  const started = new Promise<void>((r) => (firstStarted = r))
  const s = await serve(t, {
    work: async (p) => {
      const [name, ms] = p as [string, number]
      active++
      maxActive = Math.max(maxActive, active)
      events.push(`start ${name}`)
      if (name === 'A') firstStarted()
      await sleep(ms)
      events.push(`end ${name}`)
      active--
      return name
    },
  }, allOrdered)
  const call = (name: string, ms: number) => rpc(s.url, { jsonrpc: '2.0', id: name, method: 'work', params: [name, ms] })
  // A is slow; B, C, D arrive while it runs, with decreasing work, on separate connections.
  const a = call('A', 150)
  await started
  const b = call('B', 60)
  await sleep(15)
  const c = call('C', 30)
  await sleep(15)
  const d = call('D', 1)
  const results = await Promise.all([a, b, c, d])
  t.same(
    results.map((r) => (r.json() as { result: string }).result),
    ['A', 'B', 'C', 'D'],
  )
  t.same(events, ['start A', 'end A', 'start B', 'end B', 'start C', 'end C', 'start D', 'end D'])
  t.equal(maxActive, 1)
})

t.test('random delays, many concurrent requests and batches: strictly sequential, batches contiguous', async (t) => {
  const log: { name: string; start: number; end: number }[] = []
  let active = 0
  let maxActive = 0
  const s = await serve(t, {
    work: async (p) => {
      active++
      maxActive = Math.max(maxActive, active)
      const start = performance.now()
      await sleep(Math.floor(Math.random() * 6))
      if (Math.random() < 0.5) await Promise.resolve()
      log.push({ name: p[0] as string, start, end: performance.now() })
      active--
      return p[0]
    },
  }, allOrdered)
  const requests: Promise<Reply>[] = []
  for (let i = 0; i < 30; i++) {
    if (i % 5 === 0) {
      requests.push(rpc(s.url, [0, 1, 2].map((j) => ({ jsonrpc: '2.0', id: j, method: 'work', params: [`b${i}.${j}`] }))))
    } else {
      requests.push(rpc(s.url, { jsonrpc: '2.0', id: i, method: 'work', params: [`r${i}`] }))
    }
  }
  const replies = await Promise.all(requests)
  t.equal(maxActive, 1, 'never two handlers at once')
  t.equal(log.length, 24 + 6 * 3)
  for (let i = 1; i < log.length; i++) {
    if (log[i]!.start < log[i - 1]!.end) t.fail(`${log[i]!.name} started before ${log[i - 1]!.name} ended`)
  }
  for (let i = 0; i < 30; i += 5) {
    const k = log.findIndex((e) => e.name === `b${i}.0`)
    t.same(
      log.slice(k, k + 3).map((e) => e.name),
      [`b${i}.0`, `b${i}.1`, `b${i}.2`],
      `batch ${i} ran in order, back to back`,
    )
    t.same(replies[i]!.json(), [0, 1, 2].map((j) => ({ jsonrpc: '2.0', id: j, result: `b${i}.${j}` })))
  }
})

t.test('lanes: engine_* never waits behind other calls, other calls never wait behind each other or the FIFO', async (t) => {
  const events: string[] = []
  const slow = (name: string, ms: number): RpcHandler => async () => {
    events.push(`start ${name}`)
    await sleep(ms)
    events.push(`end ${name}`)
    return name
  }
  const s = await serve(t, {
    eth_slow: slow('eth_slow', 400),
    eth_fast: slow('eth_fast', 0),
    engine_a: slow('engine_a', 150),
    engine_b: slow('engine_b', 0),
  })
  const timed = async (method: string): Promise<{ result: unknown; ms: number }> => {
    const t0 = performance.now()
    const r = (await rpc(s.url, { jsonrpc: '2.0', id: 1, method, params: [] }, { fresh: true })).json() as { result: unknown }
    return { result: r.result, ms: performance.now() - t0 }
  }
  const slowCall = timed('eth_slow')
  await sleep(20)
  const [engineA, engineB, fast] = await Promise.all([timed('engine_a'), (async () => (await sleep(10), timed('engine_b')))(), timed('eth_fast')])
  t.ok(engineA.ms < 350, `engine_a did not wait for eth_slow (${engineA.ms.toFixed(0)} ms)`)
  t.ok(fast.ms < 120, `eth_fast waited neither for eth_slow nor for the engine FIFO (${fast.ms.toFixed(0)} ms)`)
  t.ok(engineB.ms >= 100, 'engine_b waited for engine_a (arrival order)')
  t.ok(events.indexOf('end engine_a') < events.indexOf('start engine_b'), 'engine calls in arrival order, one at a time')
  t.equal((await slowCall).result, 'eth_slow')
  // In a batch: the engine entries in order, the others beside them; responses in request order.
  const batch = (await rpc(s.url, ['engine_a', 'eth_fast', 'engine_b', 'eth_slow'].map((m, id) => ({ jsonrpc: '2.0', id, method: m })))).json()
  t.same(batch, ['engine_a', 'eth_fast', 'engine_b', 'eth_slow'].map((m, id) => ({ jsonrpc: '2.0', id, result: m })))
})

t.test('batch response size limit: entries after the limit get -32003 "response too large"', async (t) => {
  let calls = 0
  const s = await serve(t, { eth_big: () => (calls++, 'x'.repeat(400)) }, { maxBatchResponseBytes: 1000 })
  const r = (await rpc(s.url, Array.from({ length: 20 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'eth_big' })))).json() as { id: number; result?: string; error?: { code: number; message: string } }[]
  t.equal(r.length, 20, 'every entry answered')
  t.same(r.map((x) => x.id), Array.from({ length: 20 }, (_, id) => id), 'in request order')
  const ok = r.filter((x) => x.result !== undefined).length
  t.ok(ok >= 3 && ok <= 3 + 4, `the responses up to the limit are kept (${ok})`)
  t.same(r.at(-1)!.error, { code: -32003, message: 'response too large' })
  t.ok(calls < 20, `no more calls started once over the limit (${calls})`)
})

t.test('request time limit: calls still running answer -32002 "request timed out", others are not held', async (t) => {
  const s = await serve(t, { eth_hang: () => sleep(2000).then(() => 'late'), eth_quick: () => 'quick' }, { requestTimeoutMs: 200 })
  const t0 = performance.now()
  const single = (await rpc(s.url, { jsonrpc: '2.0', id: 5, method: 'eth_hang' })).json()
  t.same(single, { jsonrpc: '2.0', id: 5, error: { code: -32002, message: 'request timed out' } })
  const batch = (await rpc(s.url, [{ jsonrpc: '2.0', id: 1, method: 'eth_quick' }, { jsonrpc: '2.0', id: 2, method: 'eth_hang' }])).json()
  t.same(batch, [{ jsonrpc: '2.0', id: 1, result: 'quick' }, { jsonrpc: '2.0', id: 2, error: { code: -32002, message: 'request timed out' } }])
  t.ok(performance.now() - t0 < 1500, 'answered at the limit, not when the handlers ended')
})

t.test('HTTP methods, CORS preflight, vhosts, content type', async (t) => {
  const s = await serve(t, methods)
  const get = await post(s.url, '', { method: 'GET' })
  t.equal(get.status, 405)
  t.match(get.json(), { jsonrpc: '2.0', id: null, error: { code: -32600 } })
  t.equal((await post(s.url, '', { method: 'PUT' })).status, 405)
  t.equal((await post(s.url, '', { method: 'OPTIONS', headers: { Origin: 'http://a.example' } })).status, 405, 'no CORS configured')
  t.equal((await post(s.url, '{}', { headers: { 'Content-Type': 'text/plain' } })).status, 415)

  const c = await serve(t, methods, { cors: ['http://a.example'], vhosts: ['localhost', 'node.example'] })
  const pre = await post(c.url, '', { method: 'OPTIONS', headers: { Origin: 'http://a.example', 'Access-Control-Request-Method': 'POST' } })
  t.equal(pre.status, 204)
  t.equal(pre.headers['access-control-allow-origin'], 'http://a.example')
  t.match(pre.headers['access-control-allow-headers'], /Authorization/i)
  t.equal((await post(c.url, '', { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } })).status, 403)
  const withOrigin = await rpc(c.url, { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] }, { headers: { Origin: 'http://a.example' } })
  t.equal(withOrigin.headers['access-control-allow-origin'], 'http://a.example')
  const otherOrigin = await rpc(c.url, { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] }, { headers: { Origin: 'http://evil.example' } })
  t.equal(otherOrigin.headers['access-control-allow-origin'], undefined)

  const body = { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] }
  t.equal((await rpc(c.url, body)).status, 200, 'IP host always allowed')
  t.equal((await rpc(c.url, body, { headers: { Host: `localhost:${c.port}` } })).status, 200)
  t.equal((await rpc(c.url, body, { headers: { Host: 'NODE.example' } })).status, 200)
  const evil = await rpc(c.url, body, { headers: { Host: `evil.example:${c.port}` } })
  t.equal(evil.status, 403)
  t.match(evil.json(), { error: { message: 'invalid host specified' } })
})

t.test('onCall reports method, duration and success', async (t) => {
  const calls: [string, number, boolean][] = []
  const s = await serve(
    t,
    {
      ...methods,
      fail: () => {
        throw new InvalidParamsError('x')
      },
    },
    { onCall: (m, ms, ok) => void calls.push([m, ms, ok]) },
  )
  await rpc(s.url, [
    { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] },
    { jsonrpc: '2.0', id: 2, method: 'fail' },
    { jsonrpc: '2.0', id: 3, method: 'unknown' },
  ])
  // A batch's unordered entries run side by side: compare without their completion order.
  t.same(
    calls.map(([m, , ok]) => [m, ok]).sort(),
    [
      ['add', true],
      ['fail', false],
    ],
  )
  t.ok(calls.every(([, ms]) => typeof ms === 'number' && ms >= 0))
})

t.test('close(): resolves with idle keep-alive connections open; the port is released', async (t) => {
  const s = await startRpcServer({ host: '127.0.0.1', port: 0, methods: new Map(Object.entries(methods)), logger: captureLogger().logger })
  t.equal((await rpc(s.url, { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] })).status, 200)
  const started = performance.now()
  await s.close()
  t.ok(performance.now() - started < 1000, 'no waiting on idle sockets')
  await t.rejects(rpc(s.url, { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] }, { fresh: true }), { code: 'ECONNREFUSED' })
  const again = await startRpcServer({ host: '127.0.0.1', port: s.port, methods: new Map(), logger: captureLogger().logger })
  await again.close()
})

t.test('listening on a taken port is a ConfigError', async (t) => {
  const s = await serve(t, methods)
  await t.rejects(startRpcServer({ host: '127.0.0.1', port: s.port, methods: new Map(), logger: captureLogger().logger }), { name: 'ConfigError', message: /cannot listen on 127\.0\.0\.1/ })
})

// --- JWT ----------------------------------------------------------------------------------------

const SECRET = new Uint8Array(32).map((_, i) => 0xa0 + i)
const NOW_S = 1_750_000_000

async function jwtServer(t: Teardown): Promise<{ s: RpcServer; calls: () => number }> {
  let calls = 0
  const s = await serve(t, { ping: () => (calls++, 'pong') }, { jwtSecret: SECRET, now: () => NOW_S * 1000 + 999 })
  return { s, calls: () => calls }
}

const ping = { jsonrpc: '2.0', id: 1, method: 'ping', params: [] }
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

t.test('JWT: a valid HS256 token with a fresh iat is accepted', async (t) => {
  const { s, calls } = await jwtServer(t)
  for (const d of [0, 59, -59, 60, -60]) {
    const r = await rpc(s.url, ping, bearer(signJwt(SECRET, { iat: NOW_S + d })))
    t.equal(r.status, 200, `iat ${d >= 0 ? '+' : ''}${d} s`)
    t.same(r.json(), { jsonrpc: '2.0', id: 1, result: 'pong' })
  }
  t.equal((await rpc(s.url, ping, { headers: { Authorization: `bearer  ${signJwt(SECRET, { iat: NOW_S })}` } })).status, 200, 'scheme case-insensitive')
  t.equal(calls(), 6)
})

t.test('JWT: refusals are 401 with a JSON-RPC error and nothing executed', async (t) => {
  const { s, calls } = await jwtServer(t)
  const offByOne = SECRET.slice()
  offByOne[0] = offByOne[0]! + 1
  const cases: [string, Record<string, string>, RegExp][] = [
    ['missing header', {}, /missing token/],
    ['secret off by one byte', bearer(signJwt(offByOne, { iat: NOW_S })).headers, /invalid token signature/],
    ['iat +61 s', bearer(signJwt(SECRET, { iat: NOW_S + 61 })).headers, /future token/],
    ['iat -61 s', bearer(signJwt(SECRET, { iat: NOW_S - 61 })).headers, /stale token/],
    ['alg none', bearer(signJwt(SECRET, { iat: NOW_S }, { alg: 'none', typ: 'JWT' })).headers, /unsupported signing algorithm "none"/],
    ['alg HS512 label', bearer(signJwt(SECRET, { iat: NOW_S }, { alg: 'HS512', typ: 'JWT' })).headers, /unsupported signing algorithm/],
    ['no iat', bearer(signJwt(SECRET, { id: 'cl' })).headers, /missing issued-at/],
    ['malformed token', bearer('not.a.jwt!').headers, /malformed token/],
    ['garbage', bearer('garbage').headers, /malformed token/],
    ['Basic scheme', { Authorization: 'Basic dXNlcjpwYXNz' }, /malformed authorization header/],
    ['empty Bearer', { Authorization: 'Bearer ' }, /malformed authorization header/],
  ]
  for (const [name, headers, reason] of cases) {
    const r = await rpc(s.url, ping, { headers })
    t.equal(r.status, 401, name)
    t.match(r.headers['content-type'], /application\/json/)
    t.match(r.json(), { jsonrpc: '2.0', id: null, error: { code: -32000, message: reason } }, name)
  }
  const batch = await rpc(s.url, [ping, ping])
  t.equal(batch.status, 401, 'batch refused too')
  const garbageBody = await post(s.url, '{not json')
  t.equal(garbageBody.status, 401, 'auth is checked before the body is parsed')
  t.match(garbageBody.json(), { error: { code: -32000 } })
  t.equal(calls(), 0, 'the handler never ran')
  t.equal((await rpc(s.url, ping, bearer(signJwt(SECRET, { iat: NOW_S })))).status, 200, 'and a good token still works on the same server')
  t.equal(calls(), 1)
})

t.test('JWT: real clock by default, configurable skew', async (t) => {
  let calls = 0
  const s = await serve(t, { ping: () => (calls++, 'pong') }, { jwtSecret: SECRET, jwtMaxSkewSeconds: 5 })
  const now = Math.floor(Date.now() / 1000)
  t.equal((await rpc(s.url, ping, bearer(signJwt(SECRET, { iat: now })))).status, 200)
  t.equal((await rpc(s.url, ping, bearer(signJwt(SECRET, { iat: now - 30 })))).status, 401, 'outside a 5 s skew')
  t.equal(calls, 1)
})
