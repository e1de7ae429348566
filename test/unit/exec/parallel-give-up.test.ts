// Work sharing on blocks of dependent transactions: once enough speculated results were refused
// (and almost none held), or the early checks found most arrived results already stale, the main
// thread finishes the block alone and stops the worker; the outcome is the sequential executor's.
import t, { type Test } from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { GIVE_UP_AFTER, PROBES } from '../../../src/exec/block-runner.ts'
import { ParallelExecutor, type ParallelExecutorOptions, type ParallelProfile } from '../../../src/exec/parallel.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'

/**
 * The row's 4M-gas block (or `gas`) through a one-worker parallel executor (after one warm-up block: a cold
 * worker's results can arrive after the main thread has run those transactions itself, which is
 * no refusal), checked against the sequential executor; the second run's profile and tx count.
 */
async function secondRun(t: Test, row: string, opts: Partial<ParallelExecutorOptions>, until?: (p: ParallelProfile) => boolean, gas = 4_000_000n): Promise<{ p: ParallelProfile; txs: number; par: ParallelExecutor }> {
  const block = await setupBenchBlock(rowWorkload(row, 7), gas, { builder: 'runBlock' })
  t.teardown(() => block.close())
  const par = new ParallelExecutor({ workers: 1, kvPath: block.location, minTxs: 1, ...opts })
  t.teardown(() => par.close())
  const seq = await new SequentialExecutor().execute(block.request())
  await par.execute(block.request())
  // With `until`: up to five runs until one shows it (a worker descheduled on a loaded machine
  // delivers nothing while the main thread runs its share, and then nothing can be checked early).
  for (let run = 1; ; run++) {
    const out = await par.execute(block.request())
    t.equal(bytesToHex(out.stateRoot), bytesToHex(seq.stateRoot), 'state root')
    t.equal(bytesToHex(out.receiptsRoot), bytesToHex(seq.receiptsRoot), 'receipts root')
    if (until === undefined || until(par.lastProfile!) || run === 5) return { p: par.lastProfile!, txs: block.block.transactions.length, par }
  }
}

t.test('a one-chain block: speculation given up after the limit, same outcome', async (t) => {
  // The worker gets most of the block, so nearly all of it would be refused. Without the early
  // checks (a relay chain shows none anyway) and without placing the boundary (predict.ts would
  // give the worker nothing): the refusal rule alone.
  const { p, txs } = await secondRun(t, 'worst/erc20-chain', { mainShare: 0.2, probe: false, predict: false })
  t.ok(txs > 3 * GIVE_UP_AFTER, `a block long enough (${txs} txs)`)
  t.equal(p.reexecuted, GIVE_UP_AFTER, `refused results stop at ${GIVE_UP_AFTER}, then the main thread runs the rest itself (${p.own} own, ${p.replayed} applied)`)
  t.equal(p.gaveUp, 'refusals')
})

t.test('a relay chain predicted from the transactions: nothing speculated, the main thread runs the block alone', async (t) => {
  const { p, txs } = await secondRun(t, 'worst/erc20-chain', { mainShare: 0.2 })
  t.equal(p.gaveUp, 'predicted')
  t.same(p.boundaries, { moved: 0, dropped: 1 }, 'the boundary of the main thread\'s share dropped')
  t.equal(p.reexecuted, 0, 'nothing refused')
  t.equal(p.own, txs, 'every transaction run by the main thread')
  t.equal(p.workerMs, 0, 'the worker was given no transaction')
})

t.test('a block run on the main thread alone whose senders were not recovered: recovered on every core first', async (t) => {
  // The request's transactions come without senders (no prepare() before, unlike the node's
  // newPayload): the idle worker recovers part of them before the main thread's loop, as prepare()
  // does. (A longer block than above: placing the boundary recovers the senders around it.)
  const { p, txs, par } = await secondRun(t, 'worst/erc20-chain', { mainShare: 0.2 }, undefined, 15_000_000n)
  t.equal(p.gaveUp, 'predicted')
  const r = par.lastPrepare
  t.ok(r !== undefined && r.chunks > 0 && r.main + r.workers + r.redone === r.chunks, `the ${txs} senders recovered in chunks before the loop (${JSON.stringify(r)})`)
})

t.test('hot calls predicted from the transactions (a counter every third transaction increments): the whole chain on the worker, in block order, nothing refused', async (t) => {
  const { p, txs } = await secondRun(t, 'mixed/hybrid-hot30', { mainShare: 0.3 })
  t.ok(p.hot! > 0 && p.hot! < txs, `${p.hot} of ${txs} hot`)
  t.equal(p.hotOnWorkers, p.hot, 'the counter\'s calls given to the worker, all of them')
  t.equal(p.refused, 0, `no speculated increment was refused: each read what the one before wrote (${p.reexecuted} re-executed)`)
  t.ok(p.replayed > p.hot! / 2, `speculated and applied (${p.replayed}, ${p.chainOwn} of the chain run by the main thread)`)
})

t.test('a chain on a late worker: the calls the main thread ran itself are still run there, so the later ones hold', async (t) => {
  // The worker starts after the main thread, which runs the first chain calls it reaches itself
  // (their results are not there yet). Were the worker to skip those (as it skips other
  // transactions the main thread has reached), its next increment would read the count before
  // them: stale, and so would every later one be.
  // (Up to five runs for one that shows both: a worker descheduled for the whole block, as a loaded
  // machine can do, delivers every result too late, and then none is applied. Seen failing 1 run in 4
  // with the first condition alone while other tests ran.)
  const { p } = await secondRun(t, 'mixed/hybrid-hot30', { mainShare: 0.3 }, (p) => (p.chainOwn ?? 0) >= 3 && (p.chainApplied ?? 0) > 0)
  t.ok(p.chainOwn! >= 3, `the main thread ran some chain calls itself (${p.chainOwn})`)
  t.ok(p.chainApplied! > 0, `and applied the worker's results of later ones (${p.chainApplied})`)
  // (A result waited for too long on a loaded machine is re-executed without being refused.)
  t.equal(p.refused, 0, `no result refused (${p.reexecuted} re-executed)`)
  t.equal(p.gaveUp, undefined, 'speculation not given up')
})

t.test('calls to one hot contract filling the block stay on the main thread; four equal ones are split two and two', async (t) => {
  const one = await secondRun(t, 'uniswap/pools-1', {})
  t.equal(one.p.hotOnWorkers, undefined, 'no chain given to the worker')
  t.equal(one.p.gaveUp, 'predicted', 'the main thread runs the block alone')
  const four = await secondRun(t, 'uniswap/pools-4', { mainShare: 0.5 })
  // (23, 23, 23 and 22 swaps at 4M gas: two pools are 46 or 45 of the 91.)
  t.ok(Math.abs(four.p.hotOnWorkers! - four.txs / 2) <= 1, `two pools' swaps on the worker (${four.p.hotOnWorkers} of ${four.txs})`)
  t.equal(four.p.refused, 0, 'nothing refused')
  t.ok(four.p.replayed > 0, `applied (${four.p.replayed})`)
})

t.test('one hot key (every transfer to the same recipient): the early checks stop the workers while the main thread runs its share', async (t) => {
  // (A relay chain like the block above is not seen early: each transaction depends only on the
  // one before, so the first stale read is at the boundary of the main thread's share.) The main
  // thread's share is long enough for the worker's first results to arrive during it.
  // (Its recipient is in every transaction's calldata, so predict.ts would give the worker nothing.)
  const { p, txs } = await secondRun(t, 'erc20/hot-recipient', { mainShare: 0.5, predict: false }, (p) => p.gaveUp === 'probes')
  t.equal(p.gaveUp, 'probes', `given up by the early checks (${p.probed} checked, ${p.stale} stale)`)
  t.ok(p.probed! >= PROBES.stale && p.probed! <= PROBES.max && p.stale! >= PROBES.stale)
  t.equal(p.reexecuted, 0, 'no result was taken and refused: the main thread ran every transaction itself')
  t.equal(p.own, txs)
})

t.test('independent transactions: the early checks find nothing stale and speculation goes on', async (t) => {
  const { p } = await secondRun(t, 'erc20/independent', { mainShare: 0.5 })
  t.equal(p.gaveUp, undefined, 'not given up')
  t.same(p.boundaries, { moved: 0, dropped: 0 }, 'the boundary is where the gas put it')
  t.ok(p.probed! > 0, `results were checked early (${p.probed})`)
  t.equal(p.stale, 0, 'none was stale')
  t.ok(p.replayed > 0, `results applied (${p.replayed})`)
})
