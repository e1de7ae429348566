// eth_getLogs limits (issue 15 item 2): the block range and the result count, each a -32602 naming
// the limit, and a long scan that leaves the event loop free for other calls.
import t from 'tap'
import { MemoryKV } from '../../../../src/db/memory.ts'
import { ethCaller, LOGGER, LOGS_PER_CALL, mineLogBlocks, openChain } from './fixture.ts'

const chain = await openChain(new MemoryKV())
await mineLogBlocks(chain, 8)
const all = { fromBlock: '0x0', toBlock: 'latest', address: LOGGER }

t.test('defaults: reth\'s 100,000 blocks and 20,000 logs', async (t) => {
  const call = ethCaller(chain)
  const r = await call('eth_getLogs', [all])
  t.equal((r as { result: unknown[] }).result.length, 8 * LOGS_PER_CALL, 'every log within the limits')
  t.strictSame(await call('eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x186a1' }]), { error: { code: -32602, message: 'exceed maximum block range 100000' } })
})

t.test('result count limit: -32602 naming the limit and the range that fits', async (t) => {
  const call = ethCaller(chain, { options: { logsMaxResults: 12 } })
  t.strictSame(await call('eth_getLogs', [all]), { error: { code: -32602, message: 'query exceeds max results 12, retry with the range 0-2' } })
  const fits = await call('eth_getLogs', [{ ...all, toBlock: '0x2' }])
  t.equal((fits as { result: unknown[] }).result.length, 2 * LOGS_PER_CALL, 'the range it names is served')
  const block = await chain.store.getCanonicalHash(3n)
  const few = ethCaller(chain, { options: { logsMaxResults: 3 } })
  t.strictSame(await few('eth_getLogs', [{ blockHash: `0x${Buffer.from(block!).toString('hex')}` }]), { error: { code: -32602, message: 'query exceeds max results 3, retry with the range 3-3' } })
})

t.test('a long range scan yields: timers run during it', async (t) => {
  const call = ethCaller(chain)
  let ticks = 0
  const timer = setInterval(() => ticks++, 0)
  // Far past the head's blocks is refused; scan the existing ones many times over.
  const runs = await Promise.all(Array.from({ length: 20 }, () => call('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])))
  clearInterval(timer)
  t.ok(runs.every((r) => 'result' in r))
  t.ok(ticks > 0, `timer ran ${ticks} times during the scans`)
})

t.test('bloom pre-check: a filter that matches no block reads no receipts, one that does finds the logs', async (t) => {
  const call = ethCaller(chain)
  const other = '0x000000000000000000000000000000000000dead'
  t.strictSame(await call('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: other }]), { result: [] })
  const r = await call('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: [other, LOGGER], topics: [] }])
  t.equal((r as { result: unknown[] }).result.length, 8 * LOGS_PER_CALL, 'any of the addresses')
  const topic = `0x${'11'.repeat(32)}`
  t.strictSame(await call('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', topics: [topic] }]), { result: [] }, 'LOG0s have no topic')
})
