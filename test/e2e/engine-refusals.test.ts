// Engine API inputs that must be refused with the spec's error, never -32603 (an internal error says
// "our bug" to the consensus client): a `0X` prefix (-32602), a timestamp past every fork the node can
// place (-38005), and blocks with more blobs than a block holds (INVALID, as the block is at fault).
import t from 'tap'
import { createBlob4844Tx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { commonFromGenesis, parseGenesis } from '../../config/index.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import { MAX_FORK_TIMESTAMP } from '../../src/engine-api/methods.ts'
import { DEV_KEYS, devGenesisJson, errorCode, hex, randomHash, startHarness, ZERO32, type Envelope, type Hex, type PayloadJson } from '../helpers/engine-harness.ts'

const h = await startHarness(devGenesisJson())
t.teardown(() => h.close())
const { rpc, engine } = h
const { env } = await engine.build(h.genesis, { timestamp: h.genesis.timestamp + 12n, prevRandao: randomHash() })
const params = (p: PayloadJson, hashes: Hex[] = [], e: Envelope = env): unknown[] => [p, hashes, e.parentBeaconBlockRoot, e.executionRequests ?? []]

/** newPayloadV4 of `p` with its block hash set to the one the node computes (so only the block is at fault). */
async function sendRehashed(p: PayloadJson, hashes: Hex[]): Promise<{ status: string; validationError: string | null }> {
  const first = await rpc.raw('engine_newPayloadV4', params(p, hashes))
  const m = /header hashes to (0x[0-9a-f]{64})/.exec(JSON.stringify(first.result ?? first.error))
  const reply = m === null ? first : await rpc.raw('engine_newPayloadV4', params({ ...p, blockHash: m[1] as Hex }, hashes))
  if (reply.error !== undefined) throw new Error(`error ${reply.error.code}: ${reply.error.message}`)
  return reply.result as { status: string; validationError: string | null }
}

t.test('a 0X prefix is -32602', async (t) => {
  const p = env.payload
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', params({ ...p, stateRoot: p.stateRoot.replace('0x', '0X') as Hex })), -32602, '0X DATA (was -32603)')
  t.equal(await errorCode(rpc, 'engine_newPayloadV4', params({ ...p, gasLimit: p.gasLimit.replace('0x', '0X') as Hex })), -32602, '0X QUANTITY (was VALID)')
  const state = { headBlockHash: h.genesis.hash.replace('0x', '0X'), safeBlockHash: ZERO32, finalizedBlockHash: ZERO32 }
  t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', [state, null]), -32602, '0X forkchoice hash')
})

t.test('a timestamp past every fork the node can place is -38005', async (t) => {
  const late = [MAX_FORK_TIMESTAMP + 1n, 2n ** 53n + 5n, 2n ** 64n - 1n]
  for (const ts of late) {
    t.equal(await errorCode(rpc, 'engine_newPayloadV4', params({ ...env.payload, timestamp: hex(ts) })), -38005, `newPayloadV4 at ${ts}`)
    const attrs = engine.attributes({ timestamp: ts, prevRandao: randomHash() }, 3)
    t.equal(await errorCode(rpc, 'engine_forkchoiceUpdatedV3', [{ headBlockHash: h.genesis.hash, safeBlockHash: ZERO32, finalizedBlockHash: ZERO32 }, attrs]), -38005, `forkchoiceUpdatedV3 attributes at ${ts}`)
  }
  const ok = await sendRehashed({ ...env.payload, timestamp: hex(MAX_FORK_TIMESTAMP) }, [])
  t.equal(ok.status, 'INVALID', 'the last placeable timestamp is judged as a block (its state root is off), not refused')
})

t.test('more blobs than a block holds: INVALID, not an error', async (t) => {
  // Signed under a chain whose blob schedule allows 40, sent to one that allows 9 (Prague).
  const roomy = devGenesisJson()
  const schedule = roomy.config['blobSchedule'] as Record<string, Record<string, number>>
  schedule['prague']!['max'] = 40
  const roomyCommon = commonFromGenesis(parseGenesis(roomy), parallaxCryptoWithKzg())
  const hashes = Array.from({ length: 10 }, (_, i) => `0x01${(i + 1).toString(16).padStart(62, '0')}` as Hex)
  const tx = createBlob4844Tx(
    { nonce: 0n, to: `0x${'11'.repeat(20)}`, gasLimit: 21000n, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n, maxFeePerBlobGas: 10n ** 9n, chainId: 1337n, blobVersionedHashes: hashes },
    { common: roomyCommon },
  ).sign(DEV_KEYS[2]!)
  const withTx = await sendRehashed({ ...env.payload, transactions: [bytesToHex(tx.serialize()) as Hex], blobGasUsed: hex(131072n * 10n) }, hashes)
  t.equal(withTx.status, 'INVALID', `a transaction with 10 blobs: ${withTx.validationError}`)
  const headerOnly = await sendRehashed({ ...env.payload, blobGasUsed: hex(131072n * 10n) }, [])
  t.equal(headerOnly.status, 'INVALID', `blobGasUsed of 10 blobs: ${headerOnly.validationError}`)
  const many = Array.from({ length: 1000 }, () => randomHash())
  const tooMany = await sendRehashed(env.payload, many)
  t.equal(tooMany.status, 'INVALID', '1,000 expected versioned hashes for a block without blobs')
})
