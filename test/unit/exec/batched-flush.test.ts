// The batched trie flush (state.ts FlatReadStateManager.flush, db/trie-batch.ts) against ethereumjs'
// own per-put flush, on random blocks mixing every kind of state change (storage writes and
// deletions, creations and collisions, self-destructs, delegations, reverts): the same state root,
// receipts and state diff, and the nodes it writes are a subset of the library's (the library also
// writes every superseded intermediate node). Longer chains are covered by parallel-chain.test.ts,
// whose producer seals with the library flush while the chain executes with the batched one.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { setupBenchBlock } from '../../bench/setup.ts'
import { randomBlockMix } from '../../helpers/workloads/random-mix.ts'
import { diffOutcomes } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import type { ExecutionOutcome } from '../../../src/exec/outcome.ts'

function writeKeys(o: ExecutionOutcome): Set<string> {
  return new Set(o.writes.map((w) => `${w.type}:${bytesToHex(w.key)}:${w.type === 'put' ? bytesToHex(w.value) : ''}`))
}

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
      const diff = diffOutcomes(library, batched)
      t.same(diff.filter((d) => !d.startsWith('writes')), [], `seed ${seed}: same outcome apart from superseded nodes`)
      const lib = writeKeys(library)
      const missing = [...writeKeys(batched)].filter((k) => !lib.has(k))
      t.same(missing, [], `seed ${seed}: every node the batched flush writes, the library writes too`)
      if (batched.writes.length < library.writes.length) fewer++
    } finally {
      await bb.close()
    }
  }
  t.ok(fewer > 0, `the batched flush writes fewer nodes (${fewer} of ${seeds.length} blocks)`)
})
