// Waiting for replies a worker posts to the main thread, with a deadline: the event loop turns (it
// delivers the messages) until `done()` holds or the deadline passes. The caller's message handler
// calls the wake function it was handed so the check runs as soon as a reply lands.

/**
 * Resolves once `done()` is true or `performance.now()` passes `until`. `onWake` receives the
 * function that ends the current wait early (and undefined between waits).
 */
export async function waitUntil(done: () => boolean, until: number, onWake: (wake: (() => void) | undefined) => void): Promise<void> {
  while (!done() && performance.now() < until) {
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>((resolve) => {
      onWake(resolve)
      timer = setTimeout(resolve, Math.max(0, until - performance.now()))
    })
    clearTimeout(timer)
    onWake(undefined)
  }
}
