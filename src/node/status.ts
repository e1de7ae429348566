// Periodic operator lines, geth-style: a status line (head, txpool) every `intervalMs`, and a
// warning when no consensus client has called the Engine API for a while.
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import type { EngineService } from '../chain/engine.ts'
import type { TxPool } from '../txpool/index.ts'

export interface StatusOptions {
  chain: Chain
  engine: EngineService
  txpool: TxPool
  logger: Logger
  peers?: () => number
  intervalMs?: number
  /** Warn when no Engine API call arrived for this long (not in dev mode, which drives itself). */
  clSilenceMs?: number
  warnNoConsensusClient?: boolean
}

export function startStatusLoop(o: StatusOptions): () => void {
  const started = Date.now()
  const interval = o.intervalMs ?? 30_000
  const silence = o.clSilenceMs ?? 60_000
  const timer = setInterval(() => {
    const head = o.chain.head
    const size = o.txpool.size
    o.logger.info(
      { number: Number(head.number), hash: bytesToHex(head.hash()), peers: o.peers?.() ?? 0, txpending: size.pending, txqueued: size.queued },
      'Status',
    )
    if (o.warnNoConsensusClient !== false) {
      const last = o.engine.lastCall === 0 ? started : o.engine.lastCall
      if (Date.now() - last > silence) {
        o.logger.warn({ since: `${Math.round((Date.now() - last) / 1000)}s` }, 'No consensus client seen: is a beacon node connected to the Engine API (--authrpc.port)?')
      }
    }
  }, interval)
  timer.unref()
  return () => clearInterval(timer)
}
