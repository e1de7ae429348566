// Amsterdam (EIP-7928 block access lists) in the parallel executor:
// - the cheap access-list checkpoints (src/exec/bal-journal.ts) give exactly the library's results
//   on random operation sequences;
// - random blocks at an Amsterdam genesis: the parallel executor, with the block's access list
//   (each transaction speculated against the parent state plus the list's lower-index changes) and
//   without it, produces the sequential outcome field by field, access list included;
// - a block whose header commits to a wrong access list is INVALID for both executors, and a wrong
//   list does not make the parallel executor produce a different state.
import t from 'tap'
import { createBlock } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, createBlockLevelAccessList, type BlockLevelAccessList } from '@ethereumjs/util'
import { keccak256 } from '../../../src/util/keccak.ts'
import { journalBalCheckpoints } from '../../../src/exec/bal-journal.ts'
import { BalView } from '../../../src/exec/bal-view.ts'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { diffOutcomes } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { InvalidBlockError } from '../../../src/util/errors.ts'
import { setupBenchBlock } from '../../bench/setup.ts'
import { benchCommon } from '../../helpers/workloads/genesis.ts'
import { randomBlockMix, type MixKind } from '../../helpers/workloads/random-mix.ts'

/** Small deterministic PRNG (xorshift32). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1
  return (n) => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) % n
  }
}

t.test('journalled access-list checkpoints behave exactly like the library', async (t) => {
  const addrs = ['0x00000000000000000000000000000000000000a1', '0x00000000000000000000000000000000000000a2', '0x00000000000000000000000000000000000000a3'] as const
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed)
    const plain = createBlockLevelAccessList()
    const fast = createBlockLevelAccessList()
    journalBalCheckpoints(fast)
    let depth = 0
    let mismatch: string | undefined
    for (let step = 0; step < 200; step++) {
      // Draw every argument once, then apply the same operation to both lists.
      const a = addrs[r(addrs.length)]!
      const idx = 1 + r(3)
      const op = r(12)
      const slot = Uint8Array.of(r(4))
      const value = r(3) === 0 ? new Uint8Array() : Uint8Array.of(1 + r(5))
      const original = r(2) === 0 ? undefined : r(3) === 0 ? new Uint8Array() : Uint8Array.of(1 + r(5))
      const amount = BigInt(r(4))
      const originalAmount = r(2) === 0 ? undefined : BigInt(r(4))
      const code = Uint8Array.of(r(3))
      const originalCode = r(2) === 0 ? undefined : Uint8Array.of(r(3))
      for (const b of [plain, fast]) {
        b.blockAccessIndex = idx
        if (op === 0) b.addAddress(a)
        else if (op === 1) b.addStorageRead(a, slot)
        else if (op === 2 || op === 3) b.addStorageWrite(a, slot, value, idx, original)
        else if (op === 4) b.addBalanceChange(a, amount, idx, originalAmount)
        else if (op === 5) b.addNonceChange(a, amount, idx)
        else if (op === 6) b.addCodeChange(a, code, idx, originalCode)
        else if (op === 7 || op === 8) b.checkpoint()
        else if (op === 9) b.commit()
        else if (op === 10) b.revert()
        else b.cleanupNetZeroBalanceChanges()
      }
      if (op === 7 || op === 8) depth++
      if ((op === 9 || op === 10) && depth > 0) depth--
      if (mismatch === undefined && bytesToHex(fast.serialize()) !== bytesToHex(plain.serialize())) mismatch = `step ${step} (op ${op})`
    }
    while (depth-- > 0) {
      plain.revert()
      fast.revert()
    }
    if (mismatch === undefined && bytesToHex(fast.serialize()) !== bytesToHex(plain.serialize())) mismatch = 'after unwinding'
    t.equal(mismatch, undefined, `seed ${seed}: identical after every step`)
  }
})

const AMSTERDAM = { amsterdam: true }

async function amsterdamBlock(seed: number, txs: number, kinds?: readonly MixKind[]) {
  const common = benchCommon(AMSTERDAM)
  const mix = randomBlockMix(seed, { txs, common, ...(kinds !== undefined ? { kinds } : {}) })
  return setupBenchBlock(
    () => ({ name: `amsterdam-mix-${seed}`, description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }),
    30_000_000n,
    AMSTERDAM,
  )
}

const CASES: { seed: number; txs: number; kinds?: readonly MixKind[] }[] = [
  { seed: 101, txs: 40 },
  { seed: 102, txs: 30 },
  { seed: 103, txs: 24, kinds: ['erc20-hot', 'amm-swap', 'sender-chain', 'coinbase-reader'] },
  { seed: 104, txs: 20, kinds: ['selfdestruct-new', 'selfdestruct-existing', 'create', 'create2', 'create2-collision', 'eip7702'] },
]

for (const c of CASES) {
  t.test(`Amsterdam randomBlockMix seed ${c.seed}: parallel (with and without the access list) = sequential`, async (t) => {
    const bb = await amsterdamBlock(c.seed, c.txs, c.kinds)
    t.teardown(() => bb.close())
    t.ok(bb.blockAccessList !== undefined, 'the block carries an access list')
    const ref = await new SequentialExecutor({ stock: true }).execute(bb.request())
    t.ok(ref.blockAccessList !== undefined && bytesToHex(ref.blockAccessList) === bytesToHex(bb.blockAccessList!), 'sequential rebuilds the same list')
    const workers = 1 + (c.seed % 3) // one pool per case keeps the file short; the cases cover 1-3
    const fallbacks: string[] = []
    const par = new ParallelExecutor({ workers, kvPath: bb.location, minTxs: 1, workerDelayMs: 2, onFallback: (r) => fallbacks.push(r) })
    try {
      const withList = await par.execute(bb.request())
      t.same(diffOutcomes(ref, withList, { writes: 'subset' }), [], `${workers} worker(s), access list given: identical`)
      const req = bb.request()
      delete req.blockAccessList
      const without = await par.execute(req)
      t.same(diffOutcomes(ref, without, { writes: 'subset' }), [], `${workers} worker(s), no access list: identical`)
      t.same(fallbacks, [], 'no sequential fallback')
      t.equal(par.stats.blocks, 2, 'both ran in parallel')
      t.comment(`${bb.txCount} txs; re-executed with the list ${withList.reexecutions}, without ${without.reexecutions}`)
    } finally {
      await par.close()
    }
  })
}

t.test('a header committing to a wrong access list is INVALID for both executors', async (t) => {
  const bb = await amsterdamBlock(105, 24, ['erc20-hot', 'transfer', 'amm-swap'])
  t.teardown(() => bb.close())
  const good = bb.blockAccessList!
  const view = new BalView(good) // parses
  void view
  // Change one recorded balance: the last balance change of the first account that has one.
  const list = RLP.decode(good) as unknown as Uint8Array[][][][]
  let changed = false
  for (const entry of list) {
    const balances = entry[3]!
    if (balances.length > 0) {
      const last = balances[balances.length - 1]!
      last[1] = Uint8Array.of(0x01, 0x23, 0x45)
      changed = true
      break
    }
  }
  t.ok(changed, 'found a balance change to alter')
  const bad = RLP.encode(list as never)
  const req = bb.request()
  // The header commits to the altered list, so only execution can tell it is wrong.
  const header = { ...req.block.header.toJSON(), blockAccessListHash: bytesToHex(keccak256(bad)) }
  const block = createBlock({ header, transactions: req.block.transactions }, { common: req.block.common, setHardfork: true })
  const seq = new SequentialExecutor()
  await t.rejects(seq.execute({ ...req, block, blockAccessList: bad }), InvalidBlockError, 'sequential: INVALID')
  const stock = new SequentialExecutor({ stock: true })
  await t.rejects(stock.execute({ ...bb.request(), block, blockAccessList: bad }), InvalidBlockError, 'stock sequential: INVALID')
  const fallbacks: string[] = []
  const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1, onFallback: (r) => fallbacks.push(r) })
  await t.rejects(par.execute({ ...bb.request(), block, blockAccessList: bad }), InvalidBlockError, 'parallel: INVALID')
  // the block failed before its transactions ran: the workers drop it, and closing them now is no failure
  await par.close()
  t.same(fallbacks, [], 'no worker error reported for the abandoned speculation')
  const again = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1 })
  t.teardown(() => again.close())
  t.same(diffOutcomes(await seq.execute(bb.request()), await again.execute(bb.request())), [], 'the right list still gives the sequential outcome')
})
