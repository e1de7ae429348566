// The debug_* tracers and options not covered by the rpc-compat files or the anvil comparison:
// 4byteTracer, noopTracer, flatCallTracer (geth's: precompile calls left out), the struct logger's
// limit/disableStack/enableMemory, the per-transaction timeout, the gas cap of debug_traceCall,
// debug_traceBlock (RLP), debug_getBadBlocks, and the trace_* namespace's own rules (OpenEthereum's
// precompile calls, vmTrace refused, trace_filter's after/count and range limit).
import t from 'tap'
import { createBlock } from '@ethereumjs/block'
import { bytesToHex, createContractAddress, createAddressFromString } from '@ethereumjs/util'
import { MemoryKV } from '../../../../src/db/memory.ts'
import { ethCaller, LOGGER, mineBlock, openChain, SENDER, senderTx } from '../eth/fixture.ts'

const chain = await openChain(new MemoryKV())
const call = ethCaller(chain)
const created = (nonce: bigint): `0x${string}` => createContractAddress(createAddressFromString(SENDER), nonce).toString()
/** Init code that returns `runtime` (hex, no 0x). */
const deploy = (runtime: string): string => `0x60${(runtime.length / 2).toString(16).padStart(2, '0')}80600b6000396000f3${runtime}`
/** Forwards its calldata to `to` with all gas (CALLDATACOPY, CALL), then STOP. */
const forwarder = (to: string): string => `36600060003760006000366000600073${to.slice(2)}5af100`

const FWD_LOGGER = created(0n)
const FWD_SHA = created(1n)
const LOOP = created(5n)
const selector = (s: string, extra = 0): string => `0x${s}${'00'.repeat(extra)}`

await mineBlock(chain, [
  senderTx(chain, { nonce: 0n, data: deploy(forwarder(LOGGER)), gasLimit: 200_000n }),
  senderTx(chain, { nonce: 1n, data: deploy(forwarder('0x0000000000000000000000000000000000000002')), gasLimit: 200_000n }),
])
const block2 = await mineBlock(chain, [
  senderTx(chain, { nonce: 2n, to: FWD_LOGGER, data: selector('12345678', 32), gasLimit: 200_000n }),
  senderTx(chain, { nonce: 3n, to: FWD_SHA, data: selector('aabbccdd'), gasLimit: 200_000n }),
  senderTx(chain, { nonce: 4n, to: LOGGER, data: selector('deadbeef'), gasLimit: 200_000n }),
])
await mineBlock(chain, [senderTx(chain, { nonce: 5n, data: deploy('5b600056'), gasLimit: 200_000n })])
const block4 = await mineBlock(chain, [senderTx(chain, { nonce: 6n, to: LOOP, gasLimit: 3_000_000n })])
const txHash = (i: number): string => bytesToHex(block2.transactions[i]!.hash())
const loopHash = bytesToHex(block4.transactions[0]!.hash())

async function result(method: string, params: unknown[]): Promise<unknown> {
  const a = await call(method, params)
  if ('error' in a) throw new Error(`${method}: ${a.error.code} ${a.error.message}`)
  return a.result
}

t.test('4byteTracer counts selector-size pairs over every call with input, precompiles left out', async (t) => {
  const four = { tracer: '4byteTracer' }
  t.strictSame(await result('debug_traceTransaction', [txHash(0), four]), { '0x12345678-32': 2 }, 'the forwarded call counts again')
  t.strictSame(await result('debug_traceTransaction', [txHash(1), four]), { '0xaabbccdd-0': 1 }, 'the call to sha256 is not counted')
  t.strictSame(await result('debug_traceTransaction', [txHash(2), four]), { '0xdeadbeef-0': 1 })
})

t.test('noopTracer answers {} per transaction', async (t) => {
  const r = (await result('debug_traceBlockByNumber', ['0x2', { tracer: 'noopTracer' }])) as { txHash: string; result: unknown }[]
  t.strictSame(r, [0, 1, 2].map((i) => ({ txHash: txHash(i), result: {} })))
})

t.test("flatCallTracer: parity traces of the call tree, precompile calls left out (geth's default)", async (t) => {
  const r = (await result('debug_traceTransaction', [txHash(0), { tracer: 'flatCallTracer' }])) as { traceAddress: number[]; subtraces: number; action: { to: string; callType: string }; transactionPosition: number; blockNumber: number }[]
  t.strictSame(r.map((x) => x.traceAddress), [[], [0]])
  t.strictSame(r.map((x) => x.subtraces), [1, 0])
  t.strictSame(r.map((x) => x.action.to), [FWD_LOGGER.toLowerCase(), LOGGER])
  t.ok(r.every((x) => x.transactionPosition === 0 && x.blockNumber === 2))
  const sha = (await result('debug_traceTransaction', [txHash(1), { tracer: 'flatCallTracer' }])) as { subtraces: number }[]
  t.equal(sha.length, 1, 'the sha256 call is not a trace')
  t.equal(sha[0]!.subtraces, 0)
  const parity = (await result('trace_transaction', [txHash(1)])) as { traceAddress: number[]; action: { to: string } }[]
  t.strictSame(parity.map((x) => x.action.to), [FWD_SHA.toLowerCase(), '0x0000000000000000000000000000000000000002'], 'trace_* keeps it, as OpenEthereum did')
})

t.test('struct logger options: limit, disableStack, enableMemory', async (t) => {
  type Logs = { structLogs: Record<string, unknown>[] }
  const all = (await result('debug_traceTransaction', [txHash(0), {}])) as Logs
  t.ok(all.structLogs.length > 10)
  const limited = (await result('debug_traceTransaction', [txHash(0), { limit: 3 }])) as Logs
  t.equal(limited.structLogs.length, 3)
  t.strictSame(limited.structLogs, all.structLogs.slice(0, 3), 'the first entries, unchanged')
  const noStack = (await result('debug_traceTransaction', [txHash(0), { disableStack: true, limit: 5 }])) as Logs
  t.ok(noStack.structLogs.every((l) => !('stack' in l)))
  const mem = (await result('debug_traceTransaction', [txHash(0), { enableMemory: true }])) as Logs
  t.ok(mem.structLogs.some((l) => Array.isArray(l['memory'])), 'memory once the frame has some')
  t.ok(all.structLogs.every((l) => !('memory' in l)), 'no memory by default')
})

t.test('per-transaction timeout (geth: "execution timeout"), and the RPC gas cap of debug_traceCall', async (t) => {
  const a = await call('debug_traceTransaction', [loopHash, { tracer: 'callTracer', timeout: '50ms' }])
  t.match(a, { error: { code: -32000, message: 'execution timeout' } })
  const b = await result('debug_traceBlockByNumber', ['0x4', { tracer: 'callTracer', timeout: '50ms' }])
  t.strictSame(b, [{ txHash: loopHash, error: 'execution timeout' }], 'a block trace reports it per transaction')
  t.match(await call('debug_traceTransaction', [loopHash, { timeout: 'soon' }]), { error: { code: -32602 } }, 'a malformed duration')
  const capped = ethCaller(chain, { options: { gasCap: 50_000n } })
  const c = await capped('debug_traceCall', [{ from: SENDER, to: LOOP, gas: '0x1000000' }, 'latest', { tracer: 'callTracer' }])
  t.match(c, { result: { gas: '0x7148', error: 'out of gas', type: 'CALL' } }, 'capped at --rpc.gascap: 50,000 less the intrinsic 21,000')
})

t.test('debug_traceBlock takes the block as RLP', async (t) => {
  const cfg = { tracer: 'callTracer' }
  const byRlp = await result('debug_traceBlock', [bytesToHex(block2.serialize()), cfg])
  t.strictSame(byRlp, await result('debug_traceBlockByHash', [bytesToHex(block2.hash()), cfg]))
  t.match(await call('debug_traceBlock', ['0x1234', cfg]), { error: { code: -32000, message: /^could not decode block/ } })
})

t.test('debug_getBadBlocks lists the blocks that failed, newest first', async (t) => {
  t.strictSame(await result('debug_getBadBlocks', []), [])
  const bad = createBlock(
    { header: { ...block2.header.toJSON(), stateRoot: new Uint8Array(32).fill(1) }, transactions: block2.transactions, withdrawals: block2.withdrawals!.map((w) => w.toJSON()) },
    { common: chain.common, setHardfork: true },
  )
  const res = await chain.insertBlock(bad)
  t.equal(res.status, 'invalid')
  const list = (await result('debug_getBadBlocks', [])) as { hash: string; rlp: string; block: { hash: string; stateRoot: string } }[]
  t.equal(list.length, 1)
  t.equal(list[0]!.hash, bytesToHex(bad.hash()))
  t.equal(list[0]!.rlp, bytesToHex(bad.serialize()))
  t.equal(list[0]!.block.stateRoot, `0x${'01'.repeat(32)}`)
  t.match(await call('debug_getBadBlocks', [1]), { error: { code: -32602 } })
})

t.test('trace_* rules', async (t) => {
  t.equal(await result('trace_block', ['0x99']), null, 'an unknown block')
  t.equal(await result('trace_transaction', [`0x${'00'.repeat(32)}`]), null, 'an unknown transaction')
  t.match(await call('trace_replayBlockTransactions', ['0x2', ['vmTrace']]), { error: { code: -32602, message: /vmTrace is not supported/ } })
  t.match(await call('trace_replayBlockTransactions', ['0x2', ['bogus']]), { error: { code: -32602 } })
  const replay = (await result('trace_replayBlockTransactions', ['0x2', ['stateDiff']])) as { trace: unknown[]; stateDiff: Record<string, { nonce: unknown }>; output: string }[]
  t.equal(replay.length, 3)
  t.strictSame(replay[0]!.trace, [], 'only what was asked')
  t.strictSame(replay[0]!.stateDiff[SENDER.toLowerCase()]!.nonce, { '*': { from: '0x2', to: '0x3' } })
  const all = (await result('trace_filter', [{ fromBlock: '0x1', toBlock: '0x3', fromAddress: [SENDER] }])) as { transactionHash: string }[]
  t.equal(all.length, 6, "SENDER's six top-level traces")
  const page = await result('trace_filter', [{ fromBlock: '0x1', toBlock: '0x3', fromAddress: [SENDER], after: 2, count: 2 }])
  t.strictSame(page, all.slice(2, 4), 'after and count page through them')
  const to = (await result('trace_filter', [{ fromBlock: '0x2', toBlock: '0x2', toAddress: [LOGGER] }])) as { action: { from: string } }[]
  t.strictSame(to.map((x) => x.action.from), [FWD_LOGGER.toLowerCase(), SENDER.toLowerCase()], 'calls to LOGGER, inner ones too')
  t.match(await call('trace_filter', [{ fromBlock: '0x0', toBlock: '0x5000' }]), { error: { code: -32602 } }, 'a range past the limit')
  const slow = ethCaller(chain, { options: { evmTimeoutMs: 50 } })
  t.match(await slow('trace_block', ['0x4']), { error: { code: -32000 } }, 'a transaction that cannot be traced in time fails the call')
})
