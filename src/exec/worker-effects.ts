// The speculation worker's job in effects mode (effects.ts): each transaction's whole runTx over
// the parent state (this worker's earlier transactions in its caches), recorded as first reads and
// final writes, posted to the main thread in batches. A block that carries its EIP-7928 access list:
// what the worker has not read or written yet it sees as the parent state plus the list's changes
// below the transaction's index (bal-view.ts), so its run needs nothing from the transactions
// before it; each transaction also reports the calls it made on the access list (bal-record.ts),
// replayed on the block's list on the main thread. After skipping a transaction the main thread
// ran, the worker forgets its state (what it kept may be older than that transaction's changes).
import type { EVM } from '@ethereumjs/evm'
import type { BlockLevelAccessList } from '@ethereumjs/util'
import { createVM, runTx, type RunTxResult } from '@ethereumjs/vm'
import type { LevelKV } from '../db/level.ts'
import { AccessListRecorder } from './bal-record.ts'
import { BalView } from './bal-view.ts'
import { packBytes } from './pack.ts'
import { EffectsStateManager, type TxEffects, type TxResultData } from './effects.ts'
import { gate, jobContext, noBlockchain, ReplyBatch, txAt, type JobStats, type SpecJob, type SpecReply } from './worker-job.ts'

/** The job in effects mode: each transaction's whole runTx, recorded as reads and final writes. */
export async function runEffectsJob(kv: LevelKV, job: SpecJob, post: (r: SpecReply) => void): Promise<JobStats> {
  const t0 = performance.now()
  let traceBytes = 0
  const { d, block, common, smOpts, flat } = jobContext(kv, job)
  const listed = job.bal !== undefined && common.isActivatedEIP(7928)
  const sm = new EffectsStateManager(smOpts, flat, listed ? new BalView(job.bal!) : undefined)
  const vm = await createVM({ common, stateManager: sm, blockchain: noBlockchain })
  await sm.checkpoint() // never committed: nothing is flushed to the trie
  const evm = vm.evm as EVM
  const recorder = listed ? new AccessListRecorder() : undefined
  if (recorder !== undefined) (evm as { blockLevelAccessList?: BlockLevelAccessList }).blockLevelAccessList = recorder as unknown as BlockLevelAccessList
  const runCall = evm.runCall.bind(evm)
  evm.runCall = async (opts) => {
    if (opts.message !== undefined || sm.phase !== 'pre') return runCall(opts)
    sm.phase = 'call'
    try {
      return await runCall(opts)
    } finally {
      sm.phase = 'post'
    }
  }
  // The batch's bytes travel in one buffer (pack.ts): the main thread takes them between its own transactions.
  const out = new ReplyBatch<TxEffects>(job.batch, (indices, effects, pubkeys) => post({ id: job.id, ok: true, kind: 'effects', indices, ...packBytes({ effects, pubkeys }) }))
  let skipped = false
  const keep = job.keep !== undefined ? new Set(job.keep) : undefined
  for (const idx of job.indices) {
    const g = await gate(job, idx, keep)
    if (g === 'stop') break
    if (g === 'skip') {
      skipped = true
      continue
    }
    const tx = txAt(d, idx, job.pubkeys?.[idx])
    let fx: TxEffects | null = null
    if (recorder !== undefined) {
      if (skipped) {
        await sm.revert()
        await sm.checkpoint()
        skipped = false
      }
      recorder.reset(idx + 1)
      sm.accessIndex = idx + 1
    }
    sm.begin(block.header.coinbase)
    try {
      const r = await runTx(vm, { tx, block, blockGasUsed: 0n })
      const to = tx.to
      const plain = to !== undefined && tx.data.length === 0 && !to.equals(tx.getSenderAddress())
      fx = await sm.end(resultData(r), plain ? to : undefined)
      if (recorder !== undefined) {
        fx.balCalls = recorder.calls
        // The main thread replaces the fee credit's balance with its own: it must be the only one.
        if (recorder.balanceChanges(block.header.coinbase.toString()) > 1) fx.runOnMain ??= 'changes the fee recipient\'s balance twice'
      }
      traceBytes += effectsSize(fx)
    } catch {
      fx = null // the main thread runs it (and finds out why)
    } finally {
      sm.phase = 'pre'
    }
    // A kept transaction the main thread has gone past meanwhile: run for the state it leaves, nobody
    // takes its result. (Not one it is at: it may be waiting for it, parallel.ts chainCall.)
    if (keep !== undefined && job.cancel !== undefined && Atomics.load(job.cancel, 1) > idx && keep.has(idx)) continue
    out.add(idx, fx, tx)
    // The main thread may be waiting for a chain's call (parallel.ts chainCall): it goes at once.
    if (keep?.has(idx) === true) out.flush()
  }
  out.flush()
  return { busyMs: performance.now() - t0, traceBytes }
}

/** The parts of runTx's result the main thread needs (plain data). */
function resultData(r: RunTxResult): TxResultData {
  const receipt = r.receipt as TxResultData['receipt']
  return {
    receipt: { ...receipt, logs: receipt.logs },
    totalGasSpent: r.totalGasSpent,
    blockGasSpent: r.blockGasSpent ?? r.totalGasSpent,
    amountSpent: r.amountSpent,
    gasRefund: r.gasRefund,
    minerValue: r.minerValue,
    bloom: r.bloom.bitvector,
    ...(r.createdAddress !== undefined ? { createdAddress: r.createdAddress.bytes } : {}),
    ...(r.blobGasUsed !== undefined ? { blobGasUsed: r.blobGasUsed } : {}),
    ...(r.txRegularGas !== undefined ? { txRegularGas: r.txRegularGas } : {}),
    ...(r.txStateGas !== undefined ? { txStateGas: r.txStateGas } : {}),
  }
}

function effectsSize(fx: TxEffects): number {
  let n = 64
  for (const [a, v] of fx.accountReads) n += a.length + (v?.length ?? 0) + 16
  for (const [a, k, v] of fx.slotReads) n += a.length + k.length + v.length + 24
  for (const [a, v] of fx.accountWrites) n += a.length + v.length + 16
  for (const [a, k, v] of fx.slotWrites) n += a.length + k.length + v.length + 24
  for (const [a, c] of fx.codeWrites) n += a.length + c.length + 16
  n += 48 * (fx.balCalls?.length ?? 0)
  for (const log of fx.result.receipt.logs as unknown[][]) n += 64 + ((log[2] as Uint8Array | undefined)?.length ?? 0) + 32 * ((log[1] as unknown[] | undefined)?.length ?? 0)
  return n
}

