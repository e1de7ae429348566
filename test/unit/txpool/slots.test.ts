// The --txpool.* slot limits (geth's): executable slots in all and per account guarantee, the queue's
// total, the per-account queue, the minimum tip, and the queue lifetime checked at new heads.
import t from 'tap'
import { TxPool } from '../../../src/txpool/index.ts'
import { txpoolLimits } from '../../../src/cli/flags-geth.ts'
import { createLogger } from '../../../src/util/logger.ts'
import { common, FakeState, GWEI, raw, signedTx } from './helpers.ts'

function pool(flags: Partial<Parameters<typeof txpoolLimits>[0]>, now: () => number = Date.now): TxPool {
  const limits = txpoolLimits({ priceLimit: 1n, accountSlots: 16, globalSlots: 5120, accountQueue: 64, globalQueue: 1024, lifetimeMs: 3 * 3_600_000, ...flags })
  return new TxPool({ common, state: new FakeState(), logger: createLogger({ verbosity: 0 }), limits, now })
}

t.test('--txpool.pricelimit: a tip below it is refused', async (t) => {
  const p = pool({ priceLimit: 5n * GWEI })
  await t.rejects(p.add(raw(signedTx({ tip: 4n * GWEI }))), /gas price below minimum: gas tip cap 4000000000, minimum needed 5000000000/)
  await t.resolves(p.add(raw(signedTx({ tip: 5n * GWEI }))))
})

t.test('--txpool.globalslots with --txpool.accountslots: an account past its guarantee gets no more once the executable part is full', async (t) => {
  const p = pool({ globalSlots: 4, accountSlots: 2 })
  for (let n = 0n; n < 3n; n++) await p.add(raw(signedTx({ key: 0, nonce: n })))
  await p.add(raw(signedTx({ key: 1, nonce: 0n })))
  t.equal(p.size.pending, 4, 'executable part full')
  await t.rejects(p.add(raw(signedTx({ key: 0, nonce: 3n }))), /account limit exceeded/, 'account 0 holds 3 > 2 guaranteed')
  await t.resolves(p.add(raw(signedTx({ key: 1, nonce: 1n }))), 'account 1 is within its 2 guaranteed slots')
  await t.rejects(p.add(raw(signedTx({ key: 1, nonce: 2n }))), /account limit exceeded/, 'and then past them')
})

t.test('--txpool.globalqueue and --txpool.accountqueue bound the non-executable part', async (t) => {
  const q = pool({ accountQueue: 2 })
  await q.add(raw(signedTx({ key: 0, nonce: 5n })))
  await q.add(raw(signedTx({ key: 0, nonce: 6n })))
  await t.rejects(q.add(raw(signedTx({ key: 0, nonce: 7n }))), /account limit exceeded/, 'third queued of one account')
  const g = pool({ globalQueue: 3 })
  for (const key of [0, 1, 2]) await g.add(raw(signedTx({ key, nonce: 5n })))
  t.equal(g.size.queued, 3)
  await t.rejects(g.add(raw(signedTx({ key: 3, nonce: 5n }))), /txpool is full/, 'queue full')
  await t.resolves(g.add(raw(signedTx({ key: 3, nonce: 0n }))), 'an executable one still enters')
})

t.test('--txpool.lifetime: queued transactions older than it go at the next head; executable ones stay', async (t) => {
  let clock = 1_000_000
  const p = pool({ lifetimeMs: 60_000 }, () => clock)
  await p.add(raw(signedTx({ key: 0, nonce: 0n })))
  await p.add(raw(signedTx({ key: 1, nonce: 3n })))
  clock += 30_000
  await p.onNewHead([], [])
  t.same(p.size, { pending: 1, queued: 1 }, 'within the lifetime')
  clock += 31_000
  await p.onNewHead([], [])
  t.same(p.size, { pending: 1, queued: 0 }, 'the queued one expired; the executable one stays')
})
