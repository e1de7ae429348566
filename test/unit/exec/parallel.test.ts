// Differential tests of the parallel executor: seeded random blocks (randomBlockMix: same-sender
// chains, fee-recipient transfers and reads, hot ERC-20s, AMM swaps, CREATE/CREATE2 collisions,
// SELFDESTRUCT, EIP-7702, reverts, out-of-gas, BLOCKHASH, precompiles) executed by the sequential
// and the parallel executor at 1, 2 and 4 workers with random worker delays: every field of the
// outcome must be identical. Plus the fallbacks.
import t from 'tap'
import { setupBenchBlock, type BenchBlock } from '../../bench/setup.ts'
import { randomBlockMix, type MixKind } from '../../helpers/workloads/random-mix.ts'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { diffOutcomes } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'

async function mixBlock(seed: number, txs: number, kinds?: readonly MixKind[]): Promise<BenchBlock> {
  const mix = randomBlockMix(seed, { txs, ...(kinds !== undefined ? { kinds } : {}) })
  return setupBenchBlock(
    () => ({ name: `mix-${seed}`, description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }),
    30_000_000n,
  )
}

const CASES: { seed: number; txs: number; kinds?: readonly MixKind[] }[] = [
  { seed: 1, txs: 40 },
  { seed: 2, txs: 24 },
  { seed: 3, txs: 60 },
  { seed: 11, txs: 16, kinds: ['selfdestruct-new', 'selfdestruct-existing', 'transfer'] },
  { seed: 12, txs: 16, kinds: ['create', 'create2', 'create2-collision'] },
  { seed: 13, txs: 16, kinds: ['eip7702', 'sender-chain', 'transfer'] },
  { seed: 14, txs: 16, kinds: ['coinbase-transfer', 'coinbase-reader', 'transfer'] },
  { seed: 15, txs: 16, kinds: ['precompiles', 'blockhash', 'revert', 'out-of-gas'] },
  { seed: 16, txs: 24, kinds: ['erc20-hot', 'amm-swap', 'sender-chain'] },
]

for (const c of CASES) {
  t.test(`randomBlockMix seed ${c.seed}${c.kinds !== undefined ? ` (${c.kinds.join(', ')})` : ''}`, async (t) => {
    const bb = await mixBlock(c.seed, c.txs, c.kinds)
    t.teardown(() => bb.close())
    const ref = await new SequentialExecutor().execute(bb.request())
    for (const workers of [1, 2, 4]) {
      const fallbacks: string[] = []
      const par = new ParallelExecutor({ workers, kvPath: bb.location, minTxs: 1, workerDelayMs: 3, onFallback: (r) => fallbacks.push(r) })
      try {
        for (let run = 0; run < (c.seed === 1 ? 2 : 1); run++) {
          const out = await par.execute(bb.request())
          t.same(diffOutcomes(ref, out), [], `${workers} worker(s), run ${run}: identical outcome`)
          t.equal(out.executor, 'parallel')
          t.ok(out.reexecutions >= 0 && out.reexecutions <= bb.txCount, `${out.reexecutions} of ${bb.txCount} re-executed`)
        }
        t.same(fallbacks, [], 'no fallback')
      } finally {
        await par.close()
      }
    }
  })
}

t.test('independent transfers are replayed, not re-executed', async (t) => {
  const bb = await mixBlock(21, 24, ['transfer'])
  t.teardown(() => bb.close())
  const ref = await new SequentialExecutor().execute(bb.request())
  const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1 })
  t.teardown(() => par.close())
  const out = await par.execute(bb.request())
  t.same(diffOutcomes(ref, out), [])
  t.ok(out.reexecutions < bb.txCount / 2, `${out.reexecutions} of ${bb.txCount} re-executed`)
})

t.test('fallbacks', async (t) => {
  const bb = await mixBlock(31, 12, ['transfer'])
  t.teardown(() => bb.close())
  const ref = await new SequentialExecutor().execute(bb.request())

  const reasons: string[] = []
  const small = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1000, onFallback: (r) => reasons.push(r) })
  const a = await small.execute(bb.request())
  t.same(diffOutcomes(ref, a), [])
  t.equal(a.executor, 'sequential', 'small block runs sequentially')
  t.match(reasons.pop(), /small block/)
  await small.close()

  const noPath = new ParallelExecutor({ workers: 2, minTxs: 1, onFallback: (r) => reasons.push(r) })
  const b = await noPath.execute(bb.request())
  t.same(diffOutcomes(ref, b), [])
  t.match(reasons.pop(), /no LevelDB path/)

  const badPath = new ParallelExecutor({ workers: 1, kvPath: '/etc/hostname/parallax-db', minTxs: 1, onFallback: (r) => reasons.push(r) })
  const c = await badPath.execute(bb.request())
  t.same(diffOutcomes(ref, c), [])
  t.match(reasons.pop(), /worker error/)
  await badPath.close()
  t.throws(() => new ParallelExecutor({ workers: 0 }), RangeError)
})
