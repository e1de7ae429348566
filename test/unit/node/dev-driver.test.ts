// The dev driver's automine: every transaction that reaches the pool gets mined, even when the block
// its arrival asked for was sealed before the pool had taken it in (an empty payload); and a burst that
// one block took in whole makes no empty block after it (--dev.period 0).
import t from 'tap'
import pino from 'pino'
import { commonFromGenesis, loadPreset } from '../../../config/index.ts'
import type { Chain } from '../../../src/chain/chain.ts'
import { DevDriver } from '../../../src/node/dev-driver.ts'

const HASH = `0x${'11'.repeat(32)}`

/** A node as the driver sees it: Engine API calls answered from a script, a pool with `pending` transactions. */
function fakeNode(payloadTxs: string[][], initiallyPending = 1) {
  let pending = initiallyPending
  const built: number[] = []
  const call = async (method: string): Promise<unknown> => {
    if (method.startsWith('engine_forkchoiceUpdated')) return { payloadStatus: { status: 'VALID' }, payloadId: '0x01' }
    if (method.startsWith('engine_getPayload')) {
      const txs = payloadTxs[built.length] ?? []
      built.push(txs.length)
      if (txs.length > 0) pending = 0
      return { executionPayload: { blockHash: HASH, blockNumber: `0x${built.length.toString(16)}`, transactions: txs }, executionRequests: [] }
    }
    if (method.startsWith('engine_newPayload')) return { status: 'VALID' }
    if (method === 'txpool_status') return { pending: `0x${pending.toString(16)}`, queued: '0x0' }
    throw new Error(`unexpected ${method}`)
  }
  const head = { hash: () => new Uint8Array(32), number: 0n, timestamp: 0n }
  const chain = { head, genesis: { hash: () => new Uint8Array(32) }, store: { getCanonicalHash: async () => undefined } } as unknown as Chain
  return { call, chain, built }
}

t.test('an automine block that came out empty while a transaction is pending is followed by another', async (t) => {
  const { call, chain, built } = fakeNode([[], ['0x02f8']])
  const common = commonFromGenesis(loadPreset('dev'))
  const driver = new DevDriver({ call, chain, common, logger: pino({ level: 'silent' }), period: 0 })
  driver.poke()
  const deadline = Date.now() + 5000
  while (built.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  await driver.stop()
  t.same(built, [0, 1], 'the empty block, then one with the transaction')
})

t.test('a transaction that arrives while evm_mine builds gets its own block afterwards', async (t) => {
  const { call, chain, built } = fakeNode([[], ['0x02f8']])
  const common = commonFromGenesis(loadPreset('dev'))
  const driver = new DevDriver({ call, chain, common, logger: pino({ level: 'silent' }), period: 0 })
  const mined = driver.mine()
  driver.poke() // arrives during evm_mine's block
  await mined
  const deadline = Date.now() + 5000
  while (built.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  await driver.stop()
  t.same(built, [0, 1], "evm_mine's block, then the automine block for the transaction")
})

t.test('a burst that one automine block took in whole is followed by no empty block', async (t) => {
  const { call, chain, built } = fakeNode([['0x02f8', '0x02f8', '0x02f8']], 3)
  const common = commonFromGenesis(loadPreset('dev'))
  const driver = new DevDriver({ call, chain, common, logger: pino({ level: 'silent' }), period: 0 })
  driver.poke()
  driver.poke() // the burst's later transactions arrive while the first one's block is built
  driver.poke()
  const deadline = Date.now() + 1000
  while (built.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  await new Promise((r) => setTimeout(r, 200)) // time for a (wrong) second block
  await driver.stop()
  t.same(built, [3], 'one block with the three transactions, nothing after it')
})
