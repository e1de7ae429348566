// The parallel-scavenge switch: off while any parallel block runs (nested and concurrent calls
// share it), back on when the last one ends, also when a block throws, and early once a block's
// workers have finished.
import t from 'tap'
import { onScavengeSwitch, serialScavengeActive, withSerialScavenge } from '../../../src/exec/gc-mode.ts'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'

t.test('on only inside, shared by overlapping calls, restored after a throw', async (t) => {
  t.equal(serialScavengeActive(), false)
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const a = withSerialScavenge(async () => {
    await gate
    return 'a'
  })
  t.equal(serialScavengeActive(), true, 'inside the first')
  await t.rejects(withSerialScavenge(async () => {
    t.equal(serialScavengeActive(), true, 'inside the second')
    throw new Error('invalid block')
  }), /invalid block/)
  t.equal(serialScavengeActive(), true, 'the first still runs')
  release()
  t.equal(await a, 'a')
  t.equal(serialScavengeActive(), false, 'restored when the last ends')
  // Work that allocates and collects runs normally with the switch off.
  const n = await withSerialScavenge(async () => {
    let s = 0
    for (let i = 0; i < 200_000; i++) s += [i, i + 1].length
    return s
  })
  t.equal(n, 400_000)
})

t.test('released early by the block that holds it (its workers stopped), once', async (t) => {
  let early!: () => void
  const gate = new Promise<void>((r) => (early = r))
  const a = withSerialScavenge(async (release) => {
    t.equal(serialScavengeActive(), true)
    release()
    release() // a second release gives nothing back twice
    t.equal(serialScavengeActive(), false, 'back on after the release')
    await gate
  })
  const b = withSerialScavenge(async (release) => {
    t.equal(serialScavengeActive(), true, 'another block takes it again')
    early()
    await a
    t.equal(serialScavengeActive(), true, 'the first block ending does not give back the second one\'s part')
    release()
    t.equal(serialScavengeActive(), false)
  })
  await b
  t.equal(serialScavengeActive(), false)
})

t.test('a parallel block gives the switch back once its worker has finished its share', async (t) => {
  // The worker gets the last 5% of the gas and finishes long before the main thread has run its
  // 95%: the rest of the block (the main thread's own transactions, the state root) runs with
  // parallel scavenge on again. Up to three blocks: a worker descheduled on a loaded machine may
  // finish only when the main thread reaches its share.
  const block = await setupBenchBlock(rowWorkload('erc20/independent', 3), 4_000_000n, { builder: 'runBlock' })
  t.teardown(() => block.close())
  const par = new ParallelExecutor({ workers: 1, kvPath: block.location, minTxs: 1, mainShare: 0.95, predict: false })
  t.teardown(() => par.close())
  await par.execute(block.request()) // warm-up: the worker starts
  const switches: { serial: boolean; at: number }[] = []
  onScavengeSwitch((serial) => switches.push({ serial, at: performance.now() }))
  t.teardown(() => onScavengeSwitch(undefined))
  let early = false
  for (let run = 0; run < 3 && !early; run++) {
    switches.length = 0
    const start = performance.now()
    await par.execute(block.request())
    const p = par.lastProfile!
    t.equal(p.gaveUp, undefined, 'the worker took part')
    t.same(switches.map((s) => s.serial), [true, false], 'switched off once, back on once')
    // The main thread's last transaction ended at t0 + beforeMs + txsMs, and t0 >= start.
    early = switches[1]!.at < start + p.beforeMs + p.txsMs
  }
  t.ok(early, 'back on before the main thread\'s last transaction')
  t.equal(serialScavengeActive(), false)
})
