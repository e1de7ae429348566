// A node's parallel executor (prestart) never makes a block wait for its workers to start: blocks
// that arrive meanwhile run sequentially (an accounted fallback), later ones in parallel.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'

t.test('blocks during the workers\' start run sequentially, then in parallel', async (t) => {
  const block = await setupBenchBlock(rowWorkload('erc20/independent', 3), 2_000_000n, { builder: 'runBlock' })
  t.teardown(() => block.close())
  const reasons: string[] = []
  const par = new ParallelExecutor({ workers: 1, kvPath: block.location, minTxs: 1, prestart: true, onFallback: (r) => reasons.push(r) })
  t.teardown(() => par.close())
  const t0 = performance.now()
  const req = block.request()
  await par.prepare(req.block) // sender recovery does not wait for the workers either
  const first = await par.execute(req)
  t.equal(first.executor, 'sequential', `the first block did not wait for the workers (${(performance.now() - t0).toFixed(0)} ms)`)
  t.same(reasons, ['workers still starting'])
  let out = first
  for (const deadline = Date.now() + 60_000; out.executor !== 'parallel' && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 100))
    out = await par.execute(block.request())
  }
  t.equal(out.executor, 'parallel', 'once they are up, blocks run in parallel')
  t.equal(bytesToHex(out.stateRoot), bytesToHex(first.stateRoot), 'same state root either way')
})
