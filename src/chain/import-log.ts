// geth-style import logging: one line per imported block, and a progress line with ETA every few
// seconds for long imports.
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { InsertResult } from './chain.ts'

export function logImported(logger: Logger, block: Block, res: InsertResult, level: 'info' | 'debug' = 'info'): void {
  const ms = res.elapsedMs ?? 0
  const gas = block.header.gasUsed
  logger[level](
    {
      number: Number(block.header.number),
      hash: bytesToHex(block.hash()),
      txs: block.transactions.length,
      gas: Number(gas),
      mgasps: ms > 0 ? Number(((Number(gas) / 1e6) / (ms / 1000)).toFixed(3)) : 0,
      elapsed: `${ms.toFixed(1)}ms`,
      ...(res.phases !== undefined
        ? { validate: `${res.phases.validateMs.toFixed(1)}ms`, execute: `${res.phases.executeMs.toFixed(1)}ms`, commit: `${res.phases.commitMs.toFixed(1)}ms` }
        : {}),
      parallel: res.outcome?.executor === 'parallel',
      reexec: res.outcome?.reexecutions ?? 0,
    },
    'Imported new block',
  )
}

export class ImportProgress {
  private readonly logger: Logger
  private readonly total: number
  private done = 0
  private readonly started = Date.now()
  private last = Date.now()
  readonly intervalMs: number

  constructor(logger: Logger, total: number, intervalMs = 8000) {
    this.logger = logger
    this.total = total
    this.intervalMs = intervalMs
  }

  tick(number: bigint): void {
    this.done++
    const now = Date.now()
    if (now - this.last < this.intervalMs) return
    this.last = now
    const rate = this.done / ((now - this.started) / 1000)
    const left = this.total - this.done
    this.logger.info(
      { number: Number(number), processed: this.done, total: this.total, blocksps: Number(rate.toFixed(1)), eta: `${Math.ceil(left / Math.max(rate, 1e-9))}s` },
      'Import progress',
    )
  }
}
