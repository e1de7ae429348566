import t from 'tap'
import { createLegacyTx } from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bigIntToUnpaddedBytes, bytesToHex, eoaCode7702SignAuthorization, equalsBytes, intToHex } from '@ethereumjs/util'
import { RpcCode, RpcError } from '../../../src/rpc/errors.ts'
import { TxPoolError, TxPoolReason as R } from '../../../src/txpool/index.ts'
import { ADDRS, GWEI, KEYS, TO, common, devCommon, makePool, raw, rejection, signedTx, tamper } from './helpers.ts'

const hashes = (txs: TypedTransaction[]): string[] => txs.map((tx) => bytesToHex(tx.hash()))
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

t.test('accepts every transaction type, returns the hash, get() finds it, onAdd fires', async (t) => {
  const seen: TypedTransaction[] = []
  const { pool } = makePool({ onAdd: (tx) => seen.push(tx) })
  const auth = eoaCode7702SignAuthorization({ chainId: intToHex(1337), address: TO, nonce: '0x0' }, KEYS[4]!)
  const txs = [
    signedTx({ key: 0, type: 0 }),
    signedTx({ key: 1, type: 1 }),
    signedTx({ key: 2, type: 2 }),
    signedTx({ key: 3, type: 4, gas: 100_000n, authorizationList: [auth] }),
  ]
  for (const tx of txs) {
    const hash = await pool.add(raw(tx))
    t.ok(equalsBytes(hash, tx.hash()), `type ${tx.type}: hash returned`)
    t.equal(pool.get(hash)?.type, tx.type, `type ${tx.type}: get() finds it`)
  }
  t.same(pool.size, { pending: 4, queued: 0 })
  t.same(hashes(seen), hashes(txs), 'onAdd saw each transaction')
  t.equal(pool.get(new Uint8Array(32)), undefined)
})

t.test('rejections carry geth messages, code -32000 and a reason', async (t) => {
  const { pool, state } = makePool()
  const err = await pool.add(new Uint8Array([0x05, 0xc0])).catch((e: unknown) => e)
  t.ok(err instanceof TxPoolError && err instanceof RpcError, 'TxPoolError extends RpcError')
  t.equal((err as RpcError).rpcCode, RpcCode.Server)
  t.equal((err as TxPoolError).reason, R.TypeNotSupported)
  t.equal((err as Error).message, 'transaction type not supported')

  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    ['garbage', () => pool.add(new Uint8Array([0xc3, 0x01])), R.Malformed, /^rlp: /],
    ['empty', () => pool.add(new Uint8Array()), R.Malformed, /^typed transaction too short$/],
    [
      'wrong chain id (typed)',
      () => pool.add(tamper(signedTx(), (f) => (f[0] = bigIntToUnpaddedBytes(1n)))),
      R.InvalidSender,
      /^invalid sender: invalid chain id for signer$/,
    ],
    [
      'wrong chain id (legacy EIP-155)',
      () => pool.add(createLegacyTx({ gasLimit: 21000n, gasPrice: GWEI, to: TO }).sign(KEYS[0]!).serialize()),
      R.InvalidSender,
      /^invalid sender: invalid chain id for signer$/,
    ],
    ['high s', () => pool.add(tamper(signedTx(), (f) => (f[11] = bigIntToUnpaddedBytes(SECP256K1_N - 1n)))), R.InvalidSender, /^invalid sender: invalid transaction v, r, s values$/],
    ['y-parity 2', () => pool.add(tamper(signedTx(), (f) => (f[9] = bigIntToUnpaddedBytes(2n)))), R.InvalidSender, /^invalid sender: invalid transaction v, r, s values$/],
    ['intrinsic gas', () => pool.add(raw(signedTx({ gas: 20999n }))), R.IntrinsicGas, /^intrinsic gas too low: gas 20999, minimum needed 21000$/],
    [
      'EIP-7623 floor',
      () => pool.add(raw(signedTx({ gas: 21000n + 16n * 1000n, data: new Uint8Array(1000).fill(1) }))),
      R.FloorDataGas,
      /^insufficient gas for floor data gas cost: gas 37000, minimum needed 61000$/,
    ],
    ['block gas limit', () => pool.add(raw(signedTx({ gas: 30_000_001n }))), R.GasLimit, /^exceeds block gas limit$/],
    [
      'tip above fee cap',
      () => pool.add(tamper(signedTx({ fee: 10n * GWEI, tip: 5n * GWEI }), (f) => (f[2] = bigIntToUnpaddedBytes(11n * GWEI)))),
      R.TipAboveFeeCap,
      /^max priority fee per gas higher than max fee per gas$/,
    ],
    ['tip below pool minimum', () => pool.add(raw(signedTx({ tip: 0n }))), R.GasPriceTooLow, /^transaction gas price below minimum: gas tip cap 0, minimum needed 1$/],
    [
      'insufficient funds',
      async () => {
        state.set(1, { balance: 21000n * 100n * GWEI })
        return pool.add(raw(signedTx({ key: 1, value: 1n })))
      },
      R.InsufficientFunds,
      /^insufficient funds for gas \* price \+ value: balance 2100000000000000, tx cost 2100000000000001, overshot 1$/,
    ],
    ['oversized', () => pool.add(raw(signedTx({ gas: 3_000_000n, data: new Uint8Array(128 * 1024) }))), R.OversizedData, /^oversized data: transaction size \d+, limit 131072$/],
    ['initcode', () => pool.add(raw(signedTx({ to: null, gas: 1_000_000n, data: new Uint8Array(49153) }))), R.InitCodeSize, /^max initcode size exceeded: code size 49153, limit 49152$/],
    ['nonce max', () => pool.add(tamper(signedTx(), (f) => (f[1] = bigIntToUnpaddedBytes(2n ** 64n - 1n)))), R.NonceMax, /^nonce has max value$/],
    [
      'set code without authorizations',
      () => pool.add(tamper(signedTx({ type: 4, gas: 100_000n, authorizationList: [eoaCode7702SignAuthorization({ chainId: '0x0', address: TO, nonce: '0x0' }, KEYS[4]!)] }), (f) => (f[9] = []))),
      R.InvalidSetCodeTx,
      /^set code tx must have at least one authorization tuple$/,
    ],
  ]
  for (const [name, run, reason, message] of cases) {
    const r = await rejection(run()).catch((e: unknown) => ({ reason: 'none', message: String(e) }))
    t.equal(r.reason, reason, `${name}: reason`)
    t.match(r.message, message, `${name}: message`)
  }
})

t.test('nonce too high beyond the gap limit; nonce too low against state; already known', async (t) => {
  const { pool, state } = makePool({ limits: { maxNonceGap: 3n } })
  state.set(0, { nonce: 5n })
  t.match(await rejection(pool.add(raw(signedTx({ nonce: 4n })))), { reason: R.NonceTooLow, message: 'nonce too low: next nonce 5, tx nonce 4' })
  await pool.add(raw(signedTx({ nonce: 8n })))
  t.match(await rejection(pool.add(raw(signedTx({ nonce: 9n })))), { reason: R.NonceTooHigh, message: 'nonce too high: tx nonce 9, next nonce 5, max gap 3' })
  t.match(await rejection(pool.add(raw(signedTx({ nonce: 8n })))), { reason: R.AlreadyKnown, message: 'already known' })
})

t.test('transaction type not supported before its fork', async (t) => {
  const shanghai = devCommon({ cancunTime: 1000n, pragueTime: 2000n })
  const { pool } = makePool({ common: shanghai })
  const auth = eoaCode7702SignAuthorization({ chainId: intToHex(1337), address: TO, nonce: '0x0' }, KEYS[4]!)
  const setCode = signedTx({ type: 4, gas: 100_000n, authorizationList: [auth] })
  t.match(await rejection(pool.add(raw(setCode))), { reason: R.TypeNotSupported, message: 'transaction type not supported: type 4 rejected, pool not yet in Prague' })
  await pool.add(raw(signedTx({ common: shanghai })))
  t.equal(pool.size.pending, 1, 'a 1559 transaction is fine in Shanghai')
})

t.test('replacement needs fee cap and tip each bumped by 10%', async (t) => {
  const { pool } = makePool()
  const first = signedTx({ fee: 100n * GWEI, tip: 10n * GWEI })
  await pool.add(raw(first))
  const under = [
    signedTx({ fee: 109n * GWEI, tip: 11n * GWEI, value: 2n }),
    signedTx({ fee: 110n * GWEI, tip: 10_900_000_000n, value: 2n }),
    signedTx({ fee: 200n * GWEI, tip: 10n * GWEI, value: 2n }),
  ]
  for (const tx of under) {
    t.match(await rejection(pool.add(raw(tx))), { reason: R.ReplaceUnderpriced, message: 'replacement transaction underpriced' })
  }
  const replacement = signedTx({ fee: 110n * GWEI, tip: 11n * GWEI, value: 2n })
  await pool.add(raw(replacement))
  t.equal(pool.get(first.hash()), undefined, 'the replaced transaction is gone')
  t.ok(pool.get(replacement.hash()), 'the replacement is in')
  t.same(pool.size, { pending: 1, queued: 0 })
})

t.test('cumulative cost of a sender counts against its balance', async (t) => {
  const { pool, state } = makePool()
  const cost = 21000n * 100n * GWEI + 1n
  state.set(0, { balance: 2n * cost })
  await pool.add(raw(signedTx({ nonce: 0n })))
  await pool.add(raw(signedTx({ nonce: 1n })))
  const r = await rejection(pool.add(raw(signedTx({ nonce: 2n }))))
  t.equal(r.reason, R.InsufficientFunds)
  t.equal(r.message, `insufficient funds for gas * price + value: balance ${2n * cost}, queued cost ${2n * cost}, tx cost ${cost}, overshot ${cost}`)
})

t.test('pending(): per sender in nonce order, across senders by effective tip', async (t) => {
  const { pool } = makePool()
  const a0 = signedTx({ key: 0, nonce: 0n, tip: 5n })
  const a1 = signedTx({ key: 0, nonce: 1n, tip: 5n })
  const b0 = signedTx({ key: 1, nonce: 0n, tip: 10n })
  const b1 = signedTx({ key: 1, nonce: 1n, tip: 1n })
  const c0 = signedTx({ key: 2, nonce: 0n, tip: 3n })
  const d0 = signedTx({ key: 3, nonce: 0n, fee: 50n, tip: 50n }) // tip 50, but fee cap caps it at the base fee
  for (const tx of [a1, c0, b1, a0, b0, d0]) await pool.add(raw(tx))
  t.same(hashes(pool.pending(7n)), hashes([d0, b0, a0, a1, c0, b1]), 'd0 (tip 43) b0 (10) a0 a1 (5) c0 (3) b1 (1)')
  t.same(hashes(pool.pending(45n)), hashes([b0, a0, a1, d0, c0, b1]), 'at base fee 45 d0 tips 5: equal tips go oldest first')
  t.same(hashes(pool.pending(51n)), hashes([b0, a0, a1, c0, b1]), 'a fee cap below the base fee is not executable')
  const expensive = signedTx({ key: 4, nonce: 0n, fee: 60n, tip: 1n })
  const after = signedTx({ key: 4, nonce: 1n, fee: 1000n, tip: 100n })
  await pool.add(raw(expensive))
  await pool.add(raw(after))
  t.notOk(hashes(pool.pending(61n)).includes(bytesToHex(after.hash())), 'a non-executable nonce blocks the later ones')
  const order = hashes(pool.pending(7n))
  t.ok(order.indexOf(bytesToHex(expensive.hash())) < order.indexOf(bytesToHex(after.hash())), 'a higher tip never jumps its own lower nonce')
  t.equal(order[0], bytesToHex(d0.hash()))
})

t.test('a fee cap below the base fee is pooled, executable once the base fee drops', async (t) => {
  const { pool, state } = makePool()
  state.base = 1000n * GWEI
  const tx = signedTx({ fee: 10n * GWEI, tip: GWEI })
  await pool.add(raw(tx))
  t.same(pool.size, { pending: 1, queued: 0 })
  t.same(pool.pending(state.baseFee()), [])
  t.same(hashes(pool.pending(9n * GWEI)), hashes([tx]))
})

t.test('nonce gaps are queued, then promoted when filled', async (t) => {
  const { pool } = makePool()
  const tx0 = signedTx({ nonce: 0n })
  const tx2 = signedTx({ nonce: 2n })
  const tx3 = signedTx({ nonce: 3n })
  await pool.add(raw(tx0))
  await pool.add(raw(tx2))
  await pool.add(raw(tx3))
  t.same(pool.size, { pending: 1, queued: 2 })
  t.same(hashes(pool.pending(7n)), hashes([tx0]))
  const content = pool.content()
  const sender = ADDRS[0]!.toString()
  t.same([...content.pending.get(sender)!.keys()], [0n])
  t.same([...content.queued.get(sender)!.keys()], [2n, 3n])
  t.equal(pool.nextNonce(ADDRS[0]!.bytes, 0n), 1n)
  const tx1 = signedTx({ nonce: 1n })
  await pool.add(raw(tx1))
  t.same(pool.size, { pending: 4, queued: 0 })
  t.same(hashes(pool.pending(7n)), hashes([tx0, tx1, tx2, tx3]))
  t.equal(pool.nextNonce(ADDRS[0]!.bytes, 0n), 4n)
  t.same([...pool.contentFrom(ADDRS[0]!.bytes).pending.keys()], [0n, 1n, 2n, 3n])
})

t.test('limits: per sender, queued per sender, total with eviction', async (t) => {
  const perSender = makePool({ limits: { maxPerSender: 2, maxQueuedPerSender: 1 } }).pool
  await perSender.add(raw(signedTx({ nonce: 0n })))
  await perSender.add(raw(signedTx({ nonce: 2n })))
  t.match(await rejection(perSender.add(raw(signedTx({ nonce: 1n })))), { reason: R.AccountLimit, message: 'account limit exceeded: pooled 2 txs' })
  await perSender.add(raw(signedTx({ key: 1, nonce: 1n })))
  t.match(await rejection(perSender.add(raw(signedTx({ key: 1, nonce: 2n })))), { reason: R.AccountLimit, message: 'account limit exceeded: queued 1 txs' })

  const { pool } = makePool({ limits: { maxTotal: 3 } })
  const cheap = signedTx({ key: 1, tip: 2n })
  await pool.add(raw(signedTx({ key: 0, tip: 3n })))
  await pool.add(raw(cheap))
  await pool.add(raw(signedTx({ key: 2, tip: 4n })))
  t.match(await rejection(pool.add(raw(signedTx({ key: 3, tip: 2n })))), { reason: R.Underpriced, message: 'transaction underpriced' })
  t.match(await rejection(pool.add(raw(signedTx({ key: 3, nonce: 5n, tip: 100n })))), { reason: R.PoolFull, message: 'txpool is full' }, 'a queued tx cannot push out pending ones')
  const rich = signedTx({ key: 3, tip: 5n })
  await pool.add(raw(rich))
  t.equal(pool.get(cheap.hash()), undefined, 'the cheapest was evicted')
  t.ok(pool.get(rich.hash()))
  t.same(pool.size, { pending: 3, queued: 0 })
})

t.test('onNewHead drops included transactions, re-validates, re-pools reorged-out ones', async (t) => {
  const added: TypedTransaction[] = []
  const { pool, state } = makePool({ onAdd: (tx) => added.push(tx) })
  const a0 = signedTx({ key: 0, nonce: 0n })
  const a1 = signedTx({ key: 0, nonce: 1n })
  const b0 = signedTx({ key: 1, nonce: 0n })
  const c0 = signedTx({ key: 2, nonce: 0n })
  for (const tx of [a0, a1, b0, c0]) await pool.add(raw(tx))

  // block 2 includes a0 and another b0 (nonce 0 used elsewhere); c2's balance drops
  const otherB0 = signedTx({ key: 1, nonce: 0n, value: 99n })
  state.number = 2n
  state.set(0, { nonce: 1n })
  state.set(1, { nonce: 1n })
  state.set(2, { balance: 1n })
  await pool.onNewHead([a0, otherB0], [])
  t.equal(pool.get(a0.hash()), undefined, 'included a0 dropped')
  t.equal(pool.get(b0.hash()), undefined, 'b0 (nonce now used) dropped')
  t.equal(pool.get(c0.hash()), undefined, 'c0 (unaffordable now) dropped')
  t.same(hashes(pool.pending(7n)), hashes([a1]), 'a1 is executable now')

  // block 2 is reorged out: its transactions come back, the state is back at block 1
  state.number = 2n
  state.set(0, { nonce: 0n })
  state.set(1, { nonce: 0n })
  added.length = 0
  await pool.onNewHead([], [a0, otherB0])
  t.same(hashes(pool.pending(7n)).sort(), hashes([a0, a1, otherB0]).sort(), 'a0 and the other b0 are back')
  t.same(hashes(added).sort(), hashes([a0, otherB0]).sort(), 'onAdd fired for re-pooled transactions')
  t.same(pool.size, { pending: 3, queued: 0 })

  state.limit = 20_000n
  await pool.onNewHead([], [])
  t.same(pool.size, { pending: 0, queued: 0 }, 'transactions above a lowered block gas limit are dropped')
})

t.test('remove() demotes later nonces', async (t) => {
  const { pool } = makePool()
  const tx0 = signedTx({ nonce: 0n })
  await pool.add(raw(tx0))
  await pool.add(raw(signedTx({ nonce: 1n })))
  t.ok(pool.remove(tx0.hash()))
  t.notOk(pool.remove(tx0.hash()))
  t.same(pool.size, { pending: 0, queued: 1 })
})

t.test('concurrent adds from one sender are serialised', async (t) => {
  const { pool, state } = makePool()
  const cost = 21000n * 100n * GWEI + 1n
  state.set(0, { balance: cost })
  const results = await Promise.allSettled([pool.add(raw(signedTx({ nonce: 0n }))), pool.add(raw(signedTx({ nonce: 1n })))])
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected'],
    'the second sees the first and cannot afford both',
  )
})
