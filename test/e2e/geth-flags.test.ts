// geth flags with real effects on a running `parallax node --dev`: --miner.gaslimit moves each built
// block's gas limit toward the target by parent/1024 - 1 (geth's CalcGasLimit), --miner.extradata lands
// in built blocks, --networkid is net_version (the chain id stays), --txpool.pricelimit refuses lower
// tips, --http.vhosts checks the Host header; rpc_modules lists the served namespaces.
import { request } from 'node:http'
import t from 'tap'
import { startNodeProcess } from '../helpers/node-process.ts'

const ACCOUNT0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
const GWEI = 1_000_000_000n

function postWithHost(url: string, host: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body)
    const req = request(url, { method: 'POST', headers: { Host: host, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let out = ''
      res.on('data', (c: Buffer) => (out += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }))
    })
    req.on('error', reject)
    req.end(data)
  })
}

t.test('geth flags on a dev node', async (t) => {
  const node = await startNodeProcess([
    'node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0',
    '--miner.gaslimit', '30000000', '--miner.extradata', 'parallax-dev', '--networkid', '4242', '--txpool.pricelimit', String(5n * GWEI),
    '--http.vhosts', 'node.example',
  ])
  t.teardown(() => node.stop())
  const rpc = node.http!
  interface Header {
    gasLimit: string
    extraData: string
  }
  let parent = BigInt(((await rpc.call('eth_getBlockByNumber', ['latest', false])) as Header).gasLimit)
  t.equal(parent, 60_000_000n, 'the dev genesis starts at 60M')
  for (let i = 0; i < 3; i++) {
    await rpc.call('evm_mine', [])
    const b = (await rpc.call('eth_getBlockByNumber', ['latest', false])) as Header
    const limit = BigInt(b.gasLimit)
    t.equal(limit, parent - (parent / 1024n - 1n), `block gas limit ${limit}: down by parent/1024 - 1 toward 30M`)
    t.equal(Buffer.from(b.extraData.slice(2), 'hex').toString(), 'parallax-dev', '--miner.extradata in the block')
    parent = limit
  }

  t.equal(await rpc.call('net_version', []), '4242', '--networkid is net_version')
  t.equal(await rpc.call('eth_chainId', []), '0x539', 'the chain id is unchanged')

  const cheap = await rpc.raw('eth_sendTransaction', [{ from: ACCOUNT0, to: ACCOUNT0, value: '0x1', maxPriorityFeePerGas: `0x${GWEI.toString(16)}`, maxFeePerGas: `0x${(100n * GWEI).toString(16)}` }])
  t.match(cheap.error, { code: -32000, message: /gas price below minimum.*minimum needed 5000000000/ }, '--txpool.pricelimit refuses a 1 gwei tip')
  const ok = await rpc.raw('eth_sendTransaction', [{ from: ACCOUNT0, to: ACCOUNT0, value: '0x1', maxPriorityFeePerGas: `0x${(5n * GWEI).toString(16)}` }])
  t.match(ok.result, /^0x[0-9a-f]{64}$/, 'a 5 gwei tip enters')

  const modules = (await rpc.call('rpc_modules', [])) as Record<string, string>
  for (const ns of ['eth', 'net', 'web3', 'rpc', 'evm', 'personal']) t.equal(modules[ns], '1.0', `rpc_modules lists ${ns}`)
  t.equal(modules['engine'], undefined, 'not engine on --http')
  t.equal(modules['admin'], undefined, 'not namespaces left out of --http.api')

  const body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }
  const port = new URL(rpc.url).port
  t.equal((await postWithHost(rpc.url, `node.example:${port}`, body)).status, 200, 'a host named in --http.vhosts passes')
  const evil = await postWithHost(rpc.url, `evil.example:${port}`, body)
  t.equal(evil.status, 403, 'another host name is refused (DNS rebinding)')
  t.match(evil.body, /invalid host specified/)
  t.equal((await postWithHost(rpc.url, `localhost:${port}`, body)).status, 403, 'localhost too, once --http.vhosts names others')
  t.equal((await postWithHost(rpc.url, `127.0.0.1:${port}`, body)).status, 200, 'IP addresses always pass (as geth)')
})

t.test('default --http.vhosts is localhost', async (t) => {
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0'])
  t.teardown(() => node.stop())
  const url = node.http!.url
  const port = new URL(url).port
  const body = { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }
  t.equal((await postWithHost(url, `localhost:${port}`, body)).status, 200)
  t.equal((await postWithHost(url, `node.example:${port}`, body)).status, 403)
})
