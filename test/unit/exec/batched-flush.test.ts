// The batched trie flush (state.ts FlatReadStateManager.flush, db/trie-batch.ts) against ethereumjs'
// own per-put flush, on random blocks mixing every kind of state change (storage writes and
// deletions, creations and collisions, self-destructs, delegations, reverts): the same state root,
// receipts and state diff, and the nodes it writes are a subset of the library's (the library also
// writes every superseded intermediate node), apart from rewrites of nodes the store already held. Longer chains are covered by parallel-chain.test.ts,
// whose producer seals with the library flush while the chain executes with the batched one.
import t from 'tap'
import { setupBenchBlock } from '../../bench/setup.ts'
import { randomBlockMix } from '../../helpers/workloads/random-mix.ts'
import { diffOutcomes, storedIn } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'

t.test('batched flush = library flush on random blocks', async (t) => {
  const seeds = [3, 17, 29, 41, 53, 67]
  let fewer = 0
  for (const seed of seeds) {
    const mix = randomBlockMix(seed, { txs: 40 })
    const bb = await setupBenchBlock(
      () => ({ name: `mix-${seed}`, description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }),
      30_000_000n,
    )
    try {
      const library = await new SequentialExecutor({ libraryFlush: true, stock: true }).execute(bb.request())
      const batched = await new SequentialExecutor().execute(bb.request())
      // Every node the batched flush writes, the library writes too, or the store already held it
      // with those bytes (the batched flush writes each node it hashes, see trie-db.ts `fresh`).
      t.same(diffOutcomes(library, batched, { writes: 'subset', stored: storedIn(bb.kv) }), [], `seed ${seed}: same outcome apart from superseded nodes`)
      if (batched.writes.length < library.writes.length) fewer++
    } finally {
      await bb.close()
    }
  }
  t.ok(fewer > 0, `the batched flush writes fewer nodes (${fewer} of ${seeds.length} blocks)`)
})
