// Engine API codecs: every newPayload of the EEST engine fixtures round-trips (decode -> encode gives
// the input JSON), the fixtures' -32602 payloads are rejected by the decoders, and each error names
// its field.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import type { Test } from 'tap'
import {
  NEW_PAYLOAD_STRUCTURE,
  decodeBlobsBundle,
  decodeExecutionPayload,
  decodeExecutionRequests,
  decodeForkchoiceState,
  decodeNewPayloadParams,
  decodePayloadAttributes,
  decodePayloadStatus,
  decodeVersionedHashes,
  encodeBlobsBundle,
  encodeExecutionPayload,
  encodeExecutionRequests,
  encodeForkchoiceState,
  encodePayloadAttributes,
  encodePayloadBody,
  encodePayloadStatus,
} from '../../../src/engine-api/codec.ts'
import type { NewPayloadVersion, PayloadAttributesVersion } from '../../../src/engine-api/types.ts'
import { CELLS_PER_EXT_BLOB } from '../../../src/engine-api/types.ts'
import { InvalidParamsError, RpcCode, RpcError } from '../../../src/rpc/errors.ts'
import { toData } from '../../../src/rpc/wire.ts'
import { locateSuite, reportMissing } from '../../helpers/fixtures.ts'

const SUITE = 'fselmo-fixtures_eest/blockchain_tests_engine'

interface EngineNewPayload {
  params: unknown[]
  newPayloadVersion: string
  validationError?: string | null
  errorCode?: string | number | null
}
interface EngineCase {
  network: string
  engineNewPayloads: EngineNewPayload[]
}

function* jsonFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) yield* jsonFiles(p)
    else if (p.endsWith('.json')) yield p
  }
}

function* newPayloads(root: string): Generator<{ name: string; np: EngineNewPayload; version: NewPayloadVersion }> {
  for (const file of jsonFiles(root)) {
    const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, EngineCase>
    for (const [name, tc] of Object.entries(cases)) {
      for (const np of tc.engineNewPayloads) yield { name, np, version: Number(np.newPayloadVersion) as NewPayloadVersion }
    }
  }
}

/**
 * Fixture payloads whose executionRequests hold a 1-byte element (`0x03`: a type with no data) and
 * that expect an INVALID status rather than -32602. prague.md now says an element "of 1-byte or
 * shorter" MUST be -32602, and the same fixture set has `extra_invalid_type_request_with_no_data`
 * with the identical requests expecting -32602; these older-named cases predate that rule.
 */
const STALE_REQUEST_CASES = ['-extra_invalid_type_request-blockchain_test_engine', 'test_invalid_request_type[fork_Prague-blockchain_test_engine--no_data-']

const suite = locateSuite(SUITE)
if (suite === undefined) reportMissing(SUITE)
else {
  t.test('fixtures: every newPayload without errorCode round-trips', (t) => {
    const byVersion: Record<number, number> = {}
    const failures: string[] = []
    let stale = 0
    for (const { name, np, version } of newPayloads(suite.path)) {
      if (np.errorCode !== undefined && np.errorCode !== null) continue
      const json = np.params[0]
      try {
        const payload = decodeExecutionPayload(version, json)
        const back = encodeExecutionPayload(NEW_PAYLOAD_STRUCTURE[version], payload)
        if (!isDeepStrictEqual(back, json)) failures.push(`${name} V${version}: encode(decode(x)) != x`)
        if (version >= 3) {
          const hashes = decodeVersionedHashes(np.params[1])
          if (!isDeepStrictEqual(hashes.map(toData), np.params[1])) failures.push(`${name}: versioned hashes`)
        }
        if (version >= 4) {
          try {
            const requests = decodeExecutionRequests(np.params[3])
            if (!isDeepStrictEqual(encodeExecutionRequests(requests), np.params[3])) failures.push(`${name}: execution requests`)
          } catch (err) {
            const oneByte = (np.params[3] as string[]).some((r) => r.length <= 4)
            if (err instanceof InvalidParamsError && oneByte && STALE_REQUEST_CASES.some((s) => name.includes(s))) stale++
            else throw err
          }
        }
        byVersion[version] = (byVersion[version] ?? 0) + 1
      } catch (err) {
        failures.push(`${name} V${version}: ${(err as Error).message}`)
      }
    }
    const total = Object.values(byVersion).reduce((a, b) => a + b, 0)
    console.log(`# engine fixtures: ${total} payloads round-tripped (by newPayload version: ${JSON.stringify(byVersion)}); ${stale} stale 1-byte-request cases answer -32602 per prague.md`)
    t.same(failures, [], 'no payload fails to round-trip')
    if (suite.source === 'shared') {
      t.ok(total > 500, 'the shared suite has the payloads it should')
      t.equal(stale, 3, 'exactly the three known stale request cases')
    } else t.ok(total > 0, 'the vendored subset has payloads')
    t.end()
  })

  t.test('fixtures: every errorCode -32602 newPayload is rejected by the decoders', (t) => {
    const caught: Record<string, number> = {}
    const missed: string[] = []
    for (const { name, np, version } of newPayloads(suite.path)) {
      if (np.errorCode === undefined || np.errorCode === null) continue
      t.equal(Number(np.errorCode), RpcCode.InvalidParams, `${name}: only -32602 codes in this suite`)
      try {
        decodeNewPayloadParams(version, np.params)
        missed.push(name)
      } catch (err) {
        if (!(err instanceof InvalidParamsError)) throw err
        const where = /^params\[\d+\](\.\w+)?/.exec(err.message)?.[0] ?? err.message
        caught[where] = (caught[where] ?? 0) + 1
      }
    }
    const total = Object.values(caught).reduce((a, b) => a + b, 0)
    console.log(`# engine fixtures: ${total} -32602 payloads rejected by the decoders, by field: ${JSON.stringify(caught)}`)
    t.same(missed, [], 'no -32602 payload decodes')
    if (suite.source === 'shared') t.ok(total >= 16, 'the shared suite has its -32602 payloads')
    t.end()
  })
}

// ---- hand-made payloads ----

const h32 = (b: number): string => `0x${b.toString(16).padStart(2, '0').repeat(32)}`
const withdrawal = (i: number) => ({ index: `0x${i.toString(16)}`, validatorIndex: '0x10', address: `0x${'aa'.repeat(20)}`, amount: '0x3b9aca00' })
const V1 = {
  parentHash: h32(1),
  feeRecipient: `0x${'bb'.repeat(20)}`,
  stateRoot: h32(2),
  receiptsRoot: h32(3),
  logsBloom: `0x${'00'.repeat(256)}`,
  prevRandao: h32(4),
  blockNumber: '0x1',
  gasLimit: '0x1c9c380',
  gasUsed: '0x0',
  timestamp: '0x64',
  extraData: '0x',
  baseFeePerGas: '0x7',
  blockHash: h32(5),
  transactions: ['0x02f8', '0xf86c'],
}
const V2 = { ...V1, withdrawals: [withdrawal(0), withdrawal(1), withdrawal(2), withdrawal(3)] }
const V3 = { ...V2, blobGasUsed: '0x20000', excessBlobGas: '0x0' }
const V4 = { ...V3, blockAccessList: '0xc0', slotNumber: '0x2a' }

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

function throwsParams(t: Test, fn: () => unknown, message: string | RegExp, what: string): void {
  const err = caught(fn)
  t.ok(err instanceof InvalidParamsError, `${what}: InvalidParamsError`)
  if (typeof message === 'string') t.equal((err as Error | undefined)?.message, message, `${what}: message`)
  else t.match((err as Error | undefined)?.message, message, `${what}: message`)
}

function throwsCode(t: Test, fn: () => unknown, code: number, what: string): void {
  const err = caught(fn)
  t.ok(err instanceof RpcError && err.rpcCode === code, `${what}: RpcError ${code}${err instanceof Error ? ` (${err.message})` : ''}`)
}

t.test('execution payload: each version round-trips its own structure', (t) => {
  const cases: [NewPayloadVersion, object][] = [[1, V1], [2, V1], [2, V2], [3, V3], [4, V3], [5, V4]]
  for (const [v, json] of cases) {
    const p = decodeExecutionPayload(v, json)
    const structure = v === 2 && !('withdrawals' in json) ? 2 : NEW_PAYLOAD_STRUCTURE[v]
    t.same(encodeExecutionPayload(structure, p), json, `V${v} (${Object.keys(json).length} fields)`)
  }
  t.equal(decodeExecutionPayload(2, V1).withdrawals, undefined, 'V2 takes a V1 payload: no withdrawals, not []')
  t.equal(decodeExecutionPayload(2, { ...V1, withdrawals: null }).withdrawals, undefined, 'withdrawals: null counts as missing')
  t.equal(decodeExecutionPayload(2, V2).withdrawals?.length, 4, 'V2 payload keeps its withdrawals')
  const p = decodeExecutionPayload(5, { ...V4, baseFeePerGas: `0x${'f'.repeat(64)}` })
  t.equal(p.baseFeePerGas, (1n << 256n) - 1n, 'baseFeePerGas is 256 bits')
  t.same([...p.blockAccessList!], [0xc0], 'blockAccessList is raw bytes')
  t.equal(p.slotNumber, 42n)
  t.end()
})

t.test('execution payload: errors name the field', (t) => {
  const badAmount = { ...V2, withdrawals: [withdrawal(0), withdrawal(1), withdrawal(2), { ...withdrawal(3), amount: '0x01' }] }
  throwsParams(t, () => decodeExecutionPayload(2, badAmount), 'params[0].withdrawals[3].amount: expected a hex quantity, got "0x01"', 'withdrawal amount with leading zero')
  throwsParams(t, () => decodeExecutionPayload(3, { ...V3, withdrawals: [{ ...withdrawal(0), address: '0xaa' }] }), 'params[0].withdrawals[0].address: expected 20 bytes, got 1', 'short address')
  throwsParams(t, () => decodeExecutionPayload(2, { ...V2, blobGasUsed: '0x0' }), 'params[0].blobGasUsed: not allowed in engine_newPayloadV2 (a field of ExecutionPayloadV3)', 'V3 field in a V2 call')
  throwsParams(t, () => decodeExecutionPayload(2, { ...V1, excessBlobGas: '0x0' }), /^params\[0\]\.excessBlobGas: not allowed/, 'excessBlobGas in a V2 call')
  throwsParams(t, () => decodeExecutionPayload(1, V2), 'params[0].withdrawals: not allowed in engine_newPayloadV1 (a field of ExecutionPayloadV2)', 'withdrawals in V1')
  throwsParams(t, () => decodeExecutionPayload(4, V4), 'params[0].blockAccessList: not allowed in engine_newPayloadV4 (a field of ExecutionPayloadV4)', 'BAL in V4')
  throwsParams(t, () => decodeExecutionPayload(4, { ...V3, slotNumber: '0x1' }), /^params\[0\]\.slotNumber: not allowed/, 'slotNumber in V4')
  t.doesNotThrow(() => decodeExecutionPayload(2, { ...V2, blobGasUsed: null }), 'a null later-version field is absent')
  throwsParams(t, () => decodeExecutionPayload(3, V2), 'params[0].blobGasUsed: missing', 'V3 without blob fields')
  throwsParams(t, () => decodeExecutionPayload(3, { ...V3, excessBlobGas: null }), 'params[0].excessBlobGas: missing', 'null counts as missing')
  throwsParams(t, () => decodeExecutionPayload(3, { ...V3, withdrawals: undefined }), 'params[0].withdrawals: missing', 'V3 without withdrawals')
  throwsParams(t, () => decodeExecutionPayload(5, { ...V4, blockAccessList: undefined }), 'params[0].blockAccessList: missing', 'V5 without BAL')
  throwsParams(t, () => decodeExecutionPayload(5, { ...V4, slotNumber: null }), 'params[0].slotNumber: missing', 'V5 without slotNumber')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, logsBloom: `0x${'00'.repeat(255)}` }), 'params[0].logsBloom: expected 256 bytes, got 255', 'short bloom')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, parentHash: '0x12' }), 'params[0].parentHash: expected 32 bytes, got 1', 'short hash')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, transactions: ['0x02', '0x0'] }), 'params[0].transactions[1]: expected hex data, got "0x0"', 'odd-length tx')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, transactions: null }), 'params[0].transactions: missing', 'no transactions')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, gasLimit: '0x10000000000000000' }), 'params[0].gasLimit: exceeds 64 bits', 'gasLimit over 64 bits')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, baseFeePerGas: `0x1${'0'.repeat(64)}` }), 'params[0].baseFeePerGas: exceeds 256 bits', 'baseFee over 256 bits')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, timestamp: 100 }), 'params[0].timestamp: expected a hex quantity, got number', 'number instead of hex')
  throwsParams(t, () => decodeExecutionPayload(1, null), 'params[0]: expected an object, got null', 'null payload')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, blockHash: undefined }), 'params[0].blockHash: missing', 'no block hash')
  t.doesNotThrow(() => decodeExecutionPayload(1, { ...V1, extraData: `0x${'00'.repeat(33)}` }), 'an over-long extraData is an INVALID block, not a bad param')
  // `0X` is not the execution-apis prefix: refused as a bad param (it used to reach a decoder that threw: -32603)
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, stateRoot: V1.stateRoot.replace('0x', '0X') }), /^params\[0\]\.stateRoot: expected hex data, got "0X/, '0X-prefixed DATA')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, gasLimit: V1.gasLimit.replace('0x', '0X') }), /^params\[0\]\.gasLimit: expected a hex quantity, got "0X/, '0X-prefixed QUANTITY')
  throwsParams(t, () => decodeExecutionPayload(1, { ...V1, transactions: ['0X02'] }), /^params\[0\]\.transactions\[0\]: expected hex data/, '0X-prefixed transaction')
  t.doesNotThrow(() => decodeExecutionPayload(1, { ...V1, stateRoot: `0x${'AB'.repeat(32)}` }), 'upper-case hex digits stay accepted (as geth)')
  t.end()
})

t.test('newPayload params: counts and positions', (t) => {
  const zero = h32(0)
  const p4 = decodeNewPayloadParams(4, [V3, [h32(1)], zero, ['0x0100']])
  t.equal(p4.expectedBlobVersionedHashes?.length, 1)
  t.same([...p4.executionRequests![0]!], [1, 0])
  t.equal(decodeNewPayloadParams(2, [V2]).expectedBlobVersionedHashes, undefined, 'V2 has only the payload')
  throwsParams(t, () => decodeNewPayloadParams(2, [V2, []]), 'params: engine_newPayloadV2 takes 1 param, got 2', 'extra param')
  throwsParams(t, () => decodeNewPayloadParams(3, [V3, null, zero]), 'params[1]: missing', 'null versioned hashes')
  throwsParams(t, () => decodeNewPayloadParams(3, [V3, []]), 'params[2]: missing', 'no beacon root')
  throwsParams(t, () => decodeNewPayloadParams(3, [V3, [`0x${'11'.repeat(31)}`], zero]), 'params[1][0]: expected 32 bytes, got 31', 'short versioned hash')
  throwsParams(t, () => decodeNewPayloadParams(4, [V3, [], zero]), 'params[3]: missing', 'V4 without requests')
  throwsParams(t, () => decodeNewPayloadParams(4, [V3, [], zero, null]), 'params[3]: missing', 'V4 with null requests')
  throwsParams(t, () => decodeNewPayloadParams(4, [V3, [], zero, {}]), 'params[3]: expected an array, got object', 'requests not a list')
  t.end()
})

t.test('execution requests: strictly ascending types, non-empty data', (t) => {
  t.same(decodeExecutionRequests([]), [], 'empty list is fine')
  t.equal(decodeExecutionRequests(['0x00aa', '0x01bb', '0x02cc']).length, 3, 'ascending')
  t.equal(decodeExecutionRequests(['0x00aa', '0x02cc']).length, 2, 'gaps are fine')
  throwsParams(t, () => decodeExecutionRequests(['0x00aa', '0x']), 'params[3][1]: expected a request type byte and non-empty request data, got 0 bytes', 'empty element')
  throwsParams(t, () => decodeExecutionRequests(['0x03']), 'params[3][0]: expected a request type byte and non-empty request data, got 1 byte', 'type with no data')
  throwsParams(t, () => decodeExecutionRequests(['0x01aa', '0x01bb']), 'params[3][1]: repeats request type 0x1 after 0x1 (types must be strictly ascending)', 'duplicate type')
  throwsParams(t, () => decodeExecutionRequests(['0x02aa', '0x00bb']), 'params[3][1]: is out of order: request type 0x0 after 0x2 (types must be strictly ascending)', 'descending')
  throwsParams(t, () => decodeExecutionRequests(['0x00aa', '0xzz']), 'params[3][1]: expected hex data, got "0xzz"', 'not hex')
  t.end()
})

t.test('forkchoice state and payload attributes', (t) => {
  const fcs = { headBlockHash: h32(1), safeBlockHash: h32(2), finalizedBlockHash: h32(0) }
  t.same(encodeForkchoiceState(decodeForkchoiceState(fcs)), fcs, 'forkchoice state round-trips')
  throwsParams(t, () => decodeForkchoiceState({ ...fcs, safeBlockHash: null }), 'params[0].safeBlockHash: missing', 'null safe hash')
  throwsParams(t, () => decodeForkchoiceState({ ...fcs, headBlockHash: '0x00' }), 'params[0].headBlockHash: expected 32 bytes, got 1', 'short head')

  const A1 = { timestamp: '0x65', prevRandao: h32(7), suggestedFeeRecipient: `0x${'cc'.repeat(20)}` }
  const A2 = { ...A1, withdrawals: [withdrawal(9)] }
  const A3 = { ...A2, parentBeaconBlockRoot: h32(8) }
  const A4 = { ...A3, slotNumber: '0x20', targetGasLimit: '0x2255100' }
  const cases: [PayloadAttributesVersion, object][] = [[1, A1], [2, A1], [2, A2], [3, A3], [4, A4]]
  for (const [v, json] of cases) {
    const a = decodePayloadAttributes(v, json)
    t.ok(a !== null)
    t.same(encodePayloadAttributes(v, a!), json, `PayloadAttributes for forkchoiceUpdatedV${v} round-trips (${Object.keys(json).length} fields)`)
  }
  t.equal(decodePayloadAttributes(3, null), null, 'null attributes')
  t.equal(decodePayloadAttributes(3, undefined), null, 'absent attributes')
  throwsParams(t, () => decodePayloadAttributes(1, A2), 'params[1].withdrawals: not allowed in engine_forkchoiceUpdatedV1 (a field of PayloadAttributesV2)', 'V2 field in V1')
  throwsParams(t, () => decodePayloadAttributes(2, A3), /^params\[1\]\.parentBeaconBlockRoot: not allowed/, 'V3 field in V2')
  throwsParams(t, () => decodePayloadAttributes(3, A2), 'params[1].parentBeaconBlockRoot: missing', 'V3 without beacon root')
  throwsParams(t, () => decodePayloadAttributes(3, { ...A3, withdrawals: null }), 'params[1].withdrawals: missing', 'V3 with null withdrawals')
  throwsParams(t, () => decodePayloadAttributes(3, A4), /^params\[1\]\.slotNumber: not allowed/, 'V4 field in V3')
  throwsParams(t, () => decodePayloadAttributes(4, A3), 'params[1].slotNumber: missing', 'V4 without slot')
  throwsParams(t, () => decodePayloadAttributes(4, { ...A4, targetGasLimit: '0x' }), 'params[1].targetGasLimit: expected a hex quantity, got "0x"', 'empty quantity')
  throwsParams(t, () => decodePayloadAttributes(2, { ...A2, withdrawals: [{ ...withdrawal(1), validatorIndex: undefined }] }), 'params[1].withdrawals[0].validatorIndex: missing', 'withdrawal field missing')
  t.end()
})

t.test('payload status, bodies, blobs bundles', (t) => {
  const s = { status: 'INVALID' as const, latestValidHash: h32(3), validationError: 'bad state root' }
  t.same(encodePayloadStatus(decodePayloadStatus(s)), s, 'status round-trips')
  t.same(encodePayloadStatus({ status: 'SYNCING', latestValidHash: null, validationError: null }), { status: 'SYNCING', latestValidHash: null, validationError: null }, 'nulls stay null')
  throwsParams(t, () => decodePayloadStatus({ ...s, status: 'valid' }), /^result\.status: expected one of/, 'unknown status')

  const w = decodeExecutionPayload(2, V2).withdrawals!
  const txs = [Uint8Array.of(1, 2)]
  t.same(encodePayloadBody(1, { transactions: txs, withdrawals: null }), { transactions: ['0x0102'], withdrawals: null }, 'pre-Shanghai body: withdrawals null')
  t.same(encodePayloadBody(1, { transactions: [], withdrawals: w, blockAccessList: Uint8Array.of(0xc0) }), { transactions: [], withdrawals: V2.withdrawals }, 'V1 body has no blockAccessList')
  t.same(encodePayloadBody(2, { transactions: [], withdrawals: w }), { transactions: [], withdrawals: V2.withdrawals, blockAccessList: null }, 'V2 body: BAL null when absent')
  t.same(encodePayloadBody(2, { transactions: [], withdrawals: [], blockAccessList: Uint8Array.of(0xc0) }).blockAccessList, '0xc0', 'V2 body: BAL')

  const blob = new Uint8Array(131072).fill(1)
  const c48 = new Uint8Array(48).fill(2)
  const one = encodeBlobsBundle(1, { commitments: [c48], proofs: [c48], blobs: [blob] })
  t.same(decodeBlobsBundle(1, one), { commitments: [c48], proofs: [c48], blobs: [blob] }, 'BlobsBundleV1 round-trips')
  const cellProofs = Array.from({ length: CELLS_PER_EXT_BLOB }, () => c48)
  const two = encodeBlobsBundle(2, { commitments: [c48], proofs: cellProofs, blobs: [blob] })
  t.equal(two.proofs.length, 128, 'BlobsBundleV2 carries 128 cell proofs per blob')
  t.equal(decodeBlobsBundle(2, two).proofs.length, 128)
  throwsCode(t, () => encodeBlobsBundle(2, { commitments: [c48], proofs: [c48], blobs: [blob] }), RpcCode.Internal, 'V2 with one proof per blob is our bug')
  throwsCode(t, () => encodeBlobsBundle(1, { commitments: [], proofs: [], blobs: [blob] }), RpcCode.Internal, 'missing commitment')
  throwsParams(t, () => decodeBlobsBundle(1, { ...one, blobs: ['0x00'] }), 'result.blobsBundle.blobs[0]: expected 131072 bytes, got 1', 'short blob')
  t.same(encodeBlobsBundle(2, { commitments: [], proofs: [], blobs: [] }), { commitments: [], proofs: [], blobs: [] }, 'empty bundle')
  t.end()
})

t.test('encoders refuse structures the payload does not fit (our bug: -32603)', (t) => {
  const p3 = decodeExecutionPayload(3, V3)
  throwsCode(t, () => encodeExecutionPayload(2, p3), RpcCode.Internal, 'a V3 payload as ExecutionPayloadV2')
  throwsCode(t, () => encodeExecutionPayload(4, p3), RpcCode.Internal, 'a V3 payload as ExecutionPayloadV4 (no BAL)')
  throwsCode(t, () => encodeExecutionPayload(3, decodeExecutionPayload(2, V2)), RpcCode.Internal, 'a V2 payload as V3')
  t.same(encodeExecutionPayload(2, decodeExecutionPayload(2, V1)), V1, 'structure 2 without withdrawals gives the V1 shape (getPayloadV2 before Shanghai)')
  throwsCode(t, () => encodePayloadAttributes(3, decodePayloadAttributes(2, { timestamp: '0x1', prevRandao: h32(1), suggestedFeeRecipient: `0x${'00'.repeat(20)}` })!), RpcCode.Internal, 'encode')
  t.end()
})
