// What hive's engine simulators check, as plain tests against an in-process node's Engine API port
// (real HTTP, JWT): authentication, SYNCING on an unknown head, payload ids, the head moving only on
// forkchoiceUpdated, transactions from eth_sendRawTransaction in built payloads and the fee
// recipient's reward, and the PREVRANDAO opcode. See engine-chains.test.ts and engine-forks.test.ts.
import t from 'tap'
import { bytesToHex, createContractAddress, createAddressFromString, setLengthLeft, hexToBytes } from '@ethereumjs/util'
import {
  devAddress,
  devGenesisJson,
  errorCode,
  hex,
  randomAddress,
  randomHash,
  refOf,
  sendTx,
  startHarness,
  ZERO32,
  type AttributesInput,
  type Harness,
  type Hex,
} from '../helpers/engine-harness.ts'
import { makeJwt } from '../helpers/rpc-client.ts'

interface BlockJson {
  number: Hex
  hash: Hex
  transactions: unknown[]
}
interface ReceiptJson {
  blockHash: Hex
  gasUsed: Hex
  effectiveGasPrice: Hex
  status: Hex
  contractAddress: Hex | null
}

async function withNode(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(devGenesisJson())
  try {
    await fn(h)
  } finally {
    await h.close()
  }
}

/** Waits, when needed, until early in a second, so that our clock's second and the server's agree. */
async function earlyInSecond(): Promise<number> {
  const ms = Date.now() % 1000
  if (ms > 700) await new Promise((r) => setTimeout(r, 1010 - ms))
  return Math.floor(Date.now() / 1000)
}

t.test('JWT authentication', (t) =>
  withNode(async (h) => {
    const post = async (authorization: string | undefined): Promise<number> => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (authorization !== undefined) headers['authorization'] = authorization
      const res = await fetch(h.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) })
      await res.text()
      return res.status
    }
    const now = await earlyInSecond()
    t.equal(await post(`Bearer ${makeJwt(h.secret, now)}`), 200, 'a valid token is accepted')
    const wrong = Uint8Array.from(h.secret)
    wrong[31] = wrong[31]! ^ 1
    t.equal(await post(`Bearer ${makeJwt(wrong, now)}`), 401, 'a secret one bit off is rejected')
    t.equal(await post(undefined), 401, 'no token is rejected')
    t.equal(await post(`Bearer ${makeJwt(h.secret, now, 'none')}`), 401, 'alg other than HS256 is rejected')
    const at = await earlyInSecond()
    t.equal(await post(`Bearer ${makeJwt(h.secret, at + 61)}`), 401, 'iat 61 s in the future is rejected')
    t.equal(await post(`Bearer ${makeJwt(h.secret, at - 61)}`), 401, 'iat 61 s in the past is rejected')
    t.equal(await post(`Bearer ${makeJwt(h.secret, at + 59)}`), 200, 'iat 59 s in the future is accepted')
    t.equal(await post(`Bearer ${makeJwt(h.secret, at - 59)}`), 200, 'iat 59 s in the past is accepted')
    const r = (await h.rpc.call('eth_chainId', [])) as Hex
    t.equal(BigInt(r), h.common.chainId(), 'the authenticated call answers')
  }),
)

t.test('forkchoiceUpdated to an unknown head answers SYNCING and starts no build', (t) =>
  withNode(async (h) => {
    const attrs = h.engine.attributes({ timestamp: h.genesis.timestamp + 12n }, 3)
    for (const a of [null, attrs]) {
      const res = await h.engine.forkchoice(randomHash(), a)
      t.equal(res.payloadStatus.status, 'SYNCING', `SYNCING ${a === null ? 'without' : 'with'} attributes`)
      t.equal(res.payloadStatus.latestValidHash, null)
      t.equal(res.payloadId, null, 'payloadId null')
    }
    const latest = (await h.rpc.call('eth_getBlockByNumber', ['latest', false])) as BlockJson
    t.equal(latest.hash, h.genesis.hash, 'the head did not move')
  }),
)

t.test('payload ids follow the attributes; getPayload of an unknown id is -38001', (t) =>
  withNode(async (h) => {
    const base: AttributesInput = {
      timestamp: h.genesis.timestamp + 12n,
      prevRandao: randomHash(),
      feeRecipient: randomAddress(),
      withdrawals: [],
      parentBeaconBlockRoot: randomHash(),
    }
    const id = async (a: AttributesInput): Promise<Hex | null> => {
      const res = await h.engine.forkchoice(h.genesis.hash, h.engine.attributes(a, 3))
      t.equal(res.payloadStatus.status, 'VALID')
      return res.payloadId
    }
    const first = await id(base)
    t.match(first, /^0x[0-9a-f]{16}$/, 'an 8-byte payload id')
    t.equal(await id({ ...base }), first, 'identical attributes give the same id')
    const variants: [string, AttributesInput][] = [
      ['timestamp', { ...base, timestamp: base.timestamp + 1n }],
      ['prevRandao', { ...base, prevRandao: randomHash() }],
      ['feeRecipient', { ...base, feeRecipient: randomAddress() }],
      ['withdrawals', { ...base, withdrawals: [{ index: '0x0', validatorIndex: '0x1', address: randomAddress(), amount: '0x64' }] }],
      ['parentBeaconBlockRoot', { ...base, parentBeaconBlockRoot: randomHash() }],
    ]
    const seen = new Set([first])
    for (const [field, a] of variants) {
      const got = await id(a)
      t.not(got, first, `another ${field} gives another id`)
      t.notOk(seen.has(got), `the ${field} id is new`)
      seen.add(got)
    }
    // The same attributes on another head: another build, another id.
    const b1 = await h.engine.extend(h.genesis, { timestamp: h.genesis.timestamp + 6n })
    const onB1 = await h.engine.forkchoice(b1.payload.blockHash, h.engine.attributes(base, 3))
    t.ok(onB1.payloadId !== null && !seen.has(onB1.payloadId), 'identical attributes on another head give a new id')
    t.equal(await errorCode(h.rpc, 'engine_getPayloadV4', ['0x0102030405060708']), -38001, 'unknown payload id')
    const built = (await h.rpc.call('engine_getPayloadV4', [first])) as { executionPayload: { feeRecipient: Hex; prevRandao: Hex; timestamp: Hex } }
    t.equal(built.executionPayload.feeRecipient, base.feeRecipient, 'the payload has the suggested fee recipient')
    t.equal(built.executionPayload.prevRandao, base.prevRandao, 'and the prevRandao')
    t.equal(BigInt(built.executionPayload.timestamp), base.timestamp, 'and the timestamp')
  }),
)

t.test('the latest block moves on forkchoiceUpdated, not on newPayload', (t) =>
  withNode(async (h) => {
    const latest = async () => (await h.rpc.call('eth_getBlockByNumber', ['latest', false])) as BlockJson
    const { env } = await h.engine.build(h.genesis, { timestamp: h.genesis.timestamp + 12n })
    t.equal((await latest()).hash, h.genesis.hash, 'building does not move the head')
    const st = await h.engine.newPayload(env)
    t.equal(st.status, 'VALID')
    t.equal(st.latestValidHash, env.payload.blockHash, 'latestValidHash is the payload')
    t.equal((await latest()).hash, h.genesis.hash, 'still genesis after newPayload')
    t.equal(await h.rpc.call('eth_blockNumber', []), '0x0')
    const fcu = await h.engine.forkchoice(env.payload.blockHash)
    t.equal(fcu.payloadStatus.status, 'VALID')
    t.equal(fcu.payloadStatus.latestValidHash, env.payload.blockHash)
    t.equal((await latest()).hash, env.payload.blockHash, 'latest is the new block after forkchoiceUpdated')
    t.equal(await h.rpc.call('eth_blockNumber', []), '0x1')
  }),
)

t.test('built payloads include eth_sendRawTransaction transactions and pay the fee recipient', (t) =>
  withNode(async (h) => {
    const to = randomAddress()
    const hashes = [
      await sendTx(h.rpc, h.common, { key: 2, nonce: 0n, to, value: 1000n, maxPriorityFeePerGas: 2n * 10n ** 9n }),
      await sendTx(h.rpc, h.common, { key: 2, nonce: 1n, to, value: 1000n, maxPriorityFeePerGas: 2n * 10n ** 9n }),
      // fee cap 3.5 gwei over a 0.875 gwei base fee: the tip is capped at 2.625 gwei, below the 3 gwei offered
      await sendTx(h.rpc, h.common, { key: 3, nonce: 0n, to, value: 5n, maxPriorityFeePerGas: 3n * 10n ** 9n, maxFeePerGas: 35n * 10n ** 8n }),
    ]
    const pooled = (await h.rpc.call('eth_getTransactionByHash', [hashes[0]])) as { blockHash: Hex | null } | null
    t.ok(pooled !== null && pooled.blockHash === null, 'a sent transaction is pending')
    const feeRecipient = randomAddress()
    const { env, built } = await h.engine.build(h.genesis, { timestamp: h.genesis.timestamp + 12n, feeRecipient })
    t.equal(env.payload.transactions.length, 3, 'all three transactions are in the payload')
    const value = BigInt(built.blockValue)
    t.ok(value > 0n, 'blockValue is positive')
    t.equal((await h.engine.newPayload(env)).status, 'VALID')
    t.equal((await h.engine.forkchoice(env.payload.blockHash)).payloadStatus.status, 'VALID')
    const baseFee = BigInt(env.payload.baseFeePerGas)
    t.equal(baseFee, 875_000_000n, 'block 1 base fee: 1 gwei after an empty genesis, less 1/8')
    let tips = 0n
    for (const hash of hashes) {
      const r = (await h.rpc.call('eth_getTransactionReceipt', [hash])) as ReceiptJson
      t.equal(r.blockHash, env.payload.blockHash, 'receipt in the new block')
      t.equal(r.status, '0x1')
      tips += (BigInt(r.effectiveGasPrice) - baseFee) * BigInt(r.gasUsed)
    }
    t.equal(tips, 21_000n * (2n * 2_000_000_000n + 2_625_000_000n), 'priority fees: 2 gwei twice, then the capped 2.625 gwei')
    const balance = BigInt((await h.rpc.call('eth_getBalance', [feeRecipient, 'latest'])) as Hex)
    t.equal(balance, tips, 'the fee recipient got the priority fees')
    t.equal(value, tips, 'blockValue equals the priority fees paid')
    t.equal(BigInt((await h.rpc.call('eth_getBalance', [to, 'latest'])) as Hex), 2005n, 'the transfers happened')
  }),
)

t.test('PREVRANDAO returns the prevRandao attribute', (t) =>
  withNode(async (h) => {
    // runtime 0x4460005500: PREVRANDAO PUSH1 0 SSTORE STOP; the initcode returns those 5 bytes.
    const initcode: Hex = '0x6444600055006000526005601bf3'
    const deployer = devAddress(4)
    const deploy = await sendTx(h.rpc, h.common, { key: 4, nonce: 0n, data: initcode, gasLimit: 100_000n })
    const b1 = await h.engine.extend(h.genesis, { timestamp: h.genesis.timestamp + 12n, prevRandao: randomHash() })
    t.equal(b1.payload.transactions.length, 1, 'the deployment is in block 1')
    const receipt = (await h.rpc.call('eth_getTransactionReceipt', [deploy])) as ReceiptJson
    const expected = createContractAddress(createAddressFromString(deployer), 0n).toString()
    t.equal(receipt.contractAddress, expected, 'contract deployed')
    t.equal(await h.rpc.call('eth_getCode', [expected, 'latest']), '0x4460005500', 'runtime code in place')
    t.equal(await h.rpc.call('eth_getStorageAt', [expected, '0x0', 'latest']), ZERO32, 'slot 0 empty before the call')
    await sendTx(h.rpc, h.common, { key: 4, nonce: 1n, to: expected as Hex, gasLimit: 100_000n })
    const randao = randomHash()
    const b2 = await h.engine.extend(refOf(b1.payload), { timestamp: h.genesis.timestamp + 24n, prevRandao: randao })
    t.equal(b2.payload.transactions.length, 1, 'the call is in block 2')
    t.equal(b2.payload.prevRandao, randao)
    const slot = (await h.rpc.call('eth_getStorageAt', [expected, '0x0', 'latest'])) as Hex
    t.equal(slot, bytesToHex(setLengthLeft(hexToBytes(randao), 32)), 'slot 0 holds the prevRandao of block 2')
    t.equal(await h.rpc.call('eth_getStorageAt', [expected, '0x0', hex(1)]), ZERO32, 'and was empty at block 1')
  }),
)

t.test('forkchoice state: safe and finalized tags, -38002, -38003 after the update, no build below finalized', (t) =>
  withNode(async (h) => {
    const [b1, b2] = await h.engine.extendMany(h.genesis, 2, randomAddress())
    const hash1 = b1!.payload.blockHash
    const hash2 = b2!.payload.blockHash
    const tag = async (name: string) => ((await h.rpc.call('eth_getBlockByNumber', [name, false])) as BlockJson | null)?.hash
    const ok = await h.engine.forkchoice(hash2, null, 3, hash1, hash1)
    t.equal(ok.payloadStatus.status, 'VALID')
    t.equal(await tag('safe'), hash1, 'eth_getBlockByNumber("safe") follows forkchoiceUpdated')
    t.equal(await tag('finalized'), hash1, 'eth_getBlockByNumber("finalized") follows forkchoiceUpdated')

    const state = (head: Hex, safe: Hex, finalized: Hex) => [{ headBlockHash: head, safeBlockHash: safe, finalizedBlockHash: finalized }, null]
    t.equal(await errorCode(h.rpc, 'engine_forkchoiceUpdatedV3', state(hash2, randomHash(), hash1)), -38002, 'unknown safe block: -38002')
    t.equal(await errorCode(h.rpc, 'engine_forkchoiceUpdatedV3', state(hash2, hash1, randomHash())), -38002, 'unknown finalized block: -38002')
    // A sibling of block 2 (same parent, another prevRandao): safe = block 2 is not on its chain.
    const { env: side } = await h.engine.build(refOf(b1!.payload), { timestamp: BigInt(b2!.payload.timestamp), prevRandao: randomHash(), feeRecipient: randomAddress() })
    t.equal((await h.engine.newPayload(side)).status, 'VALID', 'side block 2: VALID')
    await h.engine.forkchoice(hash2)
    t.equal(await errorCode(h.rpc, 'engine_forkchoiceUpdatedV3', state(side.payload.blockHash, hash2, hash1)), -38002, 'safe block off the head chain: -38002')
    t.equal(await tag('latest'), hash2, 'an inconsistent forkchoice state does not move the head')

    // -38003 for a timestamp not after the head: the forkchoice update itself stays applied.
    const { env: b3 } = await h.engine.build(refOf(b2!.payload), { timestamp: BigInt(b2!.payload.timestamp) + 12n })
    t.equal((await h.engine.newPayload(b3)).status, 'VALID')
    const stale = h.engine.attributes({ timestamp: BigInt(b3.payload.timestamp) }, 3)
    const code = await errorCode(h.rpc, 'engine_forkchoiceUpdatedV3', [{ headBlockHash: b3.payload.blockHash, safeBlockHash: hash2, finalizedBlockHash: hash2 }, stale])
    t.equal(code, -38003, 'attributes with timestamp equal to the head: -38003')
    t.equal(await tag('latest'), b3.payload.blockHash, 'the head moved all the same')
    t.equal(await tag('finalized'), hash2, 'and so did finalized')

    // A head below the finalized block: VALID, and no payload build.
    const below = await h.engine.forkchoice(hash1, h.engine.attributes({ timestamp: BigInt(b3.payload.timestamp) + 12n }, 3))
    t.equal(below.payloadStatus.status, 'VALID', 'head an ancestor of finalized: VALID')
    t.equal(below.payloadStatus.latestValidHash, hash1)
    t.equal(below.payloadId, null, 'no build below the finalized block')
  }),
)

t.test('withdrawals are credited; getPayloadBodies return them', (t) =>
  withNode(async (h) => {
    const [x, y] = [randomAddress(), randomAddress()]
    const withdrawals = [
      { index: '0x0', validatorIndex: '0x5', address: x, amount: '0x3' },
      { index: '0x1', validatorIndex: '0x6', address: y, amount: '0x3b9aca00' },
      { index: '0x2', validatorIndex: '0x5', address: x, amount: '0x4' },
    ] satisfies { index: Hex; validatorIndex: Hex; address: Hex; amount: Hex }[]
    const env = await h.engine.extend(h.genesis, { timestamp: h.genesis.timestamp + 12n, withdrawals })
    t.same(env.payload.withdrawals, withdrawals, 'the payload carries the withdrawals')
    t.equal(BigInt((await h.rpc.call('eth_getBalance', [x, 'latest'])) as Hex), 7n * 10n ** 9n, 'amounts are in gwei and add up')
    t.equal(BigInt((await h.rpc.call('eth_getBalance', [y, 'latest'])) as Hex), 10n ** 18n)
    const byHash = (await h.rpc.call('engine_getPayloadBodiesByHashV1', [[env.payload.blockHash, randomHash()]])) as ({ transactions: Hex[]; withdrawals: unknown } | null)[]
    t.equal(byHash.length, 2)
    t.same(byHash[0], { transactions: [], withdrawals }, 'body by hash')
    t.equal(byHash[1], null, 'unknown hash: null')
    const byRange = (await h.rpc.call('engine_getPayloadBodiesByRangeV1', ['0x1', '0x8'])) as unknown[]
    t.same(byRange, [{ transactions: [], withdrawals }], 'range: no trailing nulls past the head')
    t.equal(await errorCode(h.rpc, 'engine_getPayloadBodiesByRangeV1', ['0x0', '0x1']), -32602, 'start 0: -32602')
    t.equal(await errorCode(h.rpc, 'engine_getPayloadBodiesByRangeV1', ['0x1', '0x0']), -32602, 'count 0: -32602')
  }),
)
