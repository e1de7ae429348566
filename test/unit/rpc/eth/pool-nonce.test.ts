// poolNonce (eth_getTransactionCount "pending", eth_sendTransaction's nonce) when a block is imported
// while the state is read: the pool has already dropped the block's transactions, so counting them
// from the old head's state nonce answered a nonce that was too low (seen under `npm run load:ws`);
// and a pooled transaction counts whatever its fee cap (geth counts one below the base fee too).
import t from 'tap'
import { Address } from '@ethereumjs/util'
import { poolNonce } from '../../../../src/rpc/eth/accounts.ts'
import type { EthEnv } from '../../../../src/rpc/eth/env.ts'
import { ADDRS, GWEI, makePool, raw, signedTx } from '../../txpool/helpers.ts'

const SENDER = new Address(new Uint8Array(20).fill(1))
const header = (n: number) => ({ number: BigInt(n), hash: () => new Uint8Array(32).fill(n), baseFeePerGas: 7n, calcNextBaseFee: () => 7n })
const poolTx = (nonce: bigint) => ({ nonce, getSenderAddress: () => SENDER })

t.test('a head change while the state is read: the nonce is read again at the new head', async (t) => {
  const old = header(1)
  const next = header(2)
  let head = old
  // Head #1: nonces 0..4 used, 5 and 6 pooled. During the state read, #2 (with 5 and 6) is imported
  // and the pool drops them; 7 is pooled.
  const env = {
    reader: {
      get head() {
        return head
      },
      async stateAt(h: typeof old) {
        const nonce = h === old ? 5n : 7n
        head = next
        return { getAccount: async () => ({ nonce }) }
      },
    },
    ctx: { txpool: { pending: () => [poolTx(7n)] } },
  }
  // A fake with just what poolNonce reads (the real EthEnv needs a whole chain).
  t.equal(await poolNonce(env as unknown as EthEnv, SENDER), 8n, 'state nonce 7 at #2, plus the pooled 7')
})

t.test('no head change: state nonce plus the consecutive pooled nonces', async (t) => {
  const h = header(1)
  const env = {
    reader: { head: h, stateAt: async () => ({ getAccount: async () => ({ nonce: 3n }) }) },
    ctx: { txpool: { pending: () => [poolTx(4n), poolTx(3n), poolTx(6n)] } },
  }
  t.equal(await poolNonce(env as unknown as EthEnv, SENDER), 5n, '3 and 4 pooled; 6 is after a gap')
})

t.test('a pooled transaction whose max fee is below the next base fee still counts (geth’s GetPoolNonce)', async (t) => {
  const { pool } = makePool()
  await pool.add(raw(signedTx({ nonce: 0n, fee: 10n * GWEI })))
  await pool.add(raw(signedTx({ nonce: 1n, fee: 100n * GWEI })))
  // The next block's base fee (50 gwei) is above the first transaction's cap: it waits in the pool
  // for the base fee to fall, and its nonce is taken all the same.
  const h = { ...header(1), calcNextBaseFee: () => 50n * GWEI }
  const env = { reader: { head: h, stateAt: async () => ({ getAccount: async () => ({ nonce: 0n }) }) }, ctx: { txpool: pool } }
  t.equal(await poolNonce(env as unknown as EthEnv, ADDRS[0]!), 2n, 'nonces 0 and 1 are taken')
})
