// predict.ts: where the workers' runs start. A run's first transaction sees nothing of the parts
// before it, so each boundary moves to a transaction whose fields predict no dependency on the
// ones just before it, and a boundary inside one long chain is dropped.
import t from 'tap'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address, concatBytes, setLengthLeft } from '@ethereumjs/util'
import { BoundaryPredictor, calldataAddresses, dependsOn, HOT_CALLS, hotCalls, LOOKBACK, placeBoundaries, SEARCH_FORWARD, txKeys } from '../../../src/exec/predict.ts'
import { benchCommon, deriveAddress, erc20TransferData, generateWorkload, Signer, signedTx } from '../../helpers/workloads/index.ts'

const common = benchCommon()
const token = deriveAddress(1, 'token', 0)
const signer = (label: string, i: number): Signer => Signer.derive(1, label, i)
const erc20 = (from: Signer, to: Address): TypedTransaction => signedTx(common, from, { to: token, data: erc20TransferData(to, 10n ** 24n), gasLimit: 60_000n })
const pay = (from: Signer, to: Address): TypedTransaction => signedTx(common, from, { to, value: 1n, gasLimit: 21_000n })
const workload = (name: Parameters<typeof generateWorkload>[0]): TypedTransaction[] => generateWorkload(name, { gas: 3_000_000n, common }).txs
/** hasCode from a workload's genesis alloc. */
const codeIn = (name: Parameters<typeof generateWorkload>[0]): { txs: TypedTransaction[]; hasCode: (a: Uint8Array) => boolean } => {
  const w = generateWorkload(name, { gas: 3_000_000n, common })
  return { txs: w.txs, hasCode: (a) => (w.alloc.get(new Address(a).toString())?.code ?? '0x') !== '0x' }
}

t.test('calldata addresses: ABI words holding an address, not amounts', async (t) => {
  const a = deriveAddress(1, 'x', 0)
  const b = new Address(setLengthLeft(new Uint8Array(16).fill(0x12), 20)) // its first four bytes are zero: missed (1 in 4 billion)
  const data = concatBytes(Uint8Array.of(1, 2, 3, 4), setLengthLeft(a.bytes, 32), setLengthLeft(Uint8Array.of(5), 32), setLengthLeft(b.bytes, 32), setLengthLeft(Uint8Array.of(0xff, ...new Array<number>(23).fill(0)), 32))
  t.same(calldataAddresses(data), [a.toString()], 'the address word only (a number below 2^128, and a word wider than 20 bytes, are not)')
  t.same(calldataAddresses(data.subarray(0, 4 + 31)), [], 'no partial word')
})

t.test('what a transaction is predicted to touch, and when one depends on another', async (t) => {
  const [s, u, v] = [signer('s', 0), signer('u', 0), signer('v', 0)]
  const r = deriveAddress(1, 'r', 0)
  const other = deriveAddress(1, 'token', 1)
  const keys = (tx: TypedTransaction): NonNullable<ReturnType<typeof txKeys>> => txKeys(tx)!
  t.same(keys(erc20(s, r)), { sender: s.hex, credit: undefined, to: token.toString(), names: [r.toString()] }, 'a token transfer: its sender, the token and the recipient its calldata names')
  t.same(keys(pay(s, r)), { sender: s.hex, credit: r.toString(), to: r.toString(), names: [] }, 'a plain transfer credits its recipient')
  t.ok(dependsOn(keys(pay(s, r)), keys(pay(s, r))), 'same sender (the nonce)')
  t.ok(dependsOn(keys(pay(u, r)), keys(pay(s, u.address))), 'the sender was credited')
  t.ok(dependsOn(keys(erc20(u, r)), keys(erc20(s, u.address))), 'the sender was paid tokens (relay)')
  t.ok(dependsOn(keys(erc20(v, r)), keys(erc20(u, r))), 'the same contract, the same named address (one hot recipient)')
  t.ok(dependsOn(keys(erc20(v, u.address)), keys(erc20(u, r))), 'the same contract, paying an account that has just spent from it')
  t.notOk(dependsOn(keys(pay(v, r)), keys(pay(u, r))), 'credits to one recipient commute')
  t.notOk(dependsOn(keys(signedTx(common, v, { to: other, data: erc20TransferData(r, 1n), gasLimit: 60_000n })), keys(erc20(u, r))), 'a common name in calls to different contracts is not enough')
  t.notOk(dependsOn(keys(erc20(v, deriveAddress(1, 'r', 1))), keys(erc20(u, r))), 'different accounts')
})

t.test('relay chain (A pays B, B pays C, ...): every boundary dropped, the main thread runs the block alone', async (t) => {
  const txs = workload('worst/erc20-chain')
  t.ok(txs.length > LOOKBACK + 2, `${txs.length} txs`)
  const p = new BoundaryPredictor(txs)
  t.ok(txs.slice(1).every((_, k) => p.dependent(k + 1)), 'each depends on the one before')
  const runs = [[...Array(txs.length).keys()].slice(Math.floor(txs.length / 2))]
  const placed = placeBoundaries(txs, Math.floor(txs.length / 2), runs)
  t.same(placed, { splitIndex: txs.length, runs: [[]], moved: 0, dropped: 1 })
  const hot = workload('erc20/hot-recipient')
  t.same(placeBoundaries(hot, 20, [[...Array(hot.length - 20).keys()].map((k) => 20 + k)]), { splitIndex: hot.length, runs: [[]], moved: 0, dropped: 1 }, 'one token, one recipient named by every transfer: the same')
})

t.test('independent rows keep the gas cut', async (t) => {
  for (const name of ['erc20/independent', 'raw-transfers/independent', 'raw-transfers/hot-recipient', 'uniswap/pools-1'] as const) {
    const txs = workload(name)
    const split = Math.floor(txs.length / 3)
    const mid = Math.floor((2 * txs.length) / 3)
    const runs = [[...Array(mid - split).keys()].map((k) => split + k), [...Array(txs.length - mid).keys()].map((k) => mid + k)]
    t.same(placeBoundaries(txs, split, runs), { splitIndex: split, runs, moved: 0, dropped: 0 }, `${name}: nothing moved (credits to one recipient commute; a pool's slots are not predicted)`)
  }
})

t.test('a boundary inside a short chain moves to where the chain ends', async (t) => {
  // 40 independent transfers, then one sender's 10 transactions in a row (nonces), then 40 more
  const txs: TypedTransaction[] = []
  for (let i = 0; i < 40; i++) txs.push(erc20(signer('a', i), deriveAddress(1, 'ra', i)))
  const bot = signer('bot', 0)
  for (let i = 0; i < 10; i++) txs.push(erc20(bot, deriveAddress(1, 'rb', i)))
  for (let i = 0; i < 40; i++) txs.push(erc20(signer('c', i), deriveAddress(1, 'rc', i)))
  const run = (from: number): number[] => [...Array(txs.length - from).keys()].map((k) => from + k)
  t.same(placeBoundaries(txs, 44, [run(44)]), { splitIndex: 40, runs: [run(40)], moved: 1, dropped: 0 }, 'back to the chain start (nearer than its end)')
  t.same(placeBoundaries(txs, 48, [run(48)]), { splitIndex: 50, runs: [run(50)], moved: 1, dropped: 0 }, 'forward past the chain end')
  // a recipient who pays on 3 transactions later: depends on its credit
  const late: TypedTransaction[] = []
  for (let i = 0; i < 20; i++) late.push(erc20(signer('d', i), deriveAddress(1, 'rd', i)))
  const middleman = signer('m', 0)
  late.push(erc20(signer('e', 0), middleman.address), erc20(signer('e', 1), deriveAddress(1, 're', 1)), erc20(signer('e', 2), deriveAddress(1, 're', 2)), erc20(middleman, deriveAddress(1, 're', 3)))
  for (let i = 0; i < 20; i++) late.push(erc20(signer('f', i), deriveAddress(1, 'rf', i)))
  const p = new BoundaryPredictor(late)
  t.ok(p.dependent(23), 'the middleman depends on the credit three transactions before')
  t.notOk(p.dependent(22), 'the transaction before it does not')
})

t.test('several workers: each run start placed, a run with no independent start joins the one before', async (t) => {
  // 30 independent, then one chain of 300 relay transfers, then 30 independent
  const txs: TypedTransaction[] = []
  for (let i = 0; i < 30; i++) txs.push(pay(signer('p', i), deriveAddress(1, 'rp', i)))
  let from = signer('link', 0)
  for (let i = 1; i <= 300; i++) {
    const next = signer('link', i)
    txs.push(erc20(from, next.address))
    from = next
  }
  for (let i = 0; i < 30; i++) txs.push(pay(signer('q', i), deriveAddress(1, 'rq', i)))
  const n = txs.length
  const range = (a: number, b: number): number[] => [...Array(b - a).keys()].map((k) => a + k)
  // main [0, 20), workers from 20, 180 and 320
  const placed = placeBoundaries(txs, 20, [range(20, 180), range(180, 320), range(320, n)])
  t.equal(placed.splitIndex, 20, 'the first boundary is between independent transactions: kept')
  t.same(placed.runs, [range(20, 330), range(330, n), []], `the second (inside the chain, more than ${SEARCH_FORWARD} from either end) is dropped (the first worker's run takes the whole chain); the third moves to the chain's end`)
  t.same([placed.moved, placed.dropped], [1, 1])
})

t.test('hot calls: many calls to one contract that name no address', async (t) => {
  const mixed = codeIn('mixed/hybrid-hot30')
  const hot = hotCalls(mixed.txs, mixed.hasCode)
  const increment = (tx: TypedTransaction): boolean => tx.to !== undefined && tx.data.length === 0 && mixed.hasCode(tx.to.bytes)
  t.ok(hot.some((x) => x), 'the mix has hot calls')
  t.ok(mixed.txs.every((tx, i) => hot[i] === increment(tx)), 'exactly the increments of the one counter')
  const pools1 = codeIn('uniswap/pools-1')
  t.ok(hotCalls(pools1.txs, pools1.hasCode).every((x) => x), 'every swap in one pool')
  for (const name of ['erc20/independent', 'raw-transfers/hot-recipient', 'uniswap/independent-pools'] as const) {
    const w = codeIn(name)
    t.ok(hotCalls(w.txs, w.hasCode).every((x) => !x), `${name}: none (token transfers name their recipient; credits to an account without code commute; each pool called once)`)
  }
  t.ok(hotCalls(mixed.txs, () => false).every((x) => !x), 'no code at the address: credits, not calls')
  const few = mixed.txs.filter(increment).slice(0, HOT_CALLS - 1)
  t.ok(hotCalls(few, mixed.hasCode).every((x) => !x), `fewer than ${HOT_CALLS} calls: not hot`)
})
