// Other processes' runnable threads, for the parallel executor's back-off under load (parallel.ts
// loadBackoff). Linux only: the kernel's count of runnable threads (/proc/loadavg's fourth field,
// the same count as /proc/stat's procs_running) less this process's own threads in state R (from
// /proc/self/task/<tid>/stat). This process's threads (its workers, V8's and libuv's helpers) are
// not competition: they are its work.
//
// A sample is taken 8 times per parallel block on the main thread, between transactions, so it is
// kept cheap: the files stay open and are read again at offset 0 (procfs makes a fresh snapshot on
// each read), and the list of this process's threads is refreshed once per block. Reading the
// files by name each time cost ~0.25 ms a sample (readdir, 15 opens); this costs ~0.05 ms.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs'

const R = 82 // 'R'
const CLOSE_PAREN = 41 // ')'

export class RunnableReader {
  private readonly buf = Buffer.alloc(4096)
  /** Open stat files of this process's threads, by thread id. */
  private readonly tasks = new Map<string, number>()
  private closed = false

  private constructor(private readonly loadavg: number) {
    this.refresh()
  }

  /** A reader, or undefined where /proc cannot be read (not Linux). */
  static open(): RunnableReader | undefined {
    try {
      return new RunnableReader(openSync('/proc/loadavg', 'r'))
    } catch {
      return undefined
    }
  }

  /** Re-lists this process's threads (workers started or ended since): call once per block. */
  refresh(): void {
    if (this.closed) return
    let now: string[]
    try {
      now = readdirSync('/proc/self/task')
    } catch {
      return
    }
    const live = new Set(now)
    for (const [tid, fd] of this.tasks) {
      if (!live.has(tid)) {
        closeSync(fd)
        this.tasks.delete(tid)
      }
    }
    for (const tid of now) {
      if (this.tasks.has(tid)) continue
      try {
        this.tasks.set(tid, openSync(`/proc/self/task/${tid}/stat`, 'r'))
      } catch {
        // the thread ended meanwhile
      }
    }
  }

  /** Runnable threads of other processes now; undefined if the count cannot be read. */
  read(): number | undefined {
    if (this.closed) return undefined
    const buf = this.buf
    let running: number
    try {
      // "0.21 0.07 0.02 2/111 4576": runnable/total is the fourth field
      const s = buf.toString('latin1', 0, readSync(this.loadavg, buf, 0, buf.length, 0))
      const m = /\s(\d+)\/\d+\s/.exec(s)
      if (m === null) return undefined
      running = Number(m[1])
    } catch {
      return undefined
    }
    let mine = 0
    for (const [tid, fd] of this.tasks) {
      try {
        const n = readSync(fd, buf, 0, buf.length, 0)
        // the state is the field after the parenthesised name (which may contain spaces)
        const close = n > 0 ? buf.lastIndexOf(CLOSE_PAREN, n - 1) : -1
        if (close >= 0 && buf[close + 2] === R) mine++
      } catch {
        // The thread ended since the last refresh: forget its file (a new thread that gets the
        // same id is opened afresh by the next refresh).
        closeSync(fd)
        this.tasks.delete(tid)
      }
    }
    return Math.max(0, running - mine)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const fd of this.tasks.values()) closeSync(fd)
    this.tasks.clear()
    closeSync(this.loadavg)
  }
}

/** One reading with a reader opened and closed for it (tests, one-off checks). */
export function othersRunnable(): number | undefined {
  const r = RunnableReader.open()
  try {
    return r?.read()
  } finally {
    r?.close()
  }
}
