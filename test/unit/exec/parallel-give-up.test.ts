// Work sharing on a chain of dependent transactions: once enough speculated results were refused
// (and almost none held), the main thread finishes the block alone and stops the worker; the
// outcome is the sequential executor's.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { GIVE_UP_AFTER } from '../../../src/exec/block-runner.ts'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { rowWorkload } from '../../bench/rows.ts'
import { setupBenchBlock } from '../../bench/setup.ts'

t.test('a one-chain block: speculation given up after the limit, same outcome', async (t) => {
  const block = await setupBenchBlock(rowWorkload('worst/erc20-chain', 7), 4_000_000n, { builder: 'runBlock' })
  t.teardown(() => block.close())
  // The worker gets most of the block, so nearly all of it would be refused.
  const par = new ParallelExecutor({ workers: 1, kvPath: block.location, minTxs: 1, mainShare: 0.2 })
  t.teardown(() => par.close())
  const seq = await new SequentialExecutor().execute(block.request())
  // One block first: the worker starts and warms up (a cold worker's results can arrive after the
  // main thread has run those transactions itself, which is no refusal).
  await par.execute(block.request())
  const out = await par.execute(block.request())
  t.equal(bytesToHex(out.stateRoot), bytesToHex(seq.stateRoot), 'state root')
  t.equal(bytesToHex(out.receiptsRoot), bytesToHex(seq.receiptsRoot), 'receipts root')
  const p = par.lastProfile!
  t.ok(block.block.transactions.length > 3 * GIVE_UP_AFTER, `a block long enough (${block.block.transactions.length} txs)`)
  t.equal(p.reexecuted, GIVE_UP_AFTER, `refused results stop at ${GIVE_UP_AFTER}, then the main thread runs the rest itself (${p.own} own, ${p.replayed} applied)`)
})
