// Back-off under load (ParallelExecutorOptions.loadBackoff): a parallel block that finds other
// processes' runnable threads which, with its own executing threads, exceed the cores makes the next
// blocks run sequentially; each of those samples the load too, and the block after one that finds a
// core free is parallel again (one that cannot sample counts down BACKOFF_BLOCKS); an idle machine,
// or a block the workers did not take part in, never backs off; the outcome is always the
// sequential one. Other processes' runnable threads are injected (the `runnable` hook).
import { spawn } from 'node:child_process'
import t, { type Test } from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { BACKOFF_BLOCKS, ParallelExecutor, type ParallelExecutorOptions } from '../../../src/exec/parallel.ts'
import { othersRunnable, RunnableReader } from '../../../src/exec/load.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'

async function blockRuns(t: Test, row: string, opts: Partial<ParallelExecutorOptions>, blocks: number, gas = 3_000_000n, before?: (i: number) => void) {
  const block = await setupBenchBlock(rowWorkload(row, 7), gas, { builder: 'runBlock' })
  t.teardown(() => block.close())
  const reasons: string[] = []
  const par = new ParallelExecutor({ workers: 1, kvPath: block.location, minTxs: 1, cores: 2, mainShare: 0.3, onFallback: (r) => reasons.push(r), ...opts })
  t.teardown(() => par.close())
  const seq = await new SequentialExecutor().execute(block.request())
  const parallel: boolean[] = []
  for (let i = 0; i < blocks; i++) {
    before?.(i)
    const n = par.stats.blocks
    const out = await par.execute(block.request())
    t.equal(bytesToHex(out.stateRoot), bytesToHex(seq.stateRoot), `block ${i}: state root`)
    parallel.push(par.stats.blocks > n)
  }
  return { parallel, reasons, par }
}

t.test('busy cores: the next blocks run sequentially for as long as the other process stays', async (t) => {
  const { parallel, reasons, par } = await blockRuns(t, 'erc20/independent', { loadBackoff: true, runnable: () => 1 }, BACKOFF_BLOCKS + 4)
  t.same(parallel, [true, ...Array<boolean>(BACKOFF_BLOCKS + 3).fill(false)], 'parallel once, then sequential: each sequential block saw the cores busy')
  t.equal(reasons.length, BACKOFF_BLOCKS + 3, 'each sequential block reported as a fallback')
  t.match(reasons[0]!, /^cores busy \(1 runnable threads of other processes, 2 cores\)/)
  t.equal(par.lastLoad, 1)
})

t.test('busy cores, then a core frees up: the block after the first sequential one that saw it is parallel', async (t) => {
  let others = 1
  const seen: number[] = []
  const runnable = (): number => {
    seen.push(others)
    return others
  }
  // Busy over blocks 0-2 (the parallel one and two sequential ones), idle from block 3 on.
  const { parallel, reasons, par } = await blockRuns(t, 'erc20/independent', { loadBackoff: true, runnable }, 6, 3_000_000n, (i) => {
    if (i === 3) others = 0
  })
  t.same(parallel, [true, false, false, false, true, true], 'parallel, sequential while busy, one sequential block sees the core free, parallel again')
  t.equal(reasons.length, 3)
  t.equal(par.lastLoad, 0)
  t.ok(seen.length >= 3 * 6, `the load was sampled in every block, sequential ones too (${seen.length} samples)`)
})

t.test('busy cores, sequential blocks that cannot sample: BACKOFF_BLOCKS of them, then parallel is tried again', async (t) => {
  let known = true
  const { parallel, par } = await blockRuns(t, 'erc20/independent', { loadBackoff: true, runnable: () => (known ? 1 : undefined) }, BACKOFF_BLOCKS + 2, 3_000_000n, (i) => {
    known = i === 0
  })
  t.same(parallel, [true, ...Array<boolean>(BACKOFF_BLOCKS).fill(false), true], `parallel, ${BACKOFF_BLOCKS} sequential, parallel again`)
  t.equal(par.lastLoad, 1, 'the last load known')
})

t.test('an idle machine (no other process runnable) never backs off', async (t) => {
  const { parallel, reasons } = await blockRuns(t, 'erc20/independent', { loadBackoff: true, runnable: () => 0 }, 4)
  t.same(parallel, [true, true, true, true])
  t.same(reasons, [])
})

t.test('without loadBackoff, or on a block the workers took no part in, no back-off', async (t) => {
  const off = await blockRuns(t, 'erc20/independent', { runnable: () => 5 }, 3)
  t.same(off.parallel, [true, true, true], 'option off')
  // A relay chain is predicted one chain: the main thread runs it alone, nothing to compare.
  const chain = await blockRuns(t, 'worst/erc20-chain', { loadBackoff: true, runnable: () => 5 }, 3)
  t.same(chain.parallel, [true, true, true], 'nothing speculated: the load says nothing about the workers')
})

t.test('the reader counts another process\'s busy thread, not this process\'s own', { skip: process.platform !== 'linux' && 'reads /proc (Linux only)' }, async (t) => {
  const reader = RunnableReader.open()
  t.ok(reader !== undefined, '/proc/loadavg opened')
  t.teardown(() => reader?.close())
  // This thread is running while it reads: it is not counted as another process's.
  const idle: number[] = []
  for (let i = 0; i < 20; i++) idle.push(reader!.read()!)
  // A CPU-bound child process: runnable at every sample (the back-off takes the fewest seen).
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  t.teardown(() => void child.kill('SIGKILL'))
  await new Promise((r) => setTimeout(r, 300))
  const busy: number[] = []
  for (let i = 0; i < 20; i++) {
    busy.push(reader!.read()!)
    await new Promise((r) => setTimeout(r, 5))
  }
  t.ok(Math.min(...busy) >= 1, `the busy child seen at every sample: ${busy.join(',')}`)
  t.ok(Math.min(...busy) > Math.min(...idle) || Math.min(...idle) >= 1, `more than before it started (${Math.min(...idle)})`)
  const once = othersRunnable()
  t.ok(once !== undefined && once >= 1, `othersRunnable (a reader opened for one reading): ${once}`)
  reader!.close()
  t.equal(reader!.read(), undefined, 'a closed reader reads nothing')
})

t.test('busy cores: the state root is computed on the main thread alone, without the helper thread', async (t) => {
  // A relay chain runs on the main thread alone (predicted one chain); its state root's trie updates
  // still used a worker as helper, which under load only took a core from the main thread.
  // 10M gas: enough trie changes for the helper to be asked (split-root.ts HELPER_MIN).
  for (const row of ['worst/erc20-chain', 'raw-transfers/independent']) {
    const busy = await blockRuns(t, row, { loadBackoff: true, runnable: () => 1 }, 1, 10_000_000n)
    t.equal(busy.par.lastProfile?.rootAlone, true, `${row}: other processes busy: no helper`)
    const idle = await blockRuns(t, row, { loadBackoff: true, runnable: () => 0 }, 1, 10_000_000n)
    t.equal(idle.par.lastProfile?.rootAlone, false, `${row}: idle machine: the helper is used`)
  }
})
