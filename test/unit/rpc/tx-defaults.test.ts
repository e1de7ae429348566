// geth's setDefaults for eth_sendTransaction over a fake eth_* table: what is filled (fees, nonce,
// gas, chain id, type) and geth's refusals.
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { fillTransaction, type TxDefaultsEnv } from '../../../src/rpc/tx-defaults.ts'
import type { TransactionArgs } from '../../../src/rpc/eth/call-args.ts'
import type { RpcHandler } from '../../../src/rpc/types.ts'

const FROM = hexToBytes('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
const TO = hexToBytes('0x000000000000000000000000000000000000beef')

function env(baseFee: bigint | undefined): { env: TxDefaultsEnv; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = []
  const h = (method: string, result: string): [string, RpcHandler] => [method, (p) => (calls.push([method, p]), result)]
  const eth = new Map<string, RpcHandler>([h('eth_maxPriorityFeePerGas', '0x3b9aca00'), h('eth_gasPrice', '0x77359400'), h('eth_getTransactionCount', '0x7'), h('eth_estimateGas', '0x5208')])
  return { env: { eth, chainId: 1337n, headBaseFee: () => baseFee }, calls }
}

t.test('an EIP-1559 transaction: tip from the oracle, fee cap 2 × base fee + tip, pending nonce, estimated gas', async (t) => {
  const { env: e, calls } = env(10n)
  const tx = await fillTransaction(e, { from: FROM, to: TO, value: 5n })
  t.match(tx, { type: 2, nonce: 7n, gasLimit: 21000n, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 1_000_000_020n, chainId: 1337n, value: 5n })
  t.same(calls.find(([m]) => m === 'eth_getTransactionCount')?.[1], ['0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'pending'])
  t.match(calls.find(([m]) => m === 'eth_estimateGas')?.[1], [{ from: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', nonce: '0x7', maxFeePerGas: '0x3b9aca14' }, 'latest'])
})

t.test('given values are kept; gasPrice makes it legacy, with an access list 2930', async (t) => {
  const { env: e, calls } = env(10n)
  t.match(await fillTransaction(e, { from: FROM, to: TO, nonce: 1n, gas: 50_000n, gasPrice: 9n }), { type: 0, nonce: 1n, gasLimit: 50_000n, gasPrice: 9n })
  t.equal(calls.length, 0, 'nothing asked when all is given')
  t.match(await fillTransaction(e, { from: FROM, to: TO, gasPrice: 9n, accessList: [] }), { type: 1 })
  const { env: pre } = env(undefined)
  t.match(await fillTransaction(pre, { from: FROM, to: TO }), { type: 0, gasPrice: 2_000_000_000n }, 'before London: eth_gasPrice')
})

t.test('geth\'s refusals', async (t) => {
  const { env: e } = env(10n)
  const cases: [TransactionArgs, RegExp][] = [
    [{ from: FROM, to: TO, gasPrice: 1n, maxFeePerGas: 2n }, /both gasPrice and \(maxFeePerGas or maxPriorityFeePerGas\) specified/],
    [{ from: FROM, to: TO, maxFeePerGas: 1n, maxPriorityFeePerGas: 2n }, /maxFeePerGas \(1\) < maxPriorityFeePerGas \(2\)/],
    [{ from: FROM, to: TO, chainId: 1n }, /chainId does not match node's \(have=1, want=1337\)/],
    [{ from: FROM }, /contract creation without any data provided/],
    [{ from: FROM, to: TO, data: Uint8Array.of(1), input: Uint8Array.of(2) }, /both "data" and "input" are set and not equal/],
    [{ from: FROM, to: TO, blobVersionedHashes: [] }, /blob transactions cannot be sent with eth_sendTransaction/],
  ]
  for (const [args, re] of cases) await t.rejects(fillTransaction(e, args), { message: re, rpcCode: -32000 }, String(re))
})
