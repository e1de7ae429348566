// Engine API method versions against fork windows, as execution-apis src/engine/{paris,shanghai,
// cancun,prague,osaka}.md specify them, on a chain that starts at Paris and passes Shanghai, Cancun
// and Prague by timestamp (one block per fork); plus params checks and engine_exchangeCapabilities.
import t from 'tap'
import type { Test } from 'tap'
import { bigIntToBytes, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import {
  devGenesisJson,
  errorCode,
  hex,
  randomHash,
  startHarness,
  ZERO32,
  type ForkchoiceResultJson,
  type GetPayloadJson,
  type HeadRef,
  type Hex,
  type PayloadJson,
  type PayloadStatusJson,
} from '../helpers/engine-harness.ts'

const T = 1_700_000_000n
const SHANGHAI = T + 100n
const CANCUN = T + 200n
const PRAGUE = T + 300n

const genesisJson = devGenesisJson()
for (const k of ['shanghaiTime', 'cancunTime', 'pragueTime']) delete genesisJson.config[k]
Object.assign(genesisJson.config, { shanghaiTime: Number(SHANGHAI), cancunTime: Number(CANCUN), pragueTime: Number(PRAGUE) })
genesisJson['timestamp'] = hex(T)
delete genesisJson['excessBlobGas']
delete genesisJson['blobGasUsed']

const h = await startHarness(genesisJson)
t.teardown(() => h.close())
const { rpc, engine } = h
let head: HeadRef = h.genesis

const fcu = (version: number, attrs: Record<string, unknown> | null, at: Hex = head.hash) => engine.forkchoice(at, attrs, version)
const attrs = (timestamp: bigint, version: number) => engine.attributes({ timestamp, prevRandao: randomHash() }, version)
const fcuParams = (version: number, a: Record<string, unknown> | null): unknown[] => [
  { headBlockHash: head.hash, safeBlockHash: ZERO32, finalizedBlockHash: ZERO32 },
  a,
]
const payloadId = async (version: number, a: Record<string, unknown>): Promise<Hex> => {
  const res: ForkchoiceResultJson = await fcu(version, a)
  if (res.payloadId === null) throw new Error(`no payload id: ${JSON.stringify(res)}`)
  return res.payloadId
}
const newPayload = async (method: string, params: unknown[]) => (await rpc.call(method, params)) as PayloadStatusJson
/** Imports `p` with the given newPayload params and makes it the head. */
async function advance(t: Test, method: string, params: unknown[], fcuVersion: number): Promise<void> {
  const p = params[0] as PayloadJson
  const st = await newPayload(method, params)
  t.equal(st.status, 'VALID', `${method}: VALID`)
  const res = await fcu(fcuVersion, null, p.blockHash)
  t.equal(res.payloadStatus.status, 'VALID', `forkchoiceUpdatedV${fcuVersion} to block ${BigInt(p.blockNumber)}: VALID`)
  head = { hash: p.blockHash, number: BigInt(p.blockNumber), timestamp: BigInt(p.timestamp) }
}
const withoutBlobFields = (p: PayloadJson): PayloadJson => {
  const { blobGasUsed: _a, excessBlobGas: _b, ...rest } = p
  return rest
}

t.test('Paris', async (t) => {
  const ts = T + 12n
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV2', fcuParams(2, attrs(ts, 2))), -38003, 'fcU V2 with PayloadAttributesV2 before Shanghai: -38003')
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', fcuParams(3, attrs(ts, 3))), -38005, 'fcU V3 at a Paris timestamp: -38005')
  const id = await payloadId(1, attrs(ts, 1))
  t.equal(await errorCode(rpc, 'engine_getPayloadV3', [id]), -38005, 'getPayloadV3 of a Paris payload: -38005')
  const p = (await rpc.call('engine_getPayloadV1', [id])) as PayloadJson
  t.equal(p.withdrawals, undefined, 'getPayloadV1 gives ExecutionPayloadV1')
  const v2 = (await rpc.call('engine_getPayloadV2', [id])) as GetPayloadJson
  t.equal(v2.executionPayload.blockHash, p.blockHash, 'getPayloadV2 serves a Paris payload too')
  t.equal(v2.executionPayload.withdrawals, undefined, '... as ExecutionPayloadV1')

  const badHash = await newPayload('engine_newPayloadV1', [{ ...p, blockHash: randomHash() }])
  t.equal(badHash.status, 'INVALID_BLOCK_HASH', 'newPayloadV1 with a wrong block hash: INVALID_BLOCK_HASH')
  t.equal(badHash.latestValidHash, null)
  const asV3 = { ...p, withdrawals: [], blobGasUsed: '0x0', excessBlobGas: '0x0' }
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [asV3, [], ZERO32]), -38005, 'newPayloadV3 with a Paris timestamp: -38005')
  t.equal(await errorCode(rpc, 'engine_newPayloadV2', [{ ...p, withdrawals: [] }]), -32602, 'newPayloadV2 with withdrawals before Shanghai: -32602')
  await advance(t, 'engine_newPayloadV1', [p], 1)
})

t.test('Shanghai', async (t) => {
  const ts = SHANGHAI + 12n
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV2', fcuParams(2, attrs(ts, 1))), -38003, 'fcU V2 with PayloadAttributesV1 after Shanghai: -38003')
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', fcuParams(3, attrs(ts, 3))), -38005, 'fcU V3 at a Shanghai timestamp: -38005')
  const id = await payloadId(2, attrs(ts, 2))
  t.equal(await errorCode(rpc, 'engine_getPayloadV3', [id]), -38005, 'getPayloadV3 of a Shanghai payload: -38005')
  const got = (await rpc.call('engine_getPayloadV2', [id])) as GetPayloadJson
  const p = got.executionPayload
  t.same(p.withdrawals, [], 'ExecutionPayloadV2')
  t.equal(p.blobGasUsed, undefined)

  const asV3 = { ...p, blobGasUsed: '0x0', excessBlobGas: '0x0' }
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [asV3, [], ZERO32]), -38005, 'newPayloadV3 with a Shanghai payload: -38005')
  const { withdrawals: _w, ...asV1 } = p
  t.equal(await errorCode(rpc, 'engine_newPayloadV2', [asV1]), -32602, 'newPayloadV2 with ExecutionPayloadV1 after Shanghai: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV1', [p]), -32602, 'newPayloadV1 with ExecutionPayloadV2: -32602')
  const badHash = await newPayload('engine_newPayloadV2', [{ ...p, blockHash: randomHash() }])
  t.equal(badHash.status, 'INVALID', 'newPayloadV2 with a wrong block hash: INVALID')
  t.equal(badHash.latestValidHash, null)
  await advance(t, 'engine_newPayloadV2', [p], 2)
})

let cancunPayload: PayloadJson | undefined
const root = randomHash()

t.test('Cancun', async (t) => {
  const ts = CANCUN + 12n
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV2', fcuParams(2, attrs(ts, 2))), -38005, 'fcU V2 with Cancun-timestamp attributes: -38005')
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', fcuParams(3, attrs(ts, 2))), -38003, 'fcU V3 with PayloadAttributesV2 (no beacon root): -38003')
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', [...fcuParams(3, null), null]), -32602, 'fcU V3 with a third param: -32602')
  const id = await payloadId(3, engine.attributes({ timestamp: ts, prevRandao: randomHash(), parentBeaconBlockRoot: root }, 3))
  t.equal(await errorCode(rpc, 'engine_getPayloadV2', [id]), -38005, 'getPayloadV2 of a Cancun payload: -38005')
  t.equal(await errorCode(rpc, 'engine_getPayloadV4', [id]), -38005, 'getPayloadV4 of a Cancun payload: -38005')
  const got = (await rpc.call('engine_getPayloadV3', [id])) as GetPayloadJson
  const p = got.executionPayload
  cancunPayload = p
  t.same(got.blobsBundle, { commitments: [], proofs: [], blobs: [] }, 'an empty blobs bundle')
  t.equal(got.shouldOverrideBuilder, false)
  t.equal(p.blobGasUsed, '0x0')
  t.equal(p.excessBlobGas, '0x0')

  t.equal(await errorCode(rpc, 'engine_newPayloadV2', [withoutBlobFields(p)]), -38005, 'newPayloadV2 with a Cancun payload: -38005')
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', [p, [], root, []]), -38005, 'newPayloadV4 before Prague: -38005')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [p, [], root, []]), -32602, 'newPayloadV3 with an extra param: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [p, []]), -32602, 'newPayloadV3 without parentBeaconBlockRoot: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [p, null, root]), -32602, 'newPayloadV3 with null versioned hashes: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [withoutBlobFields(p), [], root]), -32602, 'newPayloadV3 without blobGasUsed/excessBlobGas: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [{ ...p, excessBlobGas: null }, [], root]), -32602, 'newPayloadV3 with a null field: -32602')

  const wrongHashes = await newPayload('engine_newPayloadV3', [p, [randomHash()], root])
  t.equal(wrongHashes.status, 'INVALID', 'versioned hashes that do not match: INVALID')
  t.equal(wrongHashes.latestValidHash, null)
  const otherRoot = await newPayload('engine_newPayloadV3', [p, [], randomHash()])
  t.equal(otherRoot.status, 'INVALID', 'another parentBeaconBlockRoot changes the block hash: INVALID')
  t.equal(otherRoot.latestValidHash, null)
  await advance(t, 'engine_newPayloadV3', [p, [], root], 3)
  const beacon = (await rpc.call('eth_call', [{ to: '0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02', data: bytesToHex(setLengthLeft(bigIntToBytes(ts), 32)) }, 'latest'])) as Hex
  t.equal(beacon, root, 'the EIP-4788 contract returns the beacon root for the block timestamp')
})

t.test('Prague', async (t) => {
  const ts = PRAGUE + 12n
  const id = await payloadId(3, attrs(ts, 3))
  t.pass('fcU V3 serves Prague attributes')
  t.equal(await errorCode(rpc, 'engine_getPayloadV3', [id]), -38005, 'getPayloadV3 of a Prague payload: -38005')
  t.equal(await errorCode(rpc, 'engine_getPayloadV5', [id]), -38005, 'getPayloadV5 of a Prague payload: -38005')
  const got = (await rpc.call('engine_getPayloadV4', [id])) as GetPayloadJson
  t.same(got.executionRequests, [], 'no execution requests')
  const p = got.executionPayload
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [p, [], ZERO32]), -38005, 'newPayloadV3 with a Prague payload: -38005')
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', [p, [], ZERO32, null]), -32602, 'newPayloadV4 with null executionRequests: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', [p, [], ZERO32, ['0x00']]), -32602, 'newPayloadV4 with a request without data: -32602')
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', [p, [], ZERO32, ['0x0101', '0x0001']]), -32602, 'newPayloadV4 with requests out of order: -32602')
  const wrongRequests = await newPayload('engine_newPayloadV4', [p, [], ZERO32, ['0x0001']])
  t.equal(wrongRequests.status, 'INVALID', 'other executionRequests change the requests hash: INVALID')
  t.equal(wrongRequests.latestValidHash, null)
  const st = await newPayload('engine_newPayloadV4', [p, [], ZERO32, []])
  t.equal(st.status, 'VALID', 'engine_newPayloadV4: VALID')
  // The attributes checks come after the forkchoice state is applied (paris.md 8; cancun.md): the
  // head moves even though the attributes are refused.
  const moved = { headBlockHash: p.blockHash, safeBlockHash: ZERO32, finalizedBlockHash: ZERO32 }
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV2', [moved, attrs(ts + 12n, 2)]), -38005, 'fcU V2 with Prague attributes: -38005')
  const latest = (await rpc.call('eth_getBlockByNumber', ['latest', false])) as { hash: Hex }
  t.equal(latest.hash, p.blockHash, 'the forkchoice update was applied before the -38005')
  head = { hash: p.blockHash, number: BigInt(p.blockNumber), timestamp: BigInt(p.timestamp) }
  t.ok(cancunPayload !== undefined)
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', [cancunPayload, [], root, []]), -38005, 'a known Cancun block through newPayloadV4 is still -38005')
})

t.test('engine_exchangeCapabilities lists every engine method served', async (t) => {
  const list = (await rpc.call('engine_exchangeCapabilities', [['engine_newPayloadV4', 'engine_forkchoiceUpdatedV3']])) as string[]
  t.ok(Array.isArray(list) && list.every((m) => typeof m === 'string'), 'an array of strings')
  t.notOk(list.includes('engine_exchangeCapabilities'), 'engine_exchangeCapabilities itself is not listed')
  t.equal(new Set(list).size, list.length, 'no duplicates')
  t.ok(list.every((m) => m.startsWith('engine_')), 'only engine_ methods')
  const expected = [
    'engine_newPayloadV1', 'engine_newPayloadV2', 'engine_newPayloadV3', 'engine_newPayloadV4',
    'engine_forkchoiceUpdatedV1', 'engine_forkchoiceUpdatedV2', 'engine_forkchoiceUpdatedV3',
    'engine_getPayloadV1', 'engine_getPayloadV2', 'engine_getPayloadV3', 'engine_getPayloadV4', 'engine_getPayloadV5',
    'engine_getPayloadBodiesByHashV1', 'engine_getPayloadBodiesByRangeV1',
    'engine_getBlobsV1', 'engine_getClientVersionV1',
  ]
  for (const m of expected) t.ok(list.includes(m), `lists ${m}`)
  const served = [...h.node.methods.keys()].filter((m) => m.startsWith('engine_') && m !== 'engine_exchangeCapabilities')
  t.same([...served].sort(), [...list].sort(), 'exactly the engine methods of the method table')
  for (const m of list) {
    const r = await rpc.raw(m, [])
    t.not(r.error?.code, -32601, `${m} is served`)
  }
  t.equal(await errorCode(rpc, 'engine_newPayloadV99', []), -32601, 'an unknown method is -32601')
  const version = (await rpc.call('engine_getClientVersionV1', [{ code: 'LH', name: 'Lighthouse', version: 'v1', commit: '0x01020304' }])) as Record<string, unknown>[]
  t.equal(version.length, 1, 'engine_getClientVersionV1: one entry')
  t.match(version[0], { code: /^[A-Z]{2}$/, name: String, version: String, commit: /^0x[0-9a-f]{8}$/ }, 'ClientVersionV1 shape')
})

t.test('malformed params: -32602', async (t) => {
  const p = cancunPayload!
  const state = { headBlockHash: head.hash, safeBlockHash: ZERO32, finalizedBlockHash: ZERO32 }
  const { finalizedBlockHash: _f, ...partial } = state
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', [partial, null]), -32602, 'forkchoiceState without finalizedBlockHash')
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', [{ ...state, headBlockHash: '0x1234' }, null]), -32602, 'a 2-byte headBlockHash')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [{ ...p, timestamp: `0x0${p.timestamp.slice(2)}` }, [], root]), -32602, 'a quantity with a leading zero')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [{ ...p, feeRecipient: '0x00' }, [], root]), -32602, 'a 1-byte feeRecipient')
  t.equal(await errorCode(rpc, 'engine_newPayloadV3', [{ ...p, transactions: ['0xzz'] }, [], root]), -32602, 'a transaction that is not hex')
  t.equal(await errorCode(rpc, 'engine_getPayloadV4', ['0x01']), -32602, 'a 1-byte payload id')
  t.equal(await errorCode(rpc, 'engine_exchangeCapabilities', ['engine_newPayloadV4']), -32602, 'capabilities that are not an array')
})
