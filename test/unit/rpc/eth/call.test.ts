// eth_call / eth_estimateGas / eth_createAccessList answers with geth's codes and messages (issue 15
// item 6), run in-process (the same job code the call workers run).
import t from 'tap'
import { MemoryKV } from '../../../../src/db/memory.ts'
import { ethCaller, mineLogBlocks, openChain, SENDER } from './fixture.ts'

const chain = await openChain(new MemoryKV())
await mineLogBlocks(chain, 1) // a latest block that used gas
const call = ethCaller(chain)
const X = '0x0000000000000000000000000000000000000abc'
const withCode = (code: string) => ({ [X]: { code } })
const LOOP = '0x5b600056' // JUMPDEST PUSH1 0 JUMP

/** Reverts with Error("boom"): CODECOPY the 100 bytes after this 12-byte prefix, REVERT them. */
const REVERT_DATA = '08c379a0' + '20'.padStart(64, '0') + '4'.padStart(64, '0') + Buffer.from('boom').toString('hex').padEnd(64, '0')
const REVERT_BOOM = '0x' + '6064600c60003960646000fd' + REVERT_DATA

t.test('revert with data: code 3, "execution reverted: <reason>", the data', async (t) => {
  const want = { error: { code: 3, message: 'execution reverted: boom', data: `0x${REVERT_DATA}` } }
  t.strictSame(await call('eth_call', [{ from: SENDER, to: X }, 'latest', withCode(REVERT_BOOM)]), want)
  t.strictSame(await call('eth_estimateGas', [{ from: SENDER, to: X }, 'latest', withCode(REVERT_BOOM)]), want)
  t.strictSame(await call('eth_call', [{ to: X }, 'latest', withCode('0x60aa6000526001601ffd')]), { error: { code: 3, message: 'execution reverted', data: '0xaa' } })
})

t.test('invalid opcodes named like geth', async (t) => {
  t.strictSame(await call('eth_call', [{ to: X }, 'latest', withCode('0xfe')]), { error: { code: -32000, message: 'invalid opcode: INVALID' } })
  t.strictSame(await call('eth_call', [{ to: X }, 'latest', withCode('0x60010c')]), { error: { code: -32000, message: 'invalid opcode: opcode 0xc not defined' } })
  t.strictSame(await call('eth_estimateGas', [{ to: X }, 'latest', withCode('0x60010c')]), { error: { code: -32000, message: 'invalid opcode: opcode 0xc not defined' } })
})

t.test('out of gas, and the gas cap', async (t) => {
  t.strictSame(await call('eth_call', [{ to: X, gas: '0x10000' }, 'latest', withCode(LOOP)]), { error: { code: -32000, message: 'out of gas' } })
  t.strictSame(await call('eth_estimateGas', [{ to: X, gas: '0x30000' }, 'latest', withCode(LOOP)]), { error: { code: -32000, message: 'gas required exceeds allowance (196608)' } })
  const capped = ethCaller(chain, { options: { gasCap: 100_000n } })
  t.strictSame(await capped('eth_estimateGas', [{ to: X, gas: '0x10000000' }, 'latest', withCode(LOOP)]), { error: { code: -32000, message: 'gas required exceeds allowance (100000)' } }, 'gas above the cap is capped')
  const t0 = performance.now()
  t.strictSame(await capped('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', withCode(LOOP)]), { error: { code: -32000, message: 'out of gas' } }, 'eth_call gas above the cap runs with the cap')
  t.ok(performance.now() - t0 < 3000, 'and stops there')
})

t.test('precompile input failure: an execution error, not "return data out of bounds"', async (t) => {
  const to = '0x0000000000000000000000000000000000000009'
  t.strictSame(await call('eth_estimateGas', [{ from: SENDER, to, value: '0x1' }]), { error: { code: -32000, message: 'invalid input length' } })
  t.strictSame(await call('eth_call', [{ from: SENDER, to, value: '0x1' }]), { error: { code: -32000, message: 'invalid input length' } })
  const finalFlag = `0x${'00'.repeat(212)}02`
  t.strictSame(await call('eth_call', [{ to, input: finalFlag }]), { error: { code: -32000, message: 'invalid final flag' } })
})

t.test('nonce 2^64-1: estimated (geth skips nonce checks in calls), never -32603', async (t) => {
  t.strictSame(await call('eth_estimateGas', [{ from: SENDER, to: X, nonce: '0xffffffffffffffff' }]), { result: '0x5208' })
  t.strictSame(await call('eth_call', [{ from: SENDER, to: X, nonce: '0xffffffffffffffff' }]), { result: '0x' })
})

t.test('more blob hashes than a block holds: an execution error, never -32603', async (t) => {
  const hashes = Array.from({ length: 10 }, () => `0x01${'00'.repeat(31)}`)
  const r = await call('eth_call', [{ from: SENDER, to: X, blobVersionedHashes: hashes, maxFeePerBlobGas: '0x1' }])
  t.strictSame(r, { error: { code: -32000, message: 'err: too many blobs in transaction (have=10, max=9) (supplied gas 50000000)' } })
})

t.test('blockOverrides.gasLimit below the block\'s gas used: the call runs (the call header was invalid: -32603)', async (t) => {
  t.ok(chain.head.gasUsed > 21_000n, `latest block used ${chain.head.gasUsed} gas`)
  const store = withCode('0x6001600055')
  t.strictSame(await call('eth_call', [{ from: SENDER, to: X, gas: '0x100000' }, 'latest', store, { gasLimit: '0x5208' }]), { result: '0x' })
  t.strictSame(await call('eth_estimateGas', [{ from: SENDER, to: X }, 'latest', store, { gasLimit: '0x5208' }]), { error: { code: -32000, message: 'gas required exceeds allowance (21000)' } }, 'the estimate is bounded by the overridden block gas limit')
})

t.test('--rpc.evmtimeout: geth\'s "execution aborted (timeout = ...)"', async (t) => {
  const impatient = ethCaller(chain, { options: { evmTimeoutMs: 200 } })
  const t0 = performance.now()
  t.strictSame(await impatient('eth_call', [{ to: X, gas: '0xffffffffffffffff' }, 'latest', withCode(LOOP)]), { error: { code: -32000, message: 'execution aborted (timeout = 200ms)' } })
  t.strictSame(await impatient('eth_estimateGas', [{ to: X }, 'latest', withCode(LOOP)]), { error: { code: -32000, message: 'execution aborted (timeout = 200ms)' } })
  t.ok(performance.now() - t0 < 3000, 'both stopped near their limit')
})
