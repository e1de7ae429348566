// eth_simulateV1 and testing_buildBlockV1 beyond the rpc-compat files: the same answers from the
// call workers as in-process, traceTransfers' logs (value moves, no DELEGATECALL, dropped with a
// reverted frame), the spec's limits and error codes, the request-wide gas budget, and that neither
// method changes the chain.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { ethCaller, openPooledChain, SENDER, senderBlobTx } from './fixture.ts'

const { chain, pool } = await openPooledChain(t, 'parallax-simulate-')
// A minute, not the 5 s default: a loaded machine must not fail these on time (the timeout has its own test).
const call = ethCaller(chain, { options: { evmTimeoutMs: 60_000 } })
const pooled = ethCaller(chain, { calls: pool, options: { evmTimeoutMs: 60_000 } })
await pool.whenReady()

const A = '0xc000000000000000000000000000000000000000'
const B = '0xc100000000000000000000000000000000000000'
const C = '0xc200000000000000000000000000000000000000'
const TRANSFER = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'
const word = (a: string): string => `0x${a.slice(2).padStart(64, '0')}`
/** CALL(gas, C, value 5, no data), then STOP. */
const FORWARD = `0x6000600060006000600573${C.slice(2)}5af100`
/** DELEGATECALL(gas, C, no data), then STOP. */
const DELEGATE = `0x600060006000600073${C.slice(2)}5af400`
/** CALL(gas, C, value 5) then REVERT. */
const FORWARD_REVERT = `0x6000600060006000600573${C.slice(2)}5af160006000fd`

type Block = { calls: { status: string; logs: { address: string; topics: string[]; data: string; logIndex: string }[]; error?: { code: number } }[]; number: string; hash: string; parentHash: string; timestamp: string }

async function simulate(params: unknown[]): Promise<Block[]> {
  const a = await call('eth_simulateV1', params)
  if ('error' in a) throw new Error(`${a.error.code} ${a.error.message}`)
  return a.result as Block[]
}

t.test('the call workers answer what the in-process run answers', async (t) => {
  const params = [{
    blockStateCalls: [
      { stateOverrides: { [A]: { balance: '0xde0b6b3a7640000' }, [B]: { code: FORWARD } }, calls: [{ from: A, to: B, value: '0x64' }] },
      { blockOverrides: { number: '0x5' }, calls: [{ from: A, to: C, value: '0x1' }] },
    ],
    traceTransfers: true,
    returnFullTransactions: true,
  }, 'latest']
  const here = await call('eth_simulateV1', params)
  t.strictSame(await pooled('eth_simulateV1', params), here)
  const blocks = (here as { result: Block[] }).result
  t.equal(blocks.length, 5, 'the gap before block 5 is filled with empty blocks')
  t.strictSame(blocks.map((b) => Number(b.number)), [1, 2, 3, 4, 5])
  for (let i = 1; i < blocks.length; i++) {
    t.equal(blocks[i]!.parentHash, blocks[i - 1]!.hash, 'each block is the parent of the next')
    t.equal(Number(blocks[i]!.timestamp) - Number(blocks[i - 1]!.timestamp), 12, '12 s apart by default')
  }
})

t.test('traceTransfers: ERC-7528 logs for value moves, in order, none for DELEGATECALL, none from a reverted frame', async (t) => {
  const [b] = await simulate([{
    blockStateCalls: [{
      stateOverrides: { [A]: { balance: '0xde0b6b3a7640000' }, [B]: { code: FORWARD } },
      calls: [
        { from: A, to: B, value: '0x64' },
        { from: A, to: B, value: '0x0', input: '0x' },
      ],
    }],
    traceTransfers: true,
  }])
  const first = b!.calls[0]!.logs
  t.strictSame(first.map((l) => l.topics), [[TRANSFER, word(A), word(B)], [TRANSFER, word(B), word(C)]], 'tx value, then the inner CALL value')
  t.strictSame(first.map((l) => l.data), [word('0x64'), word('0x5')])
  t.ok(first.every((l) => l.address === '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'))
  t.strictSame(first.map((l) => l.logIndex), ['0x0', '0x1'])
  t.strictSame(b!.calls[1]!.logs.map((l) => l.logIndex), ['0x2'], 'indices run on through the block; a zero-value call logs no transfer')

  const [d] = await simulate([{ blockStateCalls: [{ stateOverrides: { [A]: { balance: '0xde0b6b3a7640000' }, [B]: { code: DELEGATE } }, calls: [{ from: A, to: B }] }], traceTransfers: true }])
  t.strictSame(d!.calls[0]!.logs, [], 'DELEGATECALL moves no value')

  const [r] = await simulate([{ blockStateCalls: [{ stateOverrides: { [A]: { balance: '0xde0b6b3a7640000' }, [B]: { code: FORWARD_REVERT, balance: '0x10' } }, calls: [{ from: A, to: B, value: '0x1' }] }], traceTransfers: true }])
  t.equal(r!.calls[0]!.status, '0x0')
  t.equal(r!.calls[0]!.error?.code, 3)
  t.strictSame(r!.calls[0]!.logs, [], 'a reverted call keeps no logs')

  const [off] = await simulate([{ blockStateCalls: [{ stateOverrides: { [A]: { balance: '0xde0b6b3a7640000' } }, calls: [{ from: A, to: B, value: '0x64' }] }] }])
  t.strictSame(off!.calls[0]!.logs, [], 'no transfer logs unless asked')
})

t.test('limits and error codes', async (t) => {
  const err = async (params: unknown[]) => {
    const a = await call('eth_simulateV1', params)
    return 'error' in a ? a.error : undefined
  }
  t.equal((await err([{ blockStateCalls: [] }]))?.code, -32602, 'empty input')
  t.match(await err([{ blockStateCalls: Array.from({ length: 257 }, () => ({})) }]), { code: -38026, message: 'too many blocks' })
  t.match(await err([{ blockStateCalls: [{ calls: Array.from({ length: 5001 }, () => ({})) }] }]), { code: -38026, message: 'too many calls in block: 5001 > 5000' })
  t.match(await err([{ blockStateCalls: [{ blockOverrides: { number: '0x300' } }] }]), { code: -38026, message: 'too many blocks' })
  t.match(await err([{ blockStateCalls: [{ blockOverrides: { number: '0x3' } }, { blockOverrides: { number: '0x2' } }] }]), { code: -38020 })
  t.match(await err([{ blockStateCalls: [{ blockOverrides: { time: '0x0' } }] }]), { code: -38021 })
  t.match(await err([{ blockStateCalls: [{ calls: [{ from: SENDER, to: B, nonce: '0x5' }] }], validation: true }]), { code: -38011, message: /^err: nonce too high/ })
  t.match(await err([{ blockStateCalls: [{ calls: [{ from: A, to: B, value: '0x1' }] }] }]), { code: -38014, message: /^err: insufficient funds/ })
  t.match(await err([{ blockStateCalls: [{ calls: [{ from: SENDER, to: B, gas: '0x100' }] }] }]), { code: -38013 })
  t.match(await err([{ blockStateCalls: [{ blockOverrides: { gasLimit: '0x5208' }, calls: [{ from: SENDER, to: B }, { from: SENDER, to: B, gas: '0x5208' }] }] }]), { code: -38015, message: 'block gas limit reached: remaining: 0, required: 21000' })
  t.match(await err([{ blockStateCalls: [{ stateOverrides: { [B]: { movePrecompileToAddress: C } } }] }]), { code: -32000, message: /is not a precompile$/ })
  t.equal((await err([{ blockStateCalls: 5 }]))?.code, -32602, 'bad shape')
})

t.test('--rpc.evmtimeout bounds the whole simulation (geth: -32603)', async (t) => {
  const hurried = ethCaller(chain, { options: { evmTimeoutMs: 50 } })
  const loop = { [B]: { code: '0x5b600056' } }
  const a = await hurried('eth_simulateV1', [{ blockStateCalls: [{ stateOverrides: loop, calls: [{ from: SENDER, to: B }] }] }])
  t.match(a, { error: { code: -32603, message: 'execution aborted (timeout = 50ms)' } })
})

t.test('the gas cap is a budget for the whole request', async (t) => {
  const capped = ethCaller(chain, { options: { gasCap: 30_000n } })
  const a = await capped('eth_simulateV1', [{ blockStateCalls: [{ calls: [{ from: SENDER, to: B }, { from: SENDER, to: B }] }] }])
  t.match(a, { error: { code: -38013, message: 'err: intrinsic gas too low: have 9000, want 21000 (supplied gas 9000)' } }, 'the second call gets what the first left')
})

t.test('neither method changes the chain', async (t) => {
  const head = chain.head.hash()
  await simulate([{ blockStateCalls: [{ stateOverrides: { [A]: { balance: '0x1000' } }, calls: [{ from: A, to: B, value: '0x1' }] }] }])
  const bal = await call('eth_getBalance', [A, 'latest'])
  t.strictSame(bal, { result: '0x0' }, 'overrides and simulated transfers stay in the simulation')
  const built = await pooled('testing_buildBlockV1', [`0x${Buffer.from(head).toString('hex')}`, { timestamp: '0x10', prevRandao: word('0x'), suggestedFeeRecipient: A, withdrawals: [], parentBeaconBlockRoot: word('0x') }, [], '0x'])
  t.match(built, { result: { executionPayload: { blockNumber: '0x1', parentHash: `0x${Buffer.from(head).toString('hex')}`, transactions: [] }, shouldOverrideBuilder: false } })
  t.same(chain.head.hash(), head, 'the head did not move')
  const blob = senderBlobTx(chain, 0n, B, 'hello')
  const withBlob = await pooled('testing_buildBlockV1', [bytesToHex(head), { timestamp: '0x10', prevRandao: word('0x'), suggestedFeeRecipient: A, withdrawals: [], parentBeaconBlockRoot: word('0x') }, [bytesToHex(blob.serializeNetworkWrapper())], '0x'])
  t.match(withBlob, { result: { executionPayload: { transactions: [bytesToHex(blob.serialize())], blobGasUsed: '0x20000' } } }, 'the block carries the minimal form')
  t.strictSame((withBlob as { result: { blobsBundle: unknown } }).result.blobsBundle, { commitments: blob.kzgCommitments, proofs: blob.kzgProofs, blobs: blob.blobs }, 'the sidecar is in blobsBundle')
  t.same(chain.head.hash(), head)
  const none = await call('testing_buildBlockV1', [word('0x1234'), { timestamp: '0x10', prevRandao: word('0x'), suggestedFeeRecipient: A }, [], '0x'])
  t.match(none, { error: { code: -32000 } }, 'an unknown parent')
  const early = await call('testing_buildBlockV1', [bytesToHex(head), { timestamp: '0x0', prevRandao: word('0x'), suggestedFeeRecipient: A }, [], '0x'])
  t.match(early, { error: { code: -32000, message: 'invalid timestamp, parent 0 given 0' } }, 'a block must come after its parent')
})
