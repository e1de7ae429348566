// Loading the parallel executor under test. A module may export
//   createBenchExecutor(ctx: BenchExecutorContext): Executor | Promise<Executor>   (preferred), or
//   class ParallelExecutor, constructed as `new ParallelExecutor(ctx)`.
// The context names the LevelDB directory (opened with multithreading, so worker threads can open
// it too), the main thread's handle on it, and the chain's Common. One executor per workload; its
// close() is called when the workload is done.
import type { Common } from '@ethereumjs/common'
import type { LevelKV } from '../../src/db/level.ts'
import type { Executor } from '../../src/exec/sequential.ts'

export interface BenchExecutorContext {
  /** The workload's LevelDB directory. */
  location: string
  kv: LevelKV
  common: Common
}

export interface ParallelSource {
  description: string
  create(ctx: BenchExecutorContext): Promise<Executor>
}

type Factory = (ctx: BenchExecutorContext) => Executor | Promise<Executor>
type Ctor = new (ctx: BenchExecutorContext) => Executor

function checked(ex: Executor, what: string): Executor {
  if (typeof ex?.execute !== 'function') throw new Error(`${what} did not produce an Executor (no execute method)`)
  return ex
}

/** The module's parallel executor, or why there is none. */
export async function loadParallel(url: string): Promise<ParallelSource | { unavailable: string }> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(url)) as Record<string, unknown>
  } catch (err) {
    return { unavailable: `cannot import ${url}: ${err instanceof Error ? err.message : String(err)}` }
  }
  const factory = mod['createBenchExecutor']
  if (typeof factory === 'function') {
    return {
      description: 'createBenchExecutor()',
      create: async (ctx) => checked(await (factory as Factory)(ctx), 'createBenchExecutor'),
    }
  }
  const ctor = mod['ParallelExecutor']
  if (typeof ctor === 'function') {
    return {
      description: 'new ParallelExecutor(ctx)',
      create: async (ctx) => checked(new (ctor as Ctor)(ctx), 'ParallelExecutor'),
    }
  }
  return { unavailable: `${url} exports neither createBenchExecutor nor ParallelExecutor` }
}
