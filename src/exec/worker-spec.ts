// Speculation worker (worker_threads): runs the transactions it is given, in order, with the real
// runTx over a state manager that reads the parent state (flat tables when they describe the parent,
// else the trie) and never flushes, and records either each transaction's effects (worker-effects.ts)
// or a trace of its EVM call (parallel-trace.ts; this file). Nothing here is trusted by the main
// thread: every value a transaction read is checked again there. Messages: worker-job.ts.
import { parentPort } from 'node:worker_threads'
import type { EVM } from '@ethereumjs/evm'
import { createVM, runTx } from '@ethereumjs/vm'
import { LevelKV } from '../db/level.ts'
import { key, Prefix } from '../db/keys.ts'
import { runClaimed } from './split-root.ts'
import { BalStateManager, BalView } from './bal-view.ts'
import { callArgs, encodeValue, hasTxEvmFields, TraceRecorder, traceSize, txEvmFields, type TxTrace } from './parallel-trace.ts'
import { installJumpdestCache, jumpdestStats } from './jumpdest-cache.ts'
import { FlatReadStateManager } from './state.ts'
import { runEffectsJob } from './worker-effects.ts'
import { forgetBlock, gate, jobContext, noBlockchain, recoverSenders, ReplyBatch, txAt, type JobStats, type SpecJob, type SpecReply, type WorkerMessage } from './worker-job.ts'

await installJumpdestCache()

/** The parts of the worker EVM's block access list it resets before each transaction. */
interface WorkerBal {
  accesses: Record<string, unknown>
  checkpoints: unknown[]
  originalBalances: Map<string, bigint>
  originalCodesAtIndex: Map<string, Uint8Array>
  blockAccessIndex: number
}

let kv: LevelKV | undefined

async function runJob(job: SpecJob, post: (r: SpecReply) => void): Promise<JobStats> {
  if (kv === undefined) throw new Error('worker not initialised')
  if (job.mode === 'effects') return runEffectsJob(kv, job, post)
  const t0 = performance.now()
  let traceBytes = 0
  const { d, block, common, smOpts, flat } = jobContext(kv, job)
  const balState = job.bal !== undefined ? new BalStateManager(smOpts, flat, new BalView(job.bal)) : undefined
  const stateManager = balState ?? new FlatReadStateManager(smOpts, flat)
  const vm = await createVM({ common, stateManager, blockchain: noBlockchain })
  // An open checkpoint that is never committed: nothing is ever flushed to the trie.
  await stateManager.checkpoint()
  const evm = vm.evm as EVM
  const recorder = new TraceRecorder(evm)
  const txFields = hasTxEvmFields(evm)
  const bal = evm.blockLevelAccessList as unknown as WorkerBal | undefined
  let current: TxTrace | null = null
  let called = false
  const runCall = evm.runCall.bind(evm)
  evm.runCall = async (opts) => {
    if (opts.message !== undefined || current === null || called || recorder.active) return runCall(opts)
    called = true
    current.args = callArgs(opts)
    if (txFields) current.evmBefore = txEvmFields(evm)
    recorder.start()
    try {
      const res = await runCall(opts)
      current.result = encodeValue(res)
      if (txFields) current.evmAfter = txEvmFields(evm)
      return res
    } finally {
      current.ops = recorder.stop()
    }
  }
  const t1 = performance.now()
  const out = new ReplyBatch<TxTrace>(job.batch, (indices, traces, pubkeys) => post({ id: job.id, ok: true, kind: 'traces', indices, traces, pubkeys }))
  const keep = job.keep !== undefined ? new Set(job.keep) : undefined
  for (const idx of job.indices) {
    const g = await gate(job, idx, keep)
    if (g === 'stop') break
    if (g === 'skip') continue
    const tx = txAt(d, idx, job.pubkeys?.[idx])
    current = { args: callArgs({}), ops: [], result: undefined }
    called = false
    let trace: TxTrace | null = null
    if (bal !== undefined) {
      // Only the main thread's list counts (replay re-adds every entry there): keep this one small,
      // since the EVM deep-copies it at every call frame.
      bal.accesses = {}
      bal.checkpoints = []
      bal.originalBalances.clear()
      bal.originalCodesAtIndex.clear()
      bal.blockAccessIndex = idx + 1
    }
    if (balState !== undefined) {
      balState.accessIndex = idx + 1
      await balState.checkpoint() // reverted below: the next transaction starts from the list again
    }
    try {
      await runTx(vm, { tx, block, blockGasUsed: 0n })
      if (current.result !== undefined) {
        trace = current
        traceBytes += traceSize(trace)
      }
    } catch {
      trace = null
    } finally {
      if (balState !== undefined) await balState.revert()
    }
    current = null
    out.add(idx, trace, tx)
  }
  out.flush()
  if (process.env['PARALLAX_WORKER_TIMING'] !== undefined) {
    process.stderr.write(
      `worker: setup ${(t1 - t0).toFixed(1)} ms, ${job.indices.length} txs ${(performance.now() - t1).toFixed(1)} ms, jumpdest cache ${jumpdestStats.hits} hits/${jumpdestStats.misses} misses\n`,
    )
  }
  return { busyMs: performance.now() - t0, traceBytes }
}

const post = (r: SpecReply): void => parentPort!.postMessage(r)
const failure = (id: number, err: unknown): SpecReply => ({ id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) })
const fail = (id: number, err: unknown): void => post(failure(id, err))

/** Messages are handled one at a time, in arrival order (a re-init never closes the store under a job). */
async function handle(msg: WorkerMessage): Promise<void> {
  switch (msg.type) {
    case 'init':
      forgetBlock()
      try {
        await kv?.close()
      } catch {
        // a store that fails to close is dropped anyway
      }
      try {
        kv = await LevelKV.open(msg.kvPath, { multithreading: true })
        post({ id: -1, ok: true, kind: 'ready' })
      } catch (err) {
        kv = undefined
        fail(-1, err)
      }
      return
    case 'senders':
      try {
        recoverSenders(msg, (from, pubkeys) => post({ id: msg.id, ok: true, kind: 'senders', from, pubkeys }))
        post({ id: msg.id, ok: true, kind: 'senders-done' })
      } catch (err) {
        fail(msg.id, err)
      }
      return
    case 'trie': {
      const store = kv
      if (store === undefined) return fail(msg.id, new Error('no store'))
      const get = (h: Uint8Array) => store.getSync(key(Prefix.TrieNode, h))
      runClaimed(get, msg.tasks, msg.claim, (task, results) => post({ id: msg.id, ok: true, kind: 'trie-task', task, results }))
      post({ id: msg.id, ok: true, kind: 'trie' })
      return
    }
    case 'job': {
      const port = msg.port
      const reply = port !== undefined ? (r: SpecReply): void => port.postMessage(r) : post
      try {
        const stats = await runJob(msg, reply)
        reply({ id: msg.id, ok: true, kind: 'done', ...stats })
      } catch (err) {
        reply(failure(msg.id, err))
      } finally {
        port?.close()
      }
      return
    }
  }
}

let queue: Promise<void> = Promise.resolve()
parentPort?.on('message', (msg: WorkerMessage) => {
  queue = queue.then(() => handle(msg))
})
