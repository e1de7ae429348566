// A reorg on a real `parallax node --dev --ws`, made with the dev helpers: evm_snapshot, a block with a
// contract's log, evm_revert (the block is taken out; automine off keeps its transaction pooled),
// then evm_mine builds a different block at the same height on the snapshot. WebSocket `logs`
// subscribers get the log, then the same log with `removed: true`, then the new block's; `newHeads`
// subscribers get a second head for that height (the new branch's); a polling filter
// (eth_newFilter + eth_getFilterChanges over HTTP) reports the removed log too.
import t from 'tap'
import { startNodeProcess } from '../helpers/node-process.ts'
import { PING_INIT, PING_TOPIC, word, wsUrl } from '../helpers/ping-contract.ts'
import { until, WsSubscriber } from '../helpers/ws-subscriber.ts'

const ACCOUNT0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
interface FilterLog {
  data: string
  blockHash: string
  blockNumber: string
  removed: boolean
}

t.test('snapshot/revert reorg: removed logs and the new branch head over WebSocket and filters', async (t) => {
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0', '--ws', '--ws.port', '0', '--rpc.evmtimeout', '60s'])
  t.teardown(async () => void (await node.stop()))
  const rpc = node.http!
  const receipt = async (h: string): Promise<{ contractAddress: string | null; blockHash: string; blockNumber: string } | undefined> =>
    ((await rpc.call('eth_getTransactionReceipt', [h])) as { contractAddress: string | null; blockHash: string; blockNumber: string } | null) ?? undefined
  const mined = (h: string) => until(`receipt of ${h}`, () => receipt(h))

  const deploy = (await rpc.call('eth_sendTransaction', [{ from: ACCOUNT0, data: PING_INIT }])) as string
  const address = (await mined(deploy)).contractAddress!
  t.match(address, /^0x[0-9a-f]{40}$/, 'the Ping contract is deployed (automine)')

  const subs = await Promise.all([1, 2, 3].map(() => WsSubscriber.connect(wsUrl(node))))
  t.teardown(() => subs.forEach((s) => s.close()))
  for (const s of subs) {
    s.subscribe('newHeads')
    s.subscribe('logs', { address, topics: [PING_TOPIC] })
  }
  await until('every subscription id', () => (subs.every((s) => s.answered === 2) ? true : undefined))
  const filter = (await rpc.call('eth_newFilter', [{ address }])) as string
  const polled: FilterLog[] = []
  const poll = async (): Promise<void> => void polled.push(...((await rpc.call('eth_getFilterChanges', [filter])) as FilterLog[]))

  const snap = (await rpc.call('evm_snapshot', [])) as string
  const base = (await rpc.call('eth_getBlockByNumber', ['latest', false])) as { number: string; hash: string }
  const height = Number(base.number) + 1
  const tx = (await rpc.call('eth_sendTransaction', [{ from: ACCOUNT0, to: address, data: word(42) }])) as string
  const old = await mined(tx)
  t.equal(Number(old.blockNumber), height, 'the log is in the block after the snapshot')
  await poll()
  t.equal(await rpc.call('evm_setAutomine', [false]), null, 'automine off: the reverted transaction stays pooled')
  t.equal(await rpc.call('evm_revert', [snap]), true, 'evm_revert takes the block out')
  t.equal(await receipt(tx), undefined, 'its receipt is gone')
  await until('the removed log on every subscriber', () => (subs.every((s) => s.logs.some((l) => l.removed)) ? true : undefined), 30_000)
  await poll()
  // The new branch: a later timestamp than the reverted block's makes it a different block at that height.
  const oldBlock = (await rpc.call('eth_getBlockByHash', [old.blockHash, false])) as { timestamp: string }
  await rpc.call('evm_mine', [`0x${(BigInt(oldBlock.timestamp) + 5n).toString(16)}`])
  const fresh = await mined(tx)
  t.not(fresh.blockHash, old.blockHash, 'evm_mine built a different block with the re-pooled transaction')
  t.equal(Number(fresh.blockNumber), height, 'at the same height')
  await until('the new branch head on every subscriber', () => (subs.every((s) => s.heads.some((h) => h.hash === fresh.blockHash)) ? true : undefined), 30_000)
  await until('the new log on every subscriber', () => (subs.every((s) => s.logs.length >= 3) ? true : undefined), 30_000)
  await poll()
  t.equal(await rpc.call('evm_setAutomine', [true]), null)

  const want = [
    { data: word(42), blockNumber: height, blockHash: old.blockHash, removed: false },
    { data: word(42), blockNumber: height, blockHash: old.blockHash, removed: true },
    { data: word(42), blockNumber: height, blockHash: fresh.blockHash, removed: false },
  ]
  for (const [i, s] of subs.entries()) {
    t.same(s.logs, want, `subscriber ${i}: the log, the same log removed, the new block's log`)
    const atHeight = s.heads.filter((h) => h.number === height).map((h) => h.hash)
    t.same(atHeight, [old.blockHash, fresh.blockHash], `subscriber ${i}: two newHeads lines for #${height}, the new branch's last`)
    // The revert itself (a pure rewind to an ancestor) sends no newHeads line, as anvil's evm_revert.
    t.same(s.heads.slice(-2), [{ number: height, hash: old.blockHash }, { number: height, hash: fresh.blockHash }], `subscriber ${i}: the reverted head, then the new branch's, nothing between`)
    t.same(s.errors, [], `subscriber ${i}: no errors`)
  }
  t.same(
    polled.map((l) => ({ data: l.data, blockNumber: Number(l.blockNumber), blockHash: l.blockHash, removed: l.removed })),
    want,
    'eth_getFilterChanges: the log, the removed log, the new log',
  )
})
