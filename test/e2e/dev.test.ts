// `parallax node --dev` (what `npm start` runs) with a viem client and nothing else set up: blocks
// are produced, an EIP-1559 transfer and a contract deployment land with receipts, balances and
// logs readable; Ctrl-C shuts down within 5 s; a restart on the same datadir continues the chain.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, http, parseEther, defineChain, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { startNodeProcess } from '../helpers/node-process.ts'

const devChain = defineChain({
  id: 1337,
  name: 'parallax-dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1:8545'] } },
})

// Initcode for a contract whose runtime emits LOG1(topic 0x2a) with the calldata and stops:
// runtime = CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY PUSH1 0x2a CALLDATASIZE PUSH1 0 LOG1 STOP
const RUNTIME = '366000600037' + '602a' + '36' + '6000' + 'a1' + '00'
const runtimeLen = (RUNTIME.length / 2).toString(16).padStart(2, '0')
// initcode: PUSH1 len PUSH1 off DUP1? -> copy runtime to memory 0 and RETURN it
const INIT = `60${runtimeLen}600c60003960${runtimeLen}6000f3` + RUNTIME

t.test('dev mode with viem', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-dev-e2e-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const args = ['node', '--dev', '--dev.period', '1', '--datadir', dir, '--http.port', '0', '--authrpc.port', '0']
  let node = await startNodeProcess(args)
  t.ok(node.http !== undefined, 'HTTP RPC on by default in dev mode')
  const url = node.http!.url
  const transport = http(url)
  const pub = createPublicClient({ chain: devChain, transport, cacheTime: 0 })
  const account = privateKeyToAccount(DEV_PRIVATE_KEYS[0]!)
  const wallet = createWalletClient({ account, chain: devChain, transport })
  try {
    t.match(node.logs(), /0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266/i, 'prefunded dev accounts printed at start')
    const start = await pub.getBlockNumber()
    await new Promise((r) => setTimeout(r, 2500))
    t.ok((await pub.getBlockNumber()) > start, 'blocks are produced every period')

    const to = '0x000000000000000000000000000000000000beef' as const
    const before = await pub.getBalance({ address: to })
    const hash = await wallet.sendTransaction({ to, value: parseEther('1.5') })
    const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 20_000, pollingInterval: 250 })
    t.equal(receipt.status, 'success', 'EIP-1559 transfer succeeded')
    t.equal(receipt.type, 'eip1559')
    t.equal((await pub.getBalance({ address: to })) - before, parseEther('1.5'), 'recipient balance moved')

    const deployHash = await wallet.deployContract({ abi: [], bytecode: `0x${INIT}` as Hex })
    const deployed = await pub.waitForTransactionReceipt({ hash: deployHash, timeout: 20_000, pollingInterval: 250 })
    t.equal(deployed.status, 'success', 'contract deployed')
    t.ok(deployed.contractAddress, 'receipt has the contract address')
    const code = await pub.getCode({ address: deployed.contractAddress! })
    t.equal(code, `0x${RUNTIME}`, 'runtime code stored')

    const callHash = await wallet.sendTransaction({ to: deployed.contractAddress!, data: '0xdeadbeef' })
    const called = await pub.waitForTransactionReceipt({ hash: callHash, timeout: 20_000, pollingInterval: 250 })
    t.equal(called.logs.length, 1, 'the call emitted one log')
    t.equal(called.logs[0]!.data, '0xdeadbeef', 'log data', { log: JSON.stringify(called.logs[0], (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) })
    const logs = await pub.getLogs({ address: deployed.contractAddress!, fromBlock: 0n, toBlock: 'latest' })
    t.equal(logs.length, 1, 'eth_getLogs finds it')
  } finally {
    const { code, ms } = await node.stop()
    t.equal(code, 0, 'exit code 0 on Ctrl-C')
    t.ok(ms < 5000, `shut down in ${ms} ms (< 5 s)`)
  }
  // Restart on the same datadir: the chain continues.
  node = await startNodeProcess(args)
  try {
    const pub2 = createPublicClient({ chain: devChain, transport: http(node.http!.url), cacheTime: 0 })
    const n = await pub2.getBlockNumber()
    t.ok(n > 3n, `restart continues the chain at block ${n}`)
    // A 1 s period: a new block within a few periods (polled: the restarted node also starts its
    // executor's worker threads, which on a loaded 2-core machine can take a couple of seconds).
    let next = n
    for (const deadline = Date.now() + 10_000; next <= n && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250))
      next = await pub2.getBlockNumber()
    }
    t.ok(next > n, `and keeps producing blocks (${next})`)
  } finally {
    await node.stop()
  }
})

t.test('the `npm start` command line (no --datadir: a temporary one, removed on exit)', async (t) => {
  const node = await startNodeProcess(['node', '--dev', '--http.port', '0', '--authrpc.port', '0'])
  try {
    const m = /"datadir":"([^"]+parallax-dev-[^"]+)"/.exec(node.logs())
    t.ok(m, 'logs the temporary datadir')
    // Polled, not a fixed sleep: on a loaded 2-core machine the node can need several seconds
    // after its RPC answers before the first block is sealed.
    let n = 0n
    for (const deadline = Date.now() + 20_000; n < 1n && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250))
      n = BigInt((await node.http!.call('eth_blockNumber', [])) as string)
    }
    t.ok(n >= 1n, `default period (2 s) produced ${n} blocks`)
    const { code } = await node.stop()
    t.equal(code, 0)
    const { existsSync } = await import('node:fs')
    t.notOk(existsSync(m![1]!), 'temporary datadir removed')
  } finally {
    await node.stop()
  }
})
