// The parallel executor on single blocks: independent transfers replay from the workers' traces
// (twice through the same pool: the workers' per-block cache must not leak into the next run), and
// the fallbacks to sequential execution. The random differential test — thousands of blocks mixing
// every known divergence source, on chains, at random worker counts and delays — is
// parallel-chain.test.ts; the fixtures at 1, 2, 4 and 8 workers are test/spec/parallel-blockchain.test.ts.
import t from 'tap'
import { setupBenchBlock, type BenchBlock } from '../../bench/setup.ts'
import { randomBlockMix, type MixKind } from '../../helpers/workloads/random-mix.ts'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { diffOutcomes, storedIn } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'

async function mixBlock(seed: number, txs: number, kinds?: readonly MixKind[]): Promise<BenchBlock> {
  const mix = randomBlockMix(seed, { txs, ...(kinds !== undefined ? { kinds } : {}) })
  return setupBenchBlock(
    () => ({ name: `mix-${seed}`, description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }),
    30_000_000n,
  )
}

for (const mode of [
  { name: 'effects, waiting for every speculation', opts: { share: false } },
  { name: 'call traces, waiting for every speculation', opts: { share: false, effects: false } },
  { name: 'effects, work sharing', opts: {} },
]) {
  t.test(`independent transfers are taken from the workers, not re-executed (${mode.name})`, async (t) => {
    const bb = await mixBlock(21, 24, ['transfer'])
    t.teardown(() => bb.close())
    const ref = await new SequentialExecutor({ stock: true }).execute(bb.request())
    const fast = await new SequentialExecutor().execute(bb.request())
    t.same(diffOutcomes(ref, fast, { writes: 'subset', stored: storedIn(bb.kv) }), [], 'fast sequential = stock (fewer superseded nodes)')
    const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1, ...mode.opts })
    t.teardown(() => par.close())
    for (const run of [1, 2]) {
      const out = await par.execute(bb.request())
      t.same(diffOutcomes(fast, out), [], `run ${run}: identical outcome`)
      t.equal(out.executor, 'parallel')
      t.ok(out.reexecutions < bb.txCount / 2, `run ${run}: ${out.reexecutions} of ${bb.txCount} re-executed`)
      if (mode.opts.share === false) t.equal(par.lastProfile?.own, 0, `run ${run}: the main thread ran none itself`)
    }
    if (mode.opts.share === false) t.ok(par.stats.replayed >= bb.txCount, `${par.stats.replayed} taken from speculation`)
  })
}

t.test('fallbacks', async (t) => {
  const bb = await mixBlock(31, 12, ['transfer'])
  t.teardown(() => bb.close())
  const ref = await new SequentialExecutor({ stock: true }).execute(bb.request())

  const reasons: string[] = []
  const small = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1000, onFallback: (r) => reasons.push(r) })
  const a = await small.execute(bb.request())
  t.same(diffOutcomes(ref, a, { writes: 'subset', stored: storedIn(bb.kv) }), [])
  t.equal(a.executor, 'sequential', 'small block runs sequentially')
  t.match(reasons.pop(), /small block/)
  await small.close()

  const noPath = new ParallelExecutor({ workers: 2, minTxs: 1, onFallback: (r) => reasons.push(r) })
  const b = await noPath.execute(bb.request())
  t.same(diffOutcomes(ref, b, { writes: 'subset', stored: storedIn(bb.kv) }), [])
  t.match(reasons.pop(), /no LevelDB path/)

  const badPath = new ParallelExecutor({ workers: 1, kvPath: '/etc/hostname/parallax-db', minTxs: 1, onFallback: (r) => reasons.push(r) })
  const c = await badPath.execute(bb.request())
  t.same(diffOutcomes(ref, c, { writes: 'subset', stored: storedIn(bb.kv) }), [])
  t.match(reasons.pop(), /worker error/)
  await badPath.close()
  t.throws(() => new ParallelExecutor({ workers: 0 }), RangeError)
})

t.test('prepare recovers every sender, on the main thread and the workers, before validation', async (t) => {
  const bb = await mixBlock(41, 30, ['transfer'])
  t.teardown(() => bb.close())
  const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1, prestart: true })
  t.teardown(() => par.close())
  // Blocks run sequentially until the workers are up (prestart never waits for them): run until one ran in parallel.
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    await par.execute(bb.request())
    if (par.lastProfile !== undefined) break
  }
  t.ok(par.lastProfile !== undefined, 'the workers are up')
  const req = bb.request()
  const txs = req.block.transactions
  t.ok(txs.every((tx) => tx.cache.senderPubKey === undefined), 'a freshly decoded block has no senders yet')
  await par.prepare(req.block)
  t.ok(txs.every((tx) => tx.cache.senderPubKey !== undefined), 'every sender recovered')
  const p = par.lastPrepare!
  t.equal(p.main + p.workers + p.redone, p.chunks, `every chunk recovered once (${p.main} here, ${p.workers} by the workers, ${p.redone} claimed by a worker and redone here after ${p.waitMs.toFixed(1)} ms)`)
  const again = bb.request().block.transactions
  txs.forEach((tx, i) => t.same(tx.cache.senderPubKey, again[i]!.getSenderPublicKey(), `tx ${i}: the right key`))
  const out = await par.execute(req)
  const fast = await new SequentialExecutor().execute(bb.request())
  t.same(diffOutcomes(fast, out), [], 'the block executes the same after prepare')
})
