// The dev-chain helpers of `parallax node --dev`: evm_snapshot / evm_revert move the head back by
// forkchoice and the reverted transactions return to the pool; evm_mine (with a timestamp),
// evm_increaseTime and evm_setNextBlockTimestamp set block timestamps; evm_setAutomine switches
// block-per-transaction mining; state edits (anvil_setBalance, ...) are refused with the reason.
import t from 'tap'
import { startNodeProcess } from '../helpers/node-process.ts'

const ACCOUNT0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
const TO = '0x000000000000000000000000000000000000beef'
interface BlockRpc {
  number: string
  hash: string
  timestamp: string
  transactions: string[]
}

t.test('dev-chain helpers', async (t) => {
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0'])
  t.teardown(() => node.stop())
  const rpc = node.http!
  const head = async (): Promise<BlockRpc> => (await rpc.call('eth_getBlockByNumber', ['latest', false])) as BlockRpc
  const waitFor = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      if (await ok()) return
      await new Promise((r) => setTimeout(r, 200))
    }
    throw new Error(`timed out waiting for ${what}`)
  }
  const send = async (value: number): Promise<string> => (await rpc.call('eth_sendTransaction', [{ from: ACCOUNT0, to: TO, value: `0x${value.toString(16)}` }])) as string
  const receipt = async (h: string): Promise<unknown> => rpc.call('eth_getTransactionReceipt', [h])

  await t.test('evm_mine, evm_increaseTime, evm_setNextBlockTimestamp', async (t) => {
    const before = await head()
    t.equal(await rpc.call('evm_mine', []), '0x0')
    const one = await head()
    t.equal(BigInt(one.number), BigInt(before.number) + 1n, 'evm_mine adds a block')
    const ts = BigInt(one.timestamp) + 1000n
    await rpc.call('evm_mine', [`0x${ts.toString(16)}`])
    const two = await head()
    t.equal(BigInt(two.timestamp), ts, 'evm_mine(timestamp) uses that timestamp')
    const offset = BigInt((await rpc.call('evm_increaseTime', [3600])) as string)
    t.ok(offset >= 3600n, `evm_increaseTime answers the total offset (${offset} s)`)
    await rpc.call('evm_mine', [])
    const three = await head()
    t.ok(BigInt(three.timestamp) >= ts + 3600n, `an hour later: ${BigInt(three.timestamp) - ts} s after the previous block`)
    const next = BigInt(three.timestamp) + 777n
    t.equal(await rpc.call('evm_setNextBlockTimestamp', [Number(next)]), null)
    await rpc.call('evm_mine', [])
    t.equal(BigInt((await head()).timestamp), next, 'evm_setNextBlockTimestamp: the next block has exactly it')
    const past = await rpc.raw('evm_mine', [`0x${(next - 1n).toString(16)}`])
    t.match(past.error, { code: -32000, message: /is not after the head's/ }, 'a timestamp not after the head is refused')
    t.match((await rpc.raw('evm_setNextBlockTimestamp', [Number(next)])).error, { message: /not after the head's/ })
  })

  await t.test('evm_snapshot / evm_revert: the head moves back, the transactions return to the pool', async (t) => {
    const snapId = (await rpc.call('evm_snapshot', [])) as string
    const base = await head()
    const h1 = await send(1)
    await waitFor('the first transaction mined (automine)', async () => (await receipt(h1)) !== null)
    const h2 = await send(2)
    await waitFor('the second transaction mined', async () => (await receipt(h2)) !== null)
    const tip = await head()
    t.ok(BigInt(tip.number) >= BigInt(base.number) + 2n, 'two blocks past the snapshot')
    t.equal(await rpc.call('evm_setAutomine', [false]), null, 'automine off, so re-pooled transactions stay pooled')
    t.equal(await rpc.call('evm_revert', [snapId]), true)
    const back = await head()
    t.equal(back.hash, base.hash, 'the head is the snapshot block again')
    t.equal(await receipt(h1), null, 'the reverted transactions have no receipt')
    await waitFor('the reverted transactions back in the pool', async () => {
      const status = (await rpc.call('txpool_status', [])) as { pending: string }
      return BigInt(status.pending) === 2n
    }).catch(() => undefined)
    const content = (await rpc.call('txpool_content', [])) as { pending: Record<string, Record<string, { hash: string }>> }
    const pooled = Object.values(content.pending[ACCOUNT0] ?? {}).map((x) => x.hash).sort()
    t.same(pooled, [h1, h2].sort(), 'both transactions are pending in the pool again')
    t.equal(await rpc.call('evm_revert', [snapId]), false, 'a snapshot is used up by its revert')
    await rpc.call('evm_mine', [])
    const remined = (await head()) as BlockRpc
    t.same([...remined.transactions].sort(), [h1, h2].sort(), 'evm_mine includes them again')
    t.equal(await rpc.call('evm_setAutomine', [true]), null)
    const h3 = await send(3)
    await waitFor('automine on again', async () => (await receipt(h3)) !== null)
  })

  await t.test('a revert past the finality the driver keeps behind: snapshots hold safe/finalized back', async (t) => {
    const id = (await rpc.call('evm_snapshot', [])) as string
    const base = await head()
    for (let i = 0; i < 6; i++) await rpc.call('evm_mine', [])
    const fin = (await rpc.call('eth_getBlockByNumber', ['finalized', false])) as BlockRpc
    t.ok(BigInt(fin.number) <= BigInt(base.number), `finalized (#${BigInt(fin.number)}) did not pass the snapshot (#${BigInt(base.number)})`)
    t.equal(await rpc.call('evm_revert', [id]), true)
    t.equal((await head()).hash, base.hash, 'six blocks reverted')
  })

  await t.test('state edits are refused, saying why', async (t) => {
    for (const m of ['anvil_setBalance', 'hardhat_setBalance', 'anvil_setCode', 'anvil_setStorageAt', 'anvil_setNonce']) {
      const r = await rpc.raw(m, [ACCOUNT0, '0x1'])
      t.match(r.error, { code: -32004, message: new RegExp(`^${m} is not supported: .*only by executing blocks.*Engine API`) }, m)
    }
    t.match((await rpc.raw('anvil_impersonateAccount', [ACCOUNT0])).error, { code: -32004, message: /no valid signature/ })
  })
})
