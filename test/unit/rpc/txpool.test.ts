import t from 'tap'
import { devAddress, devGenesisJson, sendTx, startHarness } from '../../helpers/engine-harness.ts'

t.test('txpool_* reports pending and queued transactions', async (t) => {
  const h = await startHarness(devGenesisJson())
  try {
    const a = await sendTx(h.rpc, h.common, { key: 1, nonce: 0n, to: devAddress(2), value: 1n })
    await sendTx(h.rpc, h.common, { key: 1, nonce: 2n, to: devAddress(2), value: 2n }) // gap: queued
    t.same(await h.rpc.call('txpool_status', []), { pending: '0x1', queued: '0x1' })
    const content = (await h.rpc.call('txpool_content', [])) as { pending: Record<string, Record<string, { hash: string; blockHash: null }>>; queued: Record<string, Record<string, unknown>> }
    const sender = Object.keys(content.pending)[0]!
    t.equal(sender.toLowerCase(), devAddress(1).toLowerCase(), 'keyed by sender')
    t.equal(content.pending[sender]!['0']!.hash, a, 'pending by nonce')
    t.equal(content.pending[sender]!['0']!.blockHash, null)
    t.ok(content.queued[Object.keys(content.queued)[0]!]!['2'], 'queued by nonce')
    const from = (await h.rpc.call('txpool_contentFrom', [devAddress(1)])) as { pending: Record<string, unknown>; queued: Record<string, unknown> }
    t.same(Object.keys(from.pending), ['0'])
    t.same(Object.keys(from.queued), ['2'])
    const inspect = (await h.rpc.call('txpool_inspect', [])) as { pending: Record<string, Record<string, string>> }
    t.match(Object.values(inspect.pending)[0]!['0'], /: 1 wei \+ 21000 gas × \d+ wei$/)
    t.same(await h.rpc.call('txpool_contentFrom', [`0x${'00'.repeat(20)}`]), { pending: {}, queued: {} })
  } finally {
    await h.close()
  }
})
