// Collects the calls made during one turn of the event loop and hands them to `run` together, in
// arrival order; each call still gets its own result or error. The pool's intake uses it so that a
// flood of submissions costs a few batched admissions instead of one lock and read per transaction.

/** What `run` returns for one item: its value, or the error its caller gets. */
export type Settled<R> = { value: R } | { error: unknown }

export class TurnBatch<T, R> {
  private waiting: { item: T; resolve(r: R): void; reject(e: unknown): void }[] = []

  constructor(private readonly run: (items: T[]) => Promise<Settled<R>[]>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject })
      if (this.waiting.length === 1) setImmediate(() => void this.flush())
    })
  }

  private async flush(): Promise<void> {
    const batch = this.waiting
    this.waiting = []
    let results: Settled<R>[]
    try {
      results = await this.run(batch.map((w) => w.item))
    } catch (err) {
      for (const w of batch) w.reject(err)
      return
    }
    batch.forEach((w, i) => {
      const r = results[i]
      if (r === undefined) w.reject(new Error('batch returned no result for an item'))
      else if ('value' in r) w.resolve(r.value)
      else w.reject(r.error)
    })
  }
}
