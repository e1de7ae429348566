// V8's parallel scavenge during parallel blocks. A young-generation GC normally splits its work into
// tasks for V8's background threads and waits for them; while the parallel executor's main thread and
// workers keep every core busy those tasks get no core, and each thread's GCs wait. Measured on the
// 2-core bench machine (tmp A/B, same process, interleaved): erc20/independent parallel 504 → 414 ms
// with parallel scavenge off, the sequential executor unchanged (506 vs 515 ms; it gets the idle core
// for the GC's helpers). So the flag is off only while a parallel block runs, and restored after it
// (or as soon as the block's workers have finished: the rest runs on the main thread alone), unless
// the process was started with its own choice of GC threading.
import { setFlagsFromString } from 'node:v8'

const userChose = process.execArgv.some((a) => /^--(no-)?(parallel-scavenge|single-threaded-gc|single-threaded)$/.test(a.replaceAll('_', '-')))
let depth = 0
let listener: ((serial: boolean) => void) | undefined

/** Test hook: called with true when parallel scavenge is switched off, false when it is back on. */
export function onScavengeSwitch(fn: ((serial: boolean) => void) | undefined): void {
  listener = fn
}

/**
 * Runs `fn` with V8's parallel scavenge off (nested and concurrent calls share one switch). `fn`
 * may call `release` to give its part of the switch back early: a block whose workers stopped
 * (work sharing gave up on it) or finished their share leaves a core free for the scavenge's
 * helpers again.
 */
export async function withSerialScavenge<T>(fn: (release: () => void) => Promise<T>): Promise<T> {
  if (userChose) return fn(() => undefined)
  if (depth++ === 0) {
    setFlagsFromString('--no-parallel-scavenge')
    listener?.(true)
  }
  let held = true
  const release = (): void => {
    if (!held) return
    held = false
    if (--depth === 0) {
      setFlagsFromString('--parallel-scavenge')
      listener?.(false)
    }
  }
  try {
    return await fn(release)
  } finally {
    release()
  }
}

/** Whether a parallel block is running with parallel scavenge switched off (tests). */
export function serialScavengeActive(): boolean {
  return !userChose && depth > 0
}
