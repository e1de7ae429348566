// Seeded hostile JSON-RPC request bodies: bad JSON, wrong types, huge numbers, odd hex, batches,
// nested arrays, unicode, empty bodies. Each body is a string exactly as it goes on the wire; the
// same seed gives the same bodies. Hashes are random, so no body names a block the node knows (a
// mutant must never move the head by picking a real hash).
import type { Rng } from '../helpers/workloads/keys.ts'

const ETH_METHODS = [
  'eth_blockNumber', 'eth_chainId', 'eth_gasPrice', 'eth_maxPriorityFeePerGas', 'eth_feeHistory', 'eth_getBalance',
  'eth_getCode', 'eth_getStorageAt', 'eth_getTransactionCount', 'eth_getBlockByNumber', 'eth_getBlockByHash',
  'eth_getBlockReceipts', 'eth_getTransactionByHash', 'eth_getTransactionReceipt', 'eth_getLogs', 'eth_call',
  'eth_estimateGas', 'eth_createAccessList', 'eth_sendRawTransaction', 'eth_getProof', 'eth_syncing', 'eth_accounts',
  'net_version', 'net_listening', 'web3_clientVersion', 'web3_sha3', 'txpool_status', 'txpool_content',
] as const
const ENGINE_METHODS = [
  'engine_exchangeCapabilities', 'engine_forkchoiceUpdatedV1', 'engine_forkchoiceUpdatedV2', 'engine_forkchoiceUpdatedV3',
  'engine_newPayloadV1', 'engine_newPayloadV2', 'engine_newPayloadV3', 'engine_newPayloadV4', 'engine_getPayloadV3',
  'engine_getPayloadV4', 'engine_getPayloadBodiesByHashV1', 'engine_getPayloadBodiesByRangeV1', 'engine_getBlobsV1',
  'engine_getClientVersionV1',
] as const
const WEIRD_STRINGS = ['', '0x', '0X1', '0xg', '0x0', '0x00', '0x1', '-0x1', '0x' + 'f'.repeat(65), '1e400', 'latest', 'pending', 'safe', 'finalized', 'earliest', '\u0000', '\ud800', '💥', 'null', '__proto__', 'constructor', ' 0x1 ']

function hex(rng: Rng, bytes: number): string {
  let s = '0x'
  for (const b of rng.bytes(bytes)) s += b.toString(16).padStart(2, '0')
  return s
}

/** A JSON value of a random kind (depth-bounded). */
export function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 3 ? 9 : 13)) {
    case 0: return null
    case 1: return rng.chance(0.5)
    case 2: return rng.int(-1000, 1_000_000)
    case 3: return rng.pick([1e308, -1e308, 2 ** 53 + 1, 0.5, -0, Number.MAX_SAFE_INTEGER])
    case 4: return rng.pick(WEIRD_STRINGS)
    case 5: return hex(rng, rng.pick([0, 1, 8, 20, 31, 32, 33, 64]))
    case 6: return hex(rng, rng.int(0, 40)).slice(0, rng.int(2, 12)) // odd lengths
    case 7: return hex(rng, 32).toUpperCase().replace('0X', rng.chance(0.5) ? '0X' : '0x')
    case 8: return `0x${'f'.repeat(rng.int(1, 200))}`
    case 9: return String.fromCodePoint(rng.int(0x20, 0x2fff)).repeat(rng.int(1, 30))
    case 10: return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1))
    case 11: return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [rng.pick(['from', 'to', 'data', 'input', 'gas', 'value', 'blockHash', 'fromBlock', 'address', 'topics', 'x', '']), randomValue(rng, depth + 1)]))
    case 12: return { from: hex(rng, 20), to: rng.chance(0.5) ? hex(rng, 20) : null, gas: randomValue(rng, depth + 1), value: randomValue(rng, depth + 1), data: hex(rng, rng.int(0, 64)) }
    default: return { fromBlock: randomValue(rng, depth + 1), toBlock: rng.pick(['latest', '0x0', '0xffffffffffff']), address: rng.chance(0.5) ? hex(rng, 20) : [hex(rng, 20), 42], topics: [[hex(rng, 32), null], null] }
  }
}

function randomCall(rng: Rng, methods: readonly string[]): Record<string, unknown> {
  const call: Record<string, unknown> = { jsonrpc: '2.0', id: rng.int(0, 1_000_000), method: rng.pick(methods), params: Array.from({ length: rng.int(0, 4) }, () => randomValue(rng)) }
  // Break one thing of the envelope now and then.
  switch (rng.int(0, 12)) {
    case 0: call['jsonrpc'] = rng.pick(['1.0', 2, null, '2.0 ']); break
    case 1: delete call['id']; break // a notification
    case 2: call['id'] = rng.pick([null, {}, [], 1.5, 'x'.repeat(100), true]); break
    case 3: call['method'] = rng.pick([42, null, '', 'eth_', 'ENGINE_NEWPAYLOADV4', 'rpc.discover', '💥', ['eth_blockNumber']]); break
    case 4: call['params'] = rng.pick([{}, 'x', 7, { 0: '0x1' }]); break
    case 5: delete call['params']; break
    case 6: call['extra'] = randomValue(rng); break
  }
  return call
}

/** One hostile body for a port serving `methods`. */
export function randomBody(rng: Rng, methods: 'eth' | 'engine'): string {
  const names: readonly string[] = methods === 'engine' ? [...ENGINE_METHODS, ...ETH_METHODS] : ETH_METHODS
  const kind = rng.int(0, 11)
  switch (kind) {
    case 0: return rng.pick(['', ' ', '\n', 'null', '[]', '{}', '"x"', '0', 'true', '[[]]', '[null]', '[1,2,3]'])
    case 1: { // truncated or corrupted JSON
      const s = JSON.stringify(randomCall(rng, names))
      return rng.chance(0.5) ? s.slice(0, rng.int(0, s.length - 1)) : s.replace(/[",:{}]/, rng.pick(['', "'", ';', '\\']))
    }
    case 2: return String.fromCharCode(...Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 255)))
    case 3: { // a batch, sometimes nested, sometimes with junk entries
      const n = rng.int(1, 30)
      return JSON.stringify(Array.from({ length: n }, () => (rng.chance(0.15) ? randomValue(rng) : rng.chance(0.1) ? [randomCall(rng, names)] : randomCall(rng, names))))
    }
    case 4: return '['.repeat(rng.int(10, 3000)) // unbalanced deep nesting
    case 5: { // deep but balanced nesting in params
      const d = rng.int(10, 2000)
      return `{"jsonrpc":"2.0","id":1,"method":"${rng.pick(names)}","params":${'['.repeat(d)}1${']'.repeat(d)}}`
    }
    case 6: return `{"jsonrpc":"2.0","id":1,"method":"${rng.pick(names)}","params":[${rng.pick(['1e99999', '-1e99999', '123456789012345678901234567890', '0.0000000001', '0x1'])}]}`
    case 7: return `{"jsonrpc":"2.0","id":"\\ud800${rng.int(0, 9)}","method":"eth_blockNumber","params":[]}` // lone surrogate
    case 8: return JSON.stringify({ ...randomCall(rng, names), jsonrpc: '2.0' }).replace('"jsonrpc"', '"jsonrpc":"1.0","jsonrpc"') // duplicate keys
    default: return JSON.stringify(randomCall(rng, names))
  }
}
