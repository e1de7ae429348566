// For tests that start processes of their own (scripts that run `parallax`): distinct free ports to
// give them, and a stop that interrupts one and waits for it to exit.
import type { ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:net'

/** Distinct free TCP ports on 127.0.0.1: all the listeners are held open together, so none repeats. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer()
      servers.push(s)
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(0, '127.0.0.1', () => resolve())
      })
    }
    return servers.map((s) => (s.address() as { port: number }).port)
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  }
}

/** SIGINT (the node stops cleanly), then waits for the exit; nothing when it has exited already. */
export async function interrupt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGINT')
  await exited
}
