// --rpc.txfeecap: eth_sendRawTransaction refuses a fee (gas x fee cap) above the cap with geth's
// message, before the pool sees it; 0 turns the check off.
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { DEV_PRIVATE_KEYS } from '../../../../config/presets/dev-keys.ts'
import { MemoryKV } from '../../../../src/db/memory.ts'
import type { EthTxPool } from '../../../../src/rpc/eth/index.ts'
import { ethCaller, openChain } from './fixture.ts'

const chain = await openChain(new MemoryKV())
const added: Uint8Array[] = []
const pool: EthTxPool = {
  add: async (raw) => (added.push(raw), new Uint8Array(32)),
  get: () => undefined,
  pending: () => [],
}
// 1,000,000 gas at 2,000 gwei: a 2 ether fee.
const tx = createFeeMarket1559Tx(
  { nonce: 0n, to: '0x000000000000000000000000000000000000beef', gasLimit: 1_000_000n, maxFeePerGas: 2_000n * 10n ** 9n, maxPriorityFeePerGas: 1n, chainId: 1337n },
  { common: chain.common },
).sign(hexToBytes(DEV_PRIVATE_KEYS[0]!))
const raw = bytesToHex(tx.serialize())

t.test('a fee above the cap is refused with geth\'s message', async (t) => {
  const call = ethCaller(chain, { txpool: pool, options: { txFeeCap: 10n ** 18n } })
  t.strictSame(await call('eth_sendRawTransaction', [raw]), { error: { code: -32000, message: 'tx fee (2.00 ether) exceeds the configured cap (1.00 ether)' } })
  t.equal(added.length, 0, 'the pool never saw it')
})

t.test('a higher cap, or none, lets it through', async (t) => {
  for (const txFeeCap of [3n * 10n ** 18n, 0n]) {
    const call = ethCaller(chain, { txpool: pool, options: { txFeeCap } })
    t.ok('result' in (await call('eth_sendRawTransaction', [raw])), `cap ${txFeeCap}`)
  }
  t.equal(added.length, 2)
})
