// The node's block executor: the ParallelExecutor (default; --no-exec.parallel for the sequential one)
// behind a thin wrapper that reports every block it runs (imports and payload sealing alike) and every
// fallback to observers (the metrics), with label values from small fixed sets.
import type { Block } from '@ethereumjs/block'
import type { Logger } from 'pino'
import type { ExecutionOutcome } from '../exec/outcome.ts'
import { ParallelExecutor } from '../exec/parallel.ts'
import { SequentialExecutor, type ExecuteRequest, type Executor } from '../exec/sequential.ts'
import type { ExecutionObservation, FallbackReason } from '../metrics/index.ts'
import { ExecutorRecords } from '../parallelism/records.ts'

/** The --exec.* flags. */
export interface ExecSettings {
  parallel: boolean
  /** Worker threads of the parallel executor. */
  workers: number
  /**
   * Start the workers right away (the node: a payload build must not wait ~2 s for them while
   * getPayload's deadline runs); default: on the first block large enough to need them.
   */
  prestart?: boolean
}

/** What the node reports executions to (`Metrics` is one). */
export interface ExecutionObserver {
  observeExecution(e: ExecutionObservation): void
  fallback(reason: FallbackReason): void
}

export class NodeExecutor implements Executor {
  readonly kind: Executor['kind']
  private readonly observers = new Set<ExecutionObserver>()
  /** The parallel executor's profile of each block it ran in parallel, by hash (parallax_blockParallelism). */
  readonly records = new ExecutorRecords()

  constructor(readonly inner: Executor) {
    this.kind = inner.kind
  }

  /** Adds an observer; returns its removal. */
  observe(o: ExecutionObserver): () => void {
    this.observers.add(o)
    return () => void this.observers.delete(o)
  }

  async prepare(block: Block): Promise<void> {
    await this.inner.prepare?.(block)
  }

  async execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
    const started = performance.now()
    const out = await this.inner.execute(req)
    const profile = this.inner instanceof ParallelExecutor ? this.inner.lastProfile : undefined
    // A sealed payload is imported under its sealed hash (the import reuses this execution).
    if (profile !== undefined) this.records.add((out.sealed ?? req.block).hash(), profile)
    const e: ExecutionObservation = { executor: out.executor, seconds: (performance.now() - started) / 1000, reexecutions: out.reexecutions }
    for (const o of this.observers) o.observeExecution(e)
    return out
  }

  /** A fallback of the inner (parallel) executor, already classified. */
  reportFallback(reason: FallbackReason): void {
    for (const o of this.observers) o.fallback(reason)
  }

  async close(): Promise<void> {
    await this.inner.close?.()
  }
}

/**
 * The fixed label of one of ParallelExecutor's free-text fallback reasons. `wholeBlock`: the block
 * ran sequentially (a "worker error" then means the workers could not start); otherwise a worker
 * failed mid-block and only its transactions ran on the main thread.
 */
export function fallbackReason(text: string, wholeBlock: boolean): FallbackReason {
  if (text.startsWith('small block')) return 'small_block'
  if (text.startsWith('no LevelDB path')) return 'no_store'
  if (text.startsWith('binary trees')) return 'binary_tree'
  if (text.startsWith('workers still starting')) return 'workers_starting'
  if (text.startsWith('cores busy')) return 'cores_busy'
  if (text.startsWith('worker error')) return wholeBlock ? 'worker_start' : 'worker_error'
  return 'other'
}

/** The executor for a datadir whose chaindata LevelDB is `kvPath` (opened with multithreading when parallel). */
export function createNodeExecutor(settings: ExecSettings, kvPath: string, logger: Logger): NodeExecutor {
  if (!settings.parallel) return new NodeExecutor(new SequentialExecutor())
  // ParallelExecutor counts a whole-block fallback in stats.fallbacks just before it calls onFallback;
  // a worker failing mid-block is reported through onFallback without it.
  let blockFallbacks = 0
  const parallel: ParallelExecutor = new ParallelExecutor({
    workers: settings.workers,
    kvPath,
    prestart: settings.prestart === true,
    loadBackoff: true,
    logger: logger.child({ module: 'exec' }),
    onFallback: (text) => {
      const wholeBlock = parallel.stats.fallbacks !== blockFallbacks
      blockFallbacks = parallel.stats.fallbacks
      node.reportFallback(fallbackReason(text, wholeBlock))
    },
  })
  const node = new NodeExecutor(parallel)
  return node
}
