// Real clients from npm against a real `parallax node --dev --ws`: viem's webSocket transport
// (watchBlocks and watchContractEvent through eth_subscribe, with polling turned off), ethers v6's
// WebSocketProvider (block, pending and contract.on events) and ethers' JsonRpcProvider, whose
// contract.on installs an eth_newFilter and polls eth_getFilterChanges over HTTP; the Engine API over
// a WebSocket on the authrpc port with the JWT; 200 raw WebSocket subscribers (newHeads + logs) that
// each get every head once, in order, and every log.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, defineChain, http, webSocket } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { Contract, JsonRpcProvider, WebSocketProvider, Wallet } from 'ethers'
import WebSocket from 'ws'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { parseJwtSecret } from '../../src/rpc/jwt.ts'
import { makeJwt } from '../helpers/rpc-client.ts'
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts'
import { PING_ABI, PING_INIT, word, wsUrl } from '../helpers/ping-contract.ts'

const devChain = defineChain({ id: 1337, name: 'parallax-dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: ['http://127.0.0.1:8545'] } } })
const ABI = PING_ABI
const INIT = PING_INIT

async function until<T>(what: string, get: () => T | undefined, ms = 30_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const v = get()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The methods the node served on one server (its debug log lines). */
function served(node: NodeProcess, server: 'ws' | 'http'): Set<string> {
  const out = new Set<string>()
  for (const l of node.logs().split('\n')) {
    if (!l.includes('"msg":"Served RPC call"') || !l.includes(`"server":"${server}"`)) continue
    out.add((JSON.parse(l) as { method: string }).method)
  }
  return out
}

t.test('viem and ethers over WebSocket, ethers polling filters over HTTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-ws-e2e-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '1', '--datadir', dir, '--http.port', '0', '--authrpc.port', '0', '--ws', '--ws.port', '0', '--verbosity', '4', '--rpc.evmtimeout', '60s'])
  // (a generous EVM time limit: the first eth_estimateGas meets call workers still starting on a loaded machine)
  t.teardown(async () => void (await node.stop()))
  const url = wsUrl(node)
  t.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/)

  const account = privateKeyToAccount(DEV_PRIVATE_KEYS[0]!)
  const httpPub = createPublicClient({ chain: devChain, transport: http(node.http!.url), cacheTime: 0 })
  const wallet = createWalletClient({ account, chain: devChain, transport: http(node.http!.url) })
  const deployHash = await wallet.deployContract({ abi: ABI, bytecode: INIT })
  const address = (await httpPub.waitForTransactionReceipt({ hash: deployHash, timeout: 30_000, pollingInterval: 250 })).contractAddress!
  const ping = async (n: number): Promise<void> => {
    const hash = await wallet.sendTransaction({ to: address, data: word(n) })
    await httpPub.waitForTransactionReceipt({ hash, timeout: 30_000, pollingInterval: 250 })
  }

  await t.test('viem webSocket transport: watchBlocks and watchContractEvent via eth_subscribe', async (t) => {
    const pub = createPublicClient({ chain: devChain, transport: webSocket(url) })
    const blocks: bigint[] = []
    const values: bigint[] = []
    const errors: Error[] = []
    const unwatchBlocks = pub.watchBlocks({ poll: false, onBlock: (b) => void blocks.push(b.number), onError: (e) => void errors.push(e) })
    const unwatchEvents = pub.watchContractEvent({ address, abi: ABI, eventName: 'Ping', poll: false, onLogs: (logs) => void values.push(...logs.map((l) => l.args.value!)), onError: (e) => void errors.push(e) })
    await until('three blocks', () => (blocks.length >= 3 ? true : undefined))
    await new Promise((r) => setTimeout(r, 500)) // the logs subscription is set up too
    await ping(7)
    await ping(8)
    await until('two Ping events', () => (values.length >= 2 ? true : undefined))
    unwatchBlocks()
    unwatchEvents()
    t.same(errors, [], 'no subscription errors')
    t.ok(blocks.every((n, i) => i === 0 || n === blocks[i - 1]! + 1n), `consecutive heads ${blocks.join(',')}`)
    t.same(values, [7n, 8n], 'both events, in order')
    const ws = served(node, 'ws')
    t.ok(ws.has('eth_subscribe'), 'viem subscribed over the WebSocket')
    t.notOk(ws.has('eth_getFilterChanges') || ws.has('eth_getLogs'), 'and did not poll')
    await pub.transport.getRpcClient().then((c) => c.close())
  })

  await t.test('ethers WebSocketProvider: block, pending and contract.on events', async (t) => {
    const provider = new WebSocketProvider(url, 1337)
    try {
      const blocks: number[] = []
      const pending: string[] = []
      const values: bigint[] = []
      await provider.on('block', (n: number) => void blocks.push(n))
      await provider.on('pending', (h: string) => void pending.push(h))
      const contract = new Contract(address, ['event Ping(uint256 value)'], provider)
      await contract.on('Ping', (value: bigint) => void values.push(value))
      await new Promise((r) => setTimeout(r, 500))
      const sent = await wallet.sendTransaction({ to: address, data: word(9) })
      await until('the Ping event', () => (values.length >= 1 ? true : undefined))
      await until('two blocks', () => (blocks.length >= 2 ? true : undefined))
      t.same(values, [9n], 'contract.on got the event')
      t.ok(pending.includes(sent), 'the pending transaction hash was announced')
      t.ok(blocks[1]! > blocks[0]!, 'block numbers grow')
    } finally {
      await provider.destroy()
    }
  })

  await t.test('ethers JsonRpcProvider: contract.on over eth_newFilter / eth_getFilterChanges', async (t) => {
    const provider = new JsonRpcProvider(node.http!.url, 1337, { staticNetwork: true, pollingInterval: 250 })
    try {
      const filter = (await provider.send('eth_newBlockFilter', [])) as string
      const values: bigint[] = []
      const contract = new Contract(address, ['event Ping(uint256 value)'], provider)
      await contract.on('Ping', (value: bigint) => void values.push(value))
      await new Promise((r) => setTimeout(r, 1000))
      const signer = new Wallet(DEV_PRIVATE_KEYS[1]!, provider)
      const tx = await signer.sendTransaction({ to: address, data: word(10) })
      await tx.wait(1, 30_000)
      await until('the polled Ping event', () => (values.length >= 1 ? true : undefined))
      t.same(values, [10n], 'the filter delivered the event')
      const httpCalls = served(node, 'http')
      t.ok(httpCalls.has('eth_newFilter') && httpCalls.has('eth_getFilterChanges'), 'through eth_newFilter and eth_getFilterChanges')
      const hashes = (await provider.send('eth_getFilterChanges', [filter])) as string[]
      t.ok(hashes.length >= 1 && hashes.every((h) => /^0x[0-9a-f]{64}$/.test(h)), `the block filter collected ${hashes.length} block hashes`)
      t.equal(await provider.send('eth_uninstallFilter', [filter]), true)
    } finally {
      provider.destroy()
    }
  })

  await t.test('200 WebSocket subscribers (newHeads + logs): every head once, in order, and every log', async (t) => {
    const clients = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const ws = new WebSocket(url)
        const heads: number[] = []
        const logs: string[] = []
        const ids = new Map<number, string>()
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as { id?: number; result?: string; params?: { subscription: string; result: { number?: string; data?: string } } }
          const p = m.params
          if (m.id !== undefined) ids.set(m.id, m.result!)
          else if (p !== undefined && p.subscription === ids.get(1)) heads.push(Number(p.result.number))
          else if (p !== undefined && p.subscription === ids.get(2)) logs.push(p.result.data!)
        })
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve())
          ws.once('error', reject)
        })
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }))
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['logs', { address }] }))
        return { ws, heads, logs, ids }
      }),
    )
    await until('every subscription id', () => (clients.every((c) => c.ids.size === 2) ? true : undefined))
    for (const n of [21, 22, 23]) await ping(n)
    const last = Number(await httpPub.getBlockNumber())
    await until('every client to reach the head', () => (clients.every((c) => c.heads.at(-1) !== undefined && c.heads.at(-1)! >= last) ? true : undefined))
    const bad = clients.filter((c) => c.heads.length < 3 || c.heads.some((n, i) => i > 0 && n !== c.heads[i - 1]! + 1))
    t.equal(bad.length, 0, `every client got consecutive heads, each once (e.g. ${clients[0]!.heads.join(',')})`)
    const want = [21, 22, 23].map(word)
    t.equal(clients.filter((c) => JSON.stringify(c.logs) !== JSON.stringify(want)).length, 0, 'every client got the three logs, in order')
    for (const c of clients) c.ws.close()
  })

  await t.test('the Engine API port takes WebSocket upgrades with the JWT', async (t) => {
    const secret = parseJwtSecret(readFileSync(join(dir, 'jwtsecret'), 'utf8'))
    const engineWs = node.engine.url.replace('http:', 'ws:')
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(engineWs)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => undefined)
    })
    t.equal(refused, 401, 'no token: 401')
    const ws = new WebSocket(engineWs, { headers: { authorization: `Bearer ${makeJwt(secret)}` } })
    const answers: { id: number; result?: unknown; method?: string }[] = []
    ws.on('message', (d) => void answers.push(JSON.parse(String(d)) as { id: number; result?: unknown }))
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'engine_exchangeCapabilities', params: [[]] }))
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['newHeads'] }))
    await until('a newHeads notification on the Engine API port', () => (answers.some((a) => a.method === 'eth_subscription') ? true : undefined))
    const caps = answers.find((a) => a.id === 1)?.result as string[]
    t.ok(caps.includes('engine_forkchoiceUpdatedV3'), 'engine_exchangeCapabilities answered')
    ws.close()
  })
})
