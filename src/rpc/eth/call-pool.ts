// A small pool of call workers (call-worker.ts) for the RPC's EVM work. Jobs wait in one queue and
// each worker takes one at a time. A job still queued at its deadline is answered with the timeout
// error without running; one whose worker has not answered `graceMs` after its deadline (an EVM
// that cannot be interrupted, e.g. inside a precompile) gets the same error, and that worker is
// terminated and replaced. If the workers cannot start, jobs run on `fallback`. Workers start on
// start(), the first job or whenReady(), so a node that fails to start leaves none behind.
import { Worker } from 'node:worker_threads'
import type { Common } from '@ethereumjs/common'
import type { Logger } from 'pino'
import type { Chain } from '../../chain/chain.ts'
import { LevelKV } from '../../db/level.ts'
import type { CallJobResult, RpcJob } from './call-job.ts'
import { chainBackend, fromWireError, InlineCallRunner, type CallRunner } from './call-runner.ts'
import { READY_ID, type CallWorkerReply, type CallWorkerRequest, type CommonData } from './call-worker.ts'
import { ExecutionTimeoutError } from './errors.ts'
import { tsWorkerSource } from '../../util/ts-worker.ts'

export interface CallPoolOptions {
  /** The chain's LevelDB, opened with `multithreading: true` by its owner. */
  kvPath: string
  common: Common
  workers: number
  logger: Logger
  /** Runs the jobs when the workers cannot start. */
  fallback: CallRunner
  /** How long past its deadline a running job may take before its worker is terminated (default 1 s). */
  graceMs?: number
  /**
   * Resolves once the store's writes behind have landed (LevelKV.settled): the workers read LevelDB
   * itself, so a job waits for a block staged on the main thread to be there.
   */
  settled?: () => Promise<void>
}

interface Pending {
  id: number
  job: RpcJob
  resolve: (r: CallJobResult) => void
  reject: (e: Error) => void
  timer?: NodeJS.Timeout
  worker?: Slot
  /** Queued while no worker had started yet: its deadline counts from the first worker's start instead. */
  queuedAt?: number
}

interface Slot {
  worker: Worker
  ready: boolean
  /** Being terminated (overran a deadline): takes no more jobs; its exit brings a replacement. */
  retiring?: boolean
  current?: Pending
}

const DEFAULT_GRACE_MS = 1000
/** How long a job queued before any worker started waits for them at most (then the usual timeout error). */
const STARTUP_WAIT_MS = 30_000

export class CallWorkerPool implements CallRunner {
  private readonly opts: CallPoolOptions
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private readonly common: CommonData
  private nextId = 1
  private started = false
  private closed = false
  private broken = false
  private readonly waiters: (() => void)[] = []

  constructor(opts: CallPoolOptions) {
    this.opts = opts
    const c = opts.common as unknown as { _chainParams: CommonData['chain']; _params: CommonData['params'] }
    this.common = { chain: c._chainParams, params: c._params, eips: opts.common.eips() }
  }

  /** Starts the workers (once; the first job or whenReady() starts them too). */
  start(): void {
    if (this.started || this.closed) return
    this.started = true
    for (let i = 0; i < Math.max(1, this.opts.workers); i++) this.slots.push(this.spawn())
  }

  run(job: RpcJob): Promise<CallJobResult> {
    const settled = this.opts.settled?.()
    return settled === undefined ? this.enqueue(job) : settled.then(() => this.enqueue(job))
  }

  private enqueue(job: RpcJob): Promise<CallJobResult> {
    this.start()
    if (this.broken || this.closed) return this.opts.fallback.run(job)
    return new Promise<CallJobResult>((resolve, reject) => {
      const p: Pending = { id: this.nextId++, job, resolve, reject }
      if (Number.isFinite(job.deadline)) {
        // Workers still starting (a cold node, a loaded machine) do not eat the job's time: its
        // deadline is moved by the wait when the first worker is ready, as if it had arrived then.
        const starting = !this.slots.some((s) => s.ready)
        if (starting) p.queuedAt = Date.now()
        const wait = starting ? Math.max(STARTUP_WAIT_MS, job.deadline - Date.now()) : job.deadline - Date.now()
        p.timer = setTimeout(() => this.expire(p), Math.max(0, wait))
      }
      this.queue.push(p)
      this.pump()
    })
  }

  /** Resolves once every worker has started (or the pool has given up on them and runs jobs on the fallback). */
  whenReady(): Promise<void> {
    this.start()
    if (this.isReady()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private isReady(): boolean {
    return this.broken || this.closed || this.slots.every((s) => s.ready || s.retiring === true)
  }

  private wake(): void {
    if (this.isReady()) for (const w of this.waiters.splice(0)) w()
  }

  async close(): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) this.settle(p, new ExecutionTimeoutError(p.job.timeoutMs))
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }

  private spawn(): Slot {
    const worker = new Worker(tsWorkerSource(new URL('./call-worker.ts', import.meta.url).href), { eval: true })
    worker.unref()
    const slot: Slot = { worker, ready: false }
    worker.on('message', (r: CallWorkerReply) => this.onReply(slot, r))
    worker.on('error', (err) => this.onExit(slot, err.message))
    worker.on('exit', (code) => this.onExit(slot, `exited with ${code}`))
    worker.postMessage({ type: 'init', kvPath: this.opts.kvPath, common: this.common } satisfies CallWorkerRequest)
    return slot
  }

  private onReply(slot: Slot, r: CallWorkerReply): void {
    if (r.id === READY_ID) {
      if (r.ok) {
        if (!this.slots.some((x) => x.ready)) this.started_()
        slot.ready = true
        this.wake()
        this.pump()
      } else {
        this.giveUp(`call worker could not start: ${r.error.message}`)
      }
      return
    }
    const p = slot.current
    if (p === undefined || p.id !== r.id) return
    slot.current = undefined
    this.settle(p, r.ok ? undefined : fromWireError(r.error), r.ok ? r.result : undefined)
    this.pump()
  }

  private onExit(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot)
    if (i < 0) return
    this.slots.splice(i, 1)
    const p = slot.current
    if (p !== undefined) this.settle(p, new Error(`call worker failed: ${why}`))
    if (this.closed || this.broken) return
    if (!slot.ready && slot.retiring !== true) return this.giveUp(`call worker could not start: ${why}`)
    this.opts.logger.warn({ reason: why }, 'Replacing call worker')
    this.slots.push(this.spawn())
  }

  /** The workers cannot start (e.g. the store is not in multithreading mode): run jobs on the fallback. */
  private giveUp(reason: string): void {
    if (this.broken) return
    this.broken = true
    this.wake()
    this.opts.logger.error({ reason }, 'Call workers unavailable; eth_call runs on the main thread')
    for (const p of this.queue.splice(0)) {
      clearTimeout(p.timer)
      this.opts.fallback.run(p.job).then(p.resolve, p.reject)
    }
  }

  /**
   * The first worker is ready: jobs that arrived before get their deadlines moved by the wait (the
   * start does not count against them; waiting for a busy worker from now on does).
   */
  private started_(): void {
    const now = Date.now()
    for (const p of this.queue) {
      if (p.queuedAt === undefined) continue
      clearTimeout(p.timer)
      p.job = { ...p.job, deadline: p.job.deadline + (now - p.queuedAt) }
      p.queuedAt = undefined
      p.timer = setTimeout(() => this.expire(p), Math.max(0, p.job.deadline - now))
    }
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.retiring === true || slot.current !== undefined) continue
      const p = this.queue.shift()
      if (p === undefined) return
      slot.current = p
      p.worker = slot
      slot.worker.postMessage({ type: 'job', id: p.id, job: p.job } satisfies CallWorkerRequest)
    }
  }

  /** The job's deadline passed: a queued job is answered now; a running one gets `graceMs` to answer by itself. */
  private expire(p: Pending): void {
    const at = this.queue.indexOf(p)
    if (at >= 0) {
      this.queue.splice(at, 1)
      return this.settle(p, new ExecutionTimeoutError(p.job.timeoutMs))
    }
    const slot = p.worker
    if (slot === undefined || slot.current !== p) return
    p.timer = setTimeout(() => {
      if (slot.current !== p) return
      this.opts.logger.warn({ method: p.job.method }, 'Call worker did not stop at the deadline; terminating it')
      slot.current = undefined
      slot.retiring = true
      this.settle(p, new ExecutionTimeoutError(p.job.timeoutMs))
      void slot.worker.terminate() // its exit handler replaces it
    }, this.opts.graceMs ?? DEFAULT_GRACE_MS)
  }

  private settle(p: Pending, err: Error | undefined, result?: CallJobResult): void {
    clearTimeout(p.timer)
    if (err !== undefined) p.reject(err)
    else p.resolve(result!)
  }
}

/**
 * The node's call runner: a pool over the chain's LevelDB store (which its owner opened with
 * multithreading), or in-process where the store is not LevelDB (memory stores in tests).
 */
export function startCallPool(chain: Chain, workers: number, logger: Logger): CallRunner {
  const inline = new InlineCallRunner(chainBackend(chain))
  const kv = chain.store.kv
  if (!(kv instanceof LevelKV)) return inline
  return new CallWorkerPool({ kvPath: kv.db.location, common: chain.common, workers, logger, fallback: inline, settled: () => kv.settled() })
}
