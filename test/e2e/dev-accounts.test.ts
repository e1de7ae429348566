// The unlocked dev accounts of `parallax node --dev`, used as dapp tools use them: ethers v6's
// JsonRpcSigner (provider.getSigner()) sending through eth_sendTransaction, viem's JSON-RPC account
// (walletClient with the node's address) sending, signing a message and typed data, checked with
// viem's verify functions; --dev.accounts / --dev.mnemonic derive, fund and unlock other accounts.
import t from 'tap'
import { JsonRpcProvider, parseEther as ethersParseEther } from 'ethers'
import { createPublicClient, createWalletClient, defineChain, http, parseEther, verifyMessage, verifyTypedData, type Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { startNodeProcess } from '../helpers/node-process.ts'

const devChain = defineChain({
  id: 1337,
  name: 'parallax-dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1:8545'] } },
})
const ACCOUNT0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

const TYPED = {
  domain: { name: 'Ether Mail', version: '1', chainId: 1337, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person[]' },
      { name: 'contents', type: 'string' },
      { name: 'amount', type: 'uint256' },
      { name: 'tag', type: 'bytes32' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: [{ name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' }],
    contents: 'Hello, Bob!',
    amount: 123456789n,
    tag: `0x${'ab'.repeat(32)}` as Hex,
  },
} as const

t.test('dev accounts: ethers JsonRpcSigner and viem JSON-RPC accounts', async (t) => {
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0'])
  t.teardown(() => node.stop())
  const url = node.http!.url
  t.same(await node.http!.call('eth_accounts', []), [
    ACCOUNT0, '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc', '0x90f79bf6eb2c4f870365e785982e1f101e93b906',
    '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65', '0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc', '0x976ea74026e726554db657fa54763abd0c3a0aa9',
    '0x14dc79964da2c08b23698b3d3cc7ca32193d9955', '0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f', '0xa0ee7a142d267c1f36714e4a8f75612f20a79720',
  ], 'eth_accounts lists the ten default dev accounts')

  await t.test('ethers v6 provider.getSigner() sends through eth_sendTransaction', async (t) => {
    const provider = new JsonRpcProvider(url, 1337, { staticNetwork: true, polling: true, pollingInterval: 250 })
    t.teardown(() => provider.destroy())
    const signer = await provider.getSigner()
    t.equal((await signer.getAddress()).toLowerCase(), ACCOUNT0, 'the signer is the first dev account')
    const to = '0x000000000000000000000000000000000000bEEF'
    const before = await provider.getBalance(to)
    const sent = await signer.sendTransaction({ to, value: ethersParseEther('0.25') })
    // The receipt by polling eth_getTransactionReceipt: ethers' own wait() timed out under tap in the
    // full suite (2026-12-06; the node had mined the block within a second, and the same calls in a
    // plain script against a fresh node resolve at once) — the cause is not found yet.
    const receiptOf = async (hash: string) => {
      for (let i = 0; i < 150; i++) {
        const r = await provider.getTransactionReceipt(hash)
        if (r !== null) return r
        await new Promise((res) => setTimeout(res, 200))
      }
      return null
    }
    const receipt = await receiptOf(sent.hash)
    t.equal(receipt?.status, 1, 'mined successfully')
    t.equal(receipt?.from.toLowerCase(), ACCOUNT0)
    t.equal((await provider.getBalance(to)) - before, ethersParseEther('0.25'), 'value arrived')
    // Two sends back to back get consecutive nonces (the node fills them under a per-account lock).
    const [a, b] = await Promise.all([signer.sendTransaction({ to, value: 1n }), signer.sendTransaction({ to, value: 2n })])
    t.same([a!.nonce, b!.nonce].sort(), [sent.nonce + 1, sent.nonce + 2], 'concurrent sends take consecutive nonces')
    t.ok((await receiptOf(a!.hash)) !== null && (await receiptOf(b!.hash)) !== null, 'both mined')
    const signed = await signer.signMessage('hello parallax')
    const { verifyMessage: ethersVerify } = await import('ethers')
    t.equal(ethersVerify('hello parallax', signed).toLowerCase(), ACCOUNT0, 'ethers signMessage (personal_sign) verifies')
  })

  await t.test('viem walletClient with the node\'s account: send, signMessage, signTypedData', async (t) => {
    const transport = http(url)
    const pub = createPublicClient({ chain: devChain, transport, cacheTime: 0 })
    const [address] = await createWalletClient({ chain: devChain, transport }).getAddresses()
    t.equal(address?.toLowerCase(), ACCOUNT0, 'getAddresses is eth_accounts')
    const wallet = createWalletClient({ account: address!, chain: devChain, transport })
    const hash = await wallet.sendTransaction({ to: '0x000000000000000000000000000000000000cafe', value: parseEther('1') })
    const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 30_000, pollingInterval: 250 })
    t.equal(receipt.status, 'success')
    t.equal(receipt.type, 'eip1559', 'the node filled EIP-1559 fees')

    const message = 'Sign in to a dapp on Parallax'
    const signature = await wallet.signMessage({ message })
    t.ok(await verifyMessage({ address: address!, message, signature }), 'personal_sign signature verifies')
    t.notOk(await verifyMessage({ address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', message, signature }), 'and not for another address')
    const raw = await wallet.signMessage({ message: { raw: '0xdeadbeef' } })
    t.ok(await verifyMessage({ address: address!, message: { raw: '0xdeadbeef' }, signature: raw }), 'raw bytes message')

    const typedSig = await wallet.signTypedData(TYPED)
    t.ok(await verifyTypedData({ address: address!, ...TYPED, signature: typedSig }), 'eth_signTypedData_v4 signature verifies (nested struct, struct array, bytes32, uint256)')
    t.notOk(await verifyTypedData({ address: address!, ...TYPED, message: { ...TYPED.message, contents: 'Hello, Eve!' }, signature: typedSig }), 'and fails for another message')

    const ethSign = (await node.http!.call('eth_sign', [address, '0xdeadbeef'])) as Hex
    t.equal(ethSign, raw, 'eth_sign signs the same EIP-191 digest as personal_sign')

    const incomplete = await node.http!.raw('eth_signTransaction', [{ from: address, to: '0x000000000000000000000000000000000000cafe', value: '0x1', gas: '0x5208' }])
    t.match(incomplete.error, { code: -32000, message: 'missing gasPrice or maxFeePerGas/maxPriorityFeePerGas' }, 'eth_signTransaction needs fees, as geth')
    const nonce = await pub.getTransactionCount({ address: address!, blockTag: 'pending' })
    const st = (await node.http!.call('eth_signTransaction', [{ from: address, to: '0x000000000000000000000000000000000000cafe', value: '0x1', gas: '0x5208', nonce: `0x${nonce.toString(16)}`, maxFeePerGas: '0x174876e800', maxPriorityFeePerGas: '0x3b9aca00' }])) as { raw: Hex; tx: { from: string; nonce: string; type: string } }
    t.equal(st.tx.from, ACCOUNT0, 'eth_signTransaction returns the signed transaction')
    t.equal(st.tx.type, '0x2')
    t.match(st.raw, /^0x02/, 'raw EIP-1559 encoding')
    const pooled = await node.http!.call('eth_sendRawTransaction', [st.raw])
    const r2 = await pub.waitForTransactionReceipt({ hash: pooled as Hex, timeout: 30_000, pollingInterval: 250 })
    t.equal(r2.status, 'success', 'and it is valid on chain')

    const unknown = await node.http!.raw('eth_sendTransaction', [{ from: '0x000000000000000000000000000000000000dead', to: ACCOUNT0, value: '0x1' }])
    t.match(unknown.error, { code: -32000, message: 'unknown account' }, 'an address without a key: unknown account')
  })
})

t.test('--dev.accounts and --dev.mnemonic derive, fund and unlock other accounts', async (t) => {
  const mnemonic = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0', '--dev.accounts', '3', '--dev.mnemonic', mnemonic])
  t.teardown(() => node.stop())
  const expected = [0, 1, 2].map((i) => mnemonicToAccount(mnemonic, { addressIndex: i }).address.toLowerCase())
  t.same(await node.http!.call('eth_accounts', []), expected, 'three accounts from the mnemonic (m/44\'/60\'/0\'/0/i)')
  t.equal(await node.http!.call('eth_getBalance', [expected[2], 'latest']), `0x${(10_000n * 10n ** 18n).toString(16)}`, 'funded with 10000 ETH')
  t.match(node.logs(), new RegExp(expected[1]!), 'printed at start')
  const sig = (await node.http!.call('personal_sign', ['0x01', expected[1]])) as Hex
  t.ok(await verifyMessage({ address: expected[1] as Hex, message: { raw: '0x01' }, signature: sig }), 'signs with the derived key')
})

t.test('outside dev mode the account methods answer as geth without accounts', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { main } = await import('../../src/cli/main.ts')
  const { Writable } = await import('node:stream')
  const dir = mkdtempSync(join(tmpdir(), 'parallax-noaccounts-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const sink = new Writable({ write: (_c, _e, cb) => cb() })
  t.equal(await main(['init', 'dev', '--datadir', dir, '--verbosity', '0'], { stdout: sink, stderr: sink }), 0)
  const node = await startNodeProcess(['node', '--datadir', dir, '--http', '--http.api', 'eth,net,web3,personal', '--http.port', '0', '--authrpc.port', '0', '--maxpeers', '0'])
  t.teardown(() => node.stop())
  t.same(await node.http!.call('eth_accounts', []), [], 'eth_accounts is []')
  for (const [method, params] of [
    ['eth_sendTransaction', [{ from: ACCOUNT0, to: ACCOUNT0, value: '0x1' }]],
    ['eth_signTransaction', [{ from: ACCOUNT0, to: ACCOUNT0, value: '0x1' }]],
    ['eth_sign', [ACCOUNT0, '0x01']],
  ] as const) {
    t.match((await node.http!.raw(method, [...params])).error, { code: -32000, message: 'unknown account' }, `${method}: unknown account`)
  }
  for (const method of ['personal_sign', 'eth_signTypedData_v4', 'evm_mine', 'evm_snapshot']) {
    t.match((await node.http!.raw(method, [])).error, { code: -32601 }, `${method} does not exist outside dev mode`)
  }
})
