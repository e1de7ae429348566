// JSON-RPC over WebSocket on a real socket: calls and batches, eth_subscribe per connection, the
// Engine API port's JWT on the upgrade, geth's origin rules, a WebSocket-only port refusing plain
// HTTP, and a slow subscriber: many subscribers follow a burst of heads in order while one that never
// reads is dropped (an error notification per subscription) and holds no more than the limit.
import t from 'tap'
import { createBlock, type Block } from '@ethereumjs/block'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import pino from 'pino'
import WebSocket from 'ws'
import type { HeadChange } from '../../../src/chain/chain.ts'
import { Emitter } from '../../../src/chain/events.ts'
import type { StoredReceipt } from '../../../src/db/receipts.ts'
import { signJwt } from '../../../src/rpc/jwt.ts'
import { createLiveRpc } from '../../../src/rpc/live.ts'
import { startRpcServer, type RpcServer } from '../../../src/rpc/server.ts'
import type { RpcHandler } from '../../../src/rpc/types.ts'
import { originCheck } from '../../../src/rpc/ws.ts'

const silent = pino({ level: 'silent' })
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Shanghai })
const KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const TX = createLegacyTx({ nonce: 0n, gasPrice: 1n, gasLimit: 21000n, to: `0x${'11'.repeat(20)}` }, { common }).sign(KEY)
const BIG_LOG_BYTES = 32 * 1024

/** A chain stand-in: emit head changes by hand; every block has one transaction with one big log. */
function fakeChain() {
  const headChanges = new Emitter<HeadChange>()
  const receipt: StoredReceipt = { txType: 0, cumulativeGasUsed: 21000n, status: 1, logs: [[new Uint8Array(20).fill(1), [new Uint8Array(32).fill(2)], new Uint8Array(BIG_LOG_BYTES).fill(3)]] } as StoredReceipt
  return { headChanges, store: { getReceipts: async () => [receipt] } }
}

const block = (n: number): Block => createBlock({ header: { number: BigInt(n), gasLimit: 30_000_000n, timestamp: BigInt(n) }, transactions: [TX] }, { common })

interface Client {
  ws: WebSocket
  messages: Record<string, unknown>[]
  call(method: string, params?: unknown[]): Promise<unknown>
}

async function connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, opts)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const messages: Record<string, unknown>[] = []
  const waiting = new Map<number, (m: Record<string, unknown>) => void>()
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>
    const done = typeof m['id'] === 'number' ? waiting.get(m['id']) : undefined
    if (done !== undefined) done(m)
    else messages.push(m)
  })
  let id = 0
  return {
    ws,
    messages,
    call(method, params = []) {
      const n = ++id
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: n, method, params }))
      return new Promise((resolve, reject) => waiting.set(n, (m) => (m['error'] !== undefined ? reject(Object.assign(new Error('rpc error'), m['error'])) : resolve(m['result']))))
    },
  }
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

const methods = new Map<string, RpcHandler>([
  ['eth_blockNumber', () => '0x2a'],
  ['engine_exchangeCapabilities', () => ['engine_newPayloadV4']],
])

t.test('calls, batches and subscriptions over WebSocket; a WebSocket-only port refuses plain HTTP', async (t) => {
  const chain = fakeChain()
  const live = createLiveRpc({ chain, logger: silent, getLogs: async () => [] })
  const server = await startRpcServer({ host: '127.0.0.1', port: 0, methods, logger: silent, http: false, websocket: { subscriptions: live.hub } })
  t.teardown(async () => {
    await server.close()
    live.close()
  })
  t.match(server.url, /^ws:\/\//)
  const c = await connect(server.url)
  t.equal(await c.call('eth_blockNumber'), '0x2a')
  c.ws.send(JSON.stringify([{ jsonrpc: '2.0', id: 'a', method: 'eth_blockNumber' }, { jsonrpc: '2.0', id: 'b', method: 'nope' }]))
  await until('the batch answer', () => c.messages.some(Array.isArray))
  const batch = c.messages.find(Array.isArray) as unknown as { id: string; result?: string; error?: { code: number } }[]
  t.same(batch.map((r) => [r.id, r.result ?? r.error?.code]), [['a', '0x2a'], ['b', -32601]], 'a batch answers in request order')
  const sub = (await c.call('eth_subscribe', ['newHeads'])) as string
  t.match(sub, /^0x[0-9a-f]{32}$/, 'geth-style subscription id')
  await t.rejects(c.call('eth_subscribe', ['nonsense']), { code: -32601, message: 'no "nonsense" subscription in eth namespace' })
  chain.headChanges.emit({ added: [block(1), block(2)], removed: [] })
  await until('two heads', () => c.messages.length >= 3)
  const notes = c.messages.filter((m) => m['method'] === 'eth_subscription') as { params: { subscription: string; result: { number: string } } }[]
  t.same(notes.map((n) => [n.params.subscription, n.params.result.number]), [[sub, '0x1'], [sub, '0x2']])
  const res = await fetch(server.url.replace('ws:', 'http:'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' })
  t.equal(res.status, 404, 'plain HTTP on the WebSocket port: 404, as geth')
  c.ws.close()
})

t.test('the Engine API port: the upgrade needs the JWT; origins follow geth --ws.origins', async (t) => {
  const secret = new Uint8Array(32).fill(7)
  const engine = await startRpcServer({ host: '127.0.0.1', port: 0, methods, logger: silent, jwtSecret: secret, websocket: {} })
  const open = await startRpcServer({ host: '127.0.0.1', port: 0, methods, logger: silent, websocket: { origins: [] } })
  t.teardown(async () => {
    await engine.close()
    await open.close()
  })
  const wsUrl = (s: RpcServer): string => s.url.replace('http:', 'ws:')
  const status = (url: string, headers: Record<string, string>): Promise<number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { headers })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => {
        ws.close()
        resolve(101)
      })
      ws.on('error', () => undefined)
    })
  t.equal(await status(wsUrl(engine), {}), 401, 'no token: refused')
  const token = signJwt(secret, { iat: Math.floor(Date.now() / 1000) })
  t.equal(await status(wsUrl(engine), { authorization: `Bearer ${signJwt(new Uint8Array(32), { iat: Math.floor(Date.now() / 1000) })}` }), 401, 'wrong secret: refused')
  const c = await connect(wsUrl(engine), { headers: { authorization: `Bearer ${token}` } })
  t.same(await c.call('engine_exchangeCapabilities', [[]]), ['engine_newPayloadV4'], 'Engine API over WebSocket with the JWT')
  await t.rejects(c.call('eth_subscribe', ['newHeads']), { message: 'the method eth_subscribe does not exist/is not available' }, 'no subscriptions without a hub')
  c.ws.close()
  t.equal(await status(wsUrl(open), { origin: 'http://localhost:3000' }), 101, 'default origins: localhost on any port')
  t.equal(await status(wsUrl(open), { origin: 'https://evil.example' }), 403, 'another origin: refused')
  t.equal(await status(wsUrl(open), {}), 101, 'no Origin header (not a browser): allowed')
})

t.test('a subscriber that never reads is dropped; the others get every head, once, in order', async (t) => {
  const chain = fakeChain()
  const limit = 256 * 1024
  const live = createLiveRpc({ chain, logger: silent, getLogs: async () => [], subscriptions: { bufferLimitBytes: limit } })
  const server = await startRpcServer({ host: '127.0.0.1', port: 0, methods, logger: silent, http: false, websocket: { subscriptions: live.hub } })
  t.teardown(async () => {
    await server.close()
    live.close()
  })
  const healthy = await Promise.all(Array.from({ length: 30 }, () => connect(server.url)))
  for (const c of healthy) await c.call('eth_subscribe', ['newHeads'])
  const logReader = await connect(server.url)
  await logReader.call('eth_subscribe', ['logs'])
  const slow = await connect(server.url)
  const slowSubs = [await slow.call('eth_subscribe', ['newHeads']), await slow.call('eth_subscribe', ['logs'])]
  slow.ws.pause() // never reads again (until the end of the test)
  t.equal(live.hub.size, 33)

  // 400 logs of 64 KiB of hex: far more than the socket buffers and the limit hold. Heads come as
  // fast as a reading client takes them (a burst faster than any client reads would fill every buffer).
  const N = 400
  for (let i = 1; i <= N; i++) {
    chain.headChanges.emit({ added: [block(i)], removed: [] })
    await until(`the log reader to get log ${i}`, () => logReader.messages.length >= i, 10_000)
  }
  const heads = (c: Client): string[] => c.messages.filter((m) => m['method'] === 'eth_subscription').map((m) => (m['params'] as { result: { number: string } }).result.number)
  await until('every healthy subscriber to get every head', () => healthy.every((c) => heads(c).length >= N))
  const expected = Array.from({ length: N }, (_, i) => `0x${(i + 1).toString(16)}`)
  t.ok(healthy.every((c) => JSON.stringify(heads(c)) === JSON.stringify(expected)), 'every healthy subscriber: every head once, in order')
  t.equal(live.hub.size, 31, 'the slow connection\'s two subscriptions were dropped')
  t.ok(slow.ws.readyState === WebSocket.OPEN, 'the connection itself stays open')

  slow.ws.resume()
  await until('the slow client to read what was sent to it', () => slow.messages.filter((m) => (m['params'] as { error?: unknown } | undefined)?.error !== undefined).length === 2, 30_000)
  const errors = slow.messages.filter((m) => (m['params'] as { error?: unknown }).error !== undefined).map((m) => m['params'] as { subscription: string; error: { code: number; message: string } })
  t.same(errors.map((e) => e.subscription).sort(), [...slowSubs].sort(), 'one error notification per dropped subscription')
  t.ok(errors.every((e) => e.error.code === -32005 && /not reading/.test(e.error.message)), 'code -32005, saying why')
  const got = slow.messages.filter((m) => (m['params'] as { result?: unknown } | undefined)?.result !== undefined).length
  t.ok(got < 2 * N, `the slow client got ${got} of ${2 * N} notifications before it was dropped`)
  for (const c of [...healthy, logReader, slow]) c.ws.close()
})

t.test('one port for HTTP and WebSocket (geth\'s equal --http.port and --ws.port), each with its own namespaces', async (t) => {
  const server = await startRpcServer({ host: '127.0.0.1', port: 0, methods, logger: silent })
  t.teardown(() => server.close())
  server.acceptWebSocket({ origins: ['*'] }, new Map<string, RpcHandler>([['web3_clientVersion', () => 'Parallax/test']]))
  const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' })
  t.same(((await res.json()) as { result: string }).result, '0x2a', 'HTTP serves its table')
  const c = await connect(server.url.replace('http:', 'ws:'), { headers: { origin: 'https://any.example' } })
  t.equal(await c.call('web3_clientVersion'), 'Parallax/test', 'WebSocket serves its own')
  await t.rejects(c.call('eth_blockNumber'), { code: -32601 }, 'and not the HTTP-only methods')
  c.ws.close()
})

t.test('origin rules: an entry without scheme or port matches any; with them, exactly', async (t) => {
  const exact = originCheck(['http://app.example:3000'])
  t.ok(exact('http://app.example:3000'))
  t.ok(exact('HTTP://APP.EXAMPLE:3000'), 'case does not matter')
  t.notOk(exact('http://app.example:3001'), 'another port')
  t.notOk(exact('https://app.example:3000'), 'another scheme')
  t.notOk(exact('http://evil.example:3000'), 'another host')
  const loose = originCheck(['app.example'])
  t.ok(loose('https://app.example:8443') && loose('http://app.example'), 'no scheme, no port: any of them')
  t.notOk(loose('http://sub.app.example'), 'not a subdomain')
  t.ok(originCheck(['*'])('null'), '* allows anything')
  t.notOk(originCheck([])('null'), 'the default (localhost) refuses an opaque origin')
})
