// libp2p reports a listen address it could not bind in one long message about its fault-tolerance
// setting. When its start fails, binding the same address once more with node:net gives the reason in
// the words the other listeners use (`cannot listen on 0.0.0.0:30303: listen EADDRINUSE: ...`).
import { createServer } from 'node:net'
import { ConfigError } from '../util/errors.ts'

/** The error to report for a failed libp2p start: a ConfigError naming the address when it cannot be bound, else `err`. */
export async function explainStartFailure(listen: { addr: string; port: number }, err: unknown): Promise<unknown> {
  const bindError = await new Promise<Error | undefined>((resolve) => {
    const probe = createServer()
    probe.once('error', (e) => resolve(e))
    probe.listen(listen.port, listen.addr, () => probe.close(() => resolve(undefined)))
  })
  if (bindError === undefined) return err
  return new ConfigError(`cannot listen on ${listen.addr}:${listen.port} (p2p): ${bindError.message}`, { cause: err })
}
