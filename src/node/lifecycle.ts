// What the node has opened so far (listeners, workers, databases, temporary directories), closed in
// reverse order: on shutdown, and when startup fails half-way, so that a failed start leaves nothing
// running behind its `Fatal:` line (a live process that answers on some ports but not others is worse
// than a dead one under systemd or Kubernetes).
import type { Logger } from 'pino'

type Close = () => Promise<void> | void

export class Resources {
  private readonly open: { what: string; close: Close }[] = []
  private closing: Promise<void> | undefined

  constructor(private readonly logger: Logger) {}

  /** Registers `close` for something just opened; it runs before everything opened earlier. */
  add(what: string, close: Close): void {
    this.open.push({ what, close })
  }

  /**
   * Closes everything, newest first. A failing close is logged and does not stop the others: the
   * database and the temporary datadir must go even when a listener refuses to close cleanly.
   */
  closeAll(): Promise<void> {
    this.closing ??= (async () => {
      for (let r = this.open.pop(); r !== undefined; r = this.open.pop()) {
        try {
          await r.close()
        } catch (err) {
          this.logger.warn({ what: r.what, err: err instanceof Error ? err.message : String(err) }, 'Close failed')
        }
      }
    })()
    return this.closing
  }

  /** Runs `start`; when it throws, closes what was opened so far and rethrows its error. */
  async starting<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start()
    } catch (err) {
      await this.closeAll()
      throw err
    }
  }
}
