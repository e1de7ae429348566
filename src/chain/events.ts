// A minimal typed event emitter for the chain's and the pool's notifications (head changes, pooled
// transactions). Listeners run synchronously, in registration order, right after the change is
// committed; a listener that throws is logged and never disturbs the emitter or the other listeners,
// so a subscriber can never fail a block import. Listeners must be cheap: queue work, do not do it.
export type Listener<T> = (event: T) => void

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>()
  private readonly onError: (err: unknown) => void

  constructor(onError: (err: unknown) => void = () => undefined) {
    this.onError = onError
  }

  /** Adds a listener; the returned function removes it. */
  on(fn: Listener<T>): () => void {
    const wrapped: Listener<T> = (e) => fn(e)
    this.listeners.add(wrapped)
    return () => void this.listeners.delete(wrapped)
  }

  emit(event: T): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(event)
      } catch (err) {
        this.onError(err)
      }
    }
  }

  get size(): number {
    return this.listeners.size
  }
}
