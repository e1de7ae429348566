// Subscriptions and filters driven by a real Chain through a reorg: newHeads gives every block that
// becomes canonical once, in order (the new branch's blocks after the reorg); logs of the reorged-out
// block come back with `removed: true` before the new branch's; block and log filters collect the
// same; a subscription starts only once its id is sent, and stops at eth_unsubscribe. Pending
// transactions (hashes or full), the syncing subscription, and the filters' expiry and caps.
import t from 'tap'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import type { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, hexToBytes, privateToAddress } from '@ethereumjs/util'
import pino from 'pino'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../../config/index.ts'
import { Chain } from '../../../src/chain/chain.ts'
import { Emitter } from '../../../src/chain/events.ts'
import { initGenesis } from '../../../src/chain/genesis.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import { buildOnParent } from '../../../src/exec/build.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import type { SyncProgress } from '../../../src/rpc/eth/context.ts'
import { createLiveRpc } from '../../../src/rpc/live.ts'
import type { RpcHandler } from '../../../src/rpc/types.ts'

const KEY = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const SENDER = bytesToHex(privateToAddress(KEY))
const LOGGER = '0x000000000000000000000000000000000000c0de'
const OTHER = '0x000000000000000000000000000000000000c0df'
// CALLDATACOPY the calldata to memory and LOG1 it with topic 0x2a.
const RUNTIME = '0x366000600037602a366000a100'
const TOPIC = `0x${'2a'.padStart(64, '0')}`
const silent = pino({ level: 'silent' })

async function setup(): Promise<{ chain: Chain; common: Common }> {
  const spec = parseGenesis({
    config: {
      chainId: 1337, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0,
      petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0, mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0,
    },
    gasLimit: '0x1c9c380', difficulty: '0x0', timestamp: '0x0', extraData: '0x',
    alloc: { [SENDER]: { balance: '0x3635c9adc5dea00000' }, [LOGGER]: { code: RUNTIME, balance: '0x0' }, [OTHER]: { code: RUNTIME, balance: '0x0' } },
  })
  const common = commonFromGenesis(spec)
  const kv = new MemoryKV()
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  return { chain: await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent }), common }
}

/** A block on `parent` with one call to `to` whose calldata (and so the log's data) is `data`. */
async function build(chain: Chain, common: Common, parent: BlockHeader, nonce: number, data: string, to = LOGGER): Promise<Block> {
  const tx = createFeeMarket1559Tx(
    { nonce: BigInt(nonce), to: to as `0x${string}`, data: data as `0x${string}`, gasLimit: 100_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, chainId: 1337n },
    { common },
  ).sign(KEY)
  const built = await buildOnParent({
    parent,
    base: chain.store.kv,
    headerByHash: (h) => chain.store.getHeader(h),
    common,
    attributes: { timestamp: parent.timestamp + 12n, feeRecipient: new Uint8Array(20).fill(nonce + 1), prevRandao: new Uint8Array(32), withdrawals: [] },
    txs: [tx],
  })
  return built.block
}

interface Note {
  subscription: string
  result?: Record<string, unknown> & { number?: string; hash?: string; data?: string; removed?: boolean }
  error?: { code: number; message: string }
}

function call(methods: ReadonlyMap<string, RpcHandler>, name: string, params: unknown[] = []): Promise<unknown> {
  return new Promise((resolve) => resolve(methods.get(name)!(params)))
}

t.test('newHeads, logs and filters through a reorg', async (t) => {
  const { chain, common } = await setup()
  const live = createLiveRpc({ chain, logger: silent, getLogs: async () => [] })
  t.teardown(() => live.close())
  const sent: Note[] = []
  const session = live.hub.connect({ send: (text) => sent.push((JSON.parse(text) as { params: Note }).params), buffered: () => 0 })
  const heads = (await session.methods.get('eth_subscribe')!(['newHeads'])) as string
  const logs = (await session.methods.get('eth_subscribe')!(['logs', { address: LOGGER, topics: [TOPIC] }])) as string
  const blockFilter = (await call(live.methods, 'eth_newBlockFilter')) as string
  const logFilter = (await call(live.methods, 'eth_newFilter', [{ address: [LOGGER] }])) as string

  const a1 = await build(chain, common, chain.head, 0, '0xa1')
  await chain.insertBlock(a1, { setHead: true })
  await live.feed.idle()
  t.equal(sent.length, 0, 'nothing before the subscription ids were sent')
  session.activate()

  const a2 = await build(chain, common, a1.header, 1, '0xa2')
  await chain.insertBlock(a2, { setHead: true })
  const b2 = await build(chain, common, a1.header, 1, '0xb2')
  await chain.insertBlock(b2)
  const b3 = await build(chain, common, b2.header, 2, '0xb3')
  await chain.insertBlock(b3)
  await chain.setHead(b3.hash()) // reorg: A2 out, B2 and B3 in
  const other = await build(chain, common, b3.header, 3, '0x0f', OTHER)
  await chain.insertBlock(other, { setHead: true })
  await live.feed.idle()

  const headNotes = sent.filter((n) => n.subscription === heads).map((n) => n.result!)
  t.same(
    headNotes.map((h) => [h.number, h.hash]),
    [a2, b2, b3, other].map((b) => [`0x${b.header.number.toString(16)}`, bytesToHex(b.hash())]),
    'each new canonical block once, in order, the new branch after the reorg',
  )
  const logNotes = sent.filter((n) => n.subscription === logs).map((n) => n.result!)
  t.same(
    logNotes.map((l) => [l.data, l.removed]),
    [
      ['0xa2', false],
      ['0xa2', true],
      ['0xb2', false],
      ['0xb3', false],
    ],
    'the reorged-out log comes back removed before the new branch logs; the other address is filtered out',
  )
  t.equal(logNotes[1]!['blockHash'], bytesToHex(a2.hash()), 'the removed log names its old block')

  const blocks = (await call(live.methods, 'eth_getFilterChanges', [blockFilter])) as string[]
  t.same(blocks, [a1, a2, b2, b3, other].map((b) => bytesToHex(b.hash())), 'the block filter collected every new head')
  t.same(await call(live.methods, 'eth_getFilterChanges', [blockFilter]), [], 'a poll returns only what is new')
  const filtered = (await call(live.methods, 'eth_getFilterChanges', [logFilter])) as { data: string; removed: boolean }[]
  t.same(filtered.map((l) => [l.data, l.removed]), [['0xa1', false], ['0xa2', false], ['0xa2', true], ['0xb2', false], ['0xb3', false]], 'the log filter too')

  t.equal(await session.methods.get('eth_unsubscribe')!([heads]), true)
  await t.rejects(call(session.methods, 'eth_unsubscribe', [heads]), { message: 'subscription not found' })
  const before = sent.length
  const next = await build(chain, common, other.header, 4, '0xff')
  await chain.insertBlock(next, { setHead: true })
  await live.feed.idle()
  t.same(sent.slice(before).map((n) => n.subscription), [logs], 'after eth_unsubscribe only the logs subscription hears of the next block')
  session.close()
  t.equal(live.hub.size, 0, 'closing the connection ends its subscriptions')
})

t.test('filters: 5-minute expiry of unpolled filters, a cap on live ones, bounded unpolled changes, eth_subscribe over HTTP', async (t) => {
  const { chain, common } = await setup()
  let now = 1_000_000
  const live = createLiveRpc({ chain, logger: silent, getLogs: async (c) => ({ criteria: c }), filters: { maxFilters: 3, maxChanges: 2, now: () => now } })
  t.teardown(() => live.close())
  const m = live.methods
  const polled = (await call(m, 'eth_newBlockFilter')) as string
  const idle = (await call(m, 'eth_newPendingTransactionFilter')) as string
  const logs = (await call(m, 'eth_newFilter', [{ fromBlock: '0x0', address: LOGGER }])) as string
  await t.rejects(call(m, 'eth_newBlockFilter'), { code: 'RPC_-32005' }, 'a fourth filter is refused')
  t.same(await call(m, 'eth_getFilterLogs', [logs]), { criteria: { fromBlock: '0x0', address: LOGGER } }, 'eth_getFilterLogs runs eth_getLogs with the criteria')
  await t.rejects(call(m, 'eth_getFilterLogs', [polled]), { message: 'filter not found' }, 'not a log filter')

  now += 4 * 60_000
  await call(m, 'eth_getFilterChanges', [polled])
  await call(m, 'eth_getFilterLogs', [logs]) // polling the logs counts too
  now += 2 * 60_000 // 6 min after install; `polled` was polled 2 min ago
  live.filters.sweep()
  await t.rejects(call(m, 'eth_getFilterChanges', [idle]), { message: 'filter not found' }, 'unpolled for 5 minutes: removed')
  t.same(await call(m, 'eth_getFilterChanges', [polled]), [], 'a polled filter lives on')

  let parent = chain.head
  for (let i = 0; i < 3; i++) {
    const b = await build(chain, common, parent, i, '0x01')
    await chain.insertBlock(b, { setHead: true })
    parent = b.header
  }
  await live.feed.idle()
  await t.rejects(call(m, 'eth_getFilterChanges', [polled]), { code: 'RPC_-32005' }, 'more unpolled changes than the limit: the filter says so')
  await t.rejects(call(m, 'eth_getFilterChanges', [polled]), { message: 'filter not found' }, 'and is gone')
  t.equal(await call(m, 'eth_uninstallFilter', [logs]), true)
  t.equal(await call(m, 'eth_uninstallFilter', [logs]), false, 'uninstalling twice answers false')
  await t.rejects(call(m, 'eth_subscribe', ['newHeads']), { message: 'notifications not supported' }, 'eth_subscribe without a connection')
})

t.test('newPendingTransactions: hashes, or full transactions with `true`; syncing on a change of state', async (t) => {
  const { chain, common } = await setup()
  const pending = new Emitter<TypedTransaction>()
  let syncing: false | SyncProgress = false
  const live = createLiveRpc({ chain, pending, logger: silent, getLogs: async () => [], syncing: () => syncing })
  t.teardown(() => live.close())
  const sent: Note[] = []
  const session = live.hub.connect({ send: (text) => sent.push((JSON.parse(text) as { params: Note }).params), buffered: () => 0 })
  const hashes = (await call(session.methods, 'eth_subscribe', ['newPendingTransactions'])) as string
  const full = (await call(session.methods, 'eth_subscribe', ['newPendingTransactions', true])) as string
  const sync = (await call(session.methods, 'eth_subscribe', ['syncing'])) as string
  await t.rejects(call(session.methods, 'eth_subscribe', ['newPendingTransactions', 'yes']), { code: 'RPC_-32602' })
  await t.rejects(call(session.methods, 'eth_subscribe', ['logs', { fromBlock: '0x1' }]), { code: 'RPC_-32602' }, 'a logs subscription takes no range')
  const filter = (await call(live.methods, 'eth_newPendingTransactionFilter')) as string
  const fullFilter = (await call(live.methods, 'eth_newPendingTransactionFilter', [true])) as string
  session.activate()
  const tx = createFeeMarket1559Tx({ nonce: 0n, to: LOGGER, gasLimit: 50_000n, maxFeePerGas: 10n ** 10n, chainId: 1337n }, { common }).sign(KEY)
  pending.emit(tx)
  const hash = bytesToHex(tx.hash())
  t.same(sent.find((n) => n.subscription === hashes)?.result, hash, 'the hash')
  const fullTx = sent.find((n) => n.subscription === full)?.result
  t.equal(fullTx?.['hash'], hash, 'the full transaction')
  t.equal(fullTx?.['blockHash'], null, 'as pending')
  t.same(await call(live.methods, 'eth_getFilterChanges', [filter]), [hash], 'the pending filter too')
  t.same(((await call(live.methods, 'eth_getFilterChanges', [fullFilter])) as { hash: string }[]).map((x) => x.hash), [hash], 'full transactions with `true`')

  const b1 = await build(chain, common, chain.head, 0, '0x01')
  await chain.insertBlock(b1, { setHead: true })
  await live.feed.idle()
  t.equal(sent.filter((n) => n.subscription === sync).length, 0, 'not syncing, no change: nothing')
  syncing = { startingBlock: 1n, currentBlock: 1n, highestBlock: 9n }
  const b2 = await build(chain, common, b1.header, 1, '0x02')
  await chain.insertBlock(b2, { setHead: true })
  await live.feed.idle()
  t.same(sent.filter((n) => n.subscription === sync).map((n) => n.result), [{ syncing: true, status: { startingBlock: '0x1', currentBlock: '0x1', highestBlock: '0x9' } }], 'syncing started')
})
