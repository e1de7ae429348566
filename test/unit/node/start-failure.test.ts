// startNode with a listener that cannot start (its port held by a test server): it rejects with the
// listen error, and the listeners it had opened before are closed again (their ports can be bound).
import t from 'tap'
import { createServer, type Server } from 'node:net'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { startNode } from '../../../src/node/node.ts'
import { ConfigError } from '../../../src/util/errors.ts'
import { devGenesisJson, openMemoryChain } from '../../helpers/engine-harness.ts'

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
const portOf = (s: Server): number => (s.address() as { port: number }).port
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()))

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const s = await listen(0)
  const port = portOf(s)
  await close(s)
  return port
}

t.test('a taken HTTP port: startNode rejects and the Engine API port is free again', async (t) => {
  const { chain, common } = await openMemoryChain(devGenesisJson())
  const taken = await listen(0)
  t.teardown(() => close(taken))
  const enginePort = await freePort()
  const metricsPort = await freePort()
  await t.rejects(
    startNode({
      chain,
      common,
      logger: pino({ level: 'silent' }),
      authrpc: { addr: '127.0.0.1', port: enginePort, jwtSecret: new Uint8Array(randomBytes(32)) },
      http: { addr: '127.0.0.1', port: portOf(taken), api: ['eth'] },
      metrics: { addr: '127.0.0.1', port: metricsPort },
    }),
    ConfigError,
    'the listen error',
  )
  const again = await listen(enginePort)
  t.pass('the Engine API listener was closed')
  await close(again)
  const metrics = await listen(metricsPort)
  t.pass('the metrics port was never taken (startup stopped at HTTP)')
  await close(metrics)
})
