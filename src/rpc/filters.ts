// Polled filters, as geth's: eth_newFilter (logs by address/topics, within fromBlock..toBlock when
// those are numbers), eth_newBlockFilter (block hashes), eth_newPendingTransactionFilter (transaction
// hashes, or full transactions with `true`), eth_getFilterChanges (what arrived since the last poll;
// removed logs flagged), eth_getFilterLogs (eth_getLogs with the filter's criteria) and
// eth_uninstallFilter. A filter not polled for 5 minutes is removed (geth's deadline). Bounded: at
// most `maxFilters` live filters, and a filter holding more than `maxChanges` unpolled changes is
// removed; its next poll says so (-32005), later ones "filter not found".
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { InvalidParamsError } from './errors.ts'
import { filterJSON, logMatches, type LogFilter } from './eth/logs.ts'
import { arg, checkArity } from './eth/params.ts'
import type { HeadsEvent, PendingEvent, RpcFeed } from './feed.ts'
import { FilterNotFoundError, LimitExceededError, NotificationsUnsupportedError } from './sub-errors.ts'
import type { RpcHandler } from './types.ts'

/** geth's filter deadline (rpc/filters: deadline = 5 * time.Minute). */
export const DEFAULT_FILTER_TIMEOUT_MS = 5 * 60_000
export const DEFAULT_MAX_FILTERS = 1000
export const DEFAULT_MAX_FILTER_CHANGES = 10_000

export interface FilterOptions {
  feed: RpcFeed
  logger: Logger
  /** eth_getLogs, for eth_getFilterLogs. */
  getLogs: (criteria: unknown) => Promise<unknown>
  timeoutMs?: number
  maxFilters?: number
  maxChanges?: number
  /** Clock in ms (tests). */
  now?: () => number
}

interface Filter {
  kind: 'logs' | 'blocks' | 'pending'
  deadline: number
  /** Serialized JSON items (a log object, or a quoted hash), parsed when polled. */
  changes: string[]
  overflowed: boolean
  criteria?: LogFilter
  /** The criteria as given, for eth_getFilterLogs. */
  raw?: unknown
  /** Pending filters: full transactions instead of hashes (geth's optional argument). */
  fullTx?: boolean
}

const newId = (): string => `0x${randomBytes(16).toString('hex')}`

export class FilterRegistry {
  private readonly filters = new Map<string, Filter>()
  private readonly timeoutMs: number
  private readonly maxFilters: number
  private readonly maxChanges: number
  private readonly now: () => number
  private readonly opts: FilterOptions
  private readonly offs: (() => void)[]
  private readonly timer: NodeJS.Timeout

  constructor(opts: FilterOptions) {
    this.opts = opts
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_FILTER_TIMEOUT_MS
    this.maxFilters = opts.maxFilters ?? DEFAULT_MAX_FILTERS
    this.maxChanges = opts.maxChanges ?? DEFAULT_MAX_FILTER_CHANGES
    this.now = opts.now ?? Date.now
    this.offs = [opts.feed.heads.on((e) => this.onHeads(e)), opts.feed.pending.on((e) => this.onPending(e)), opts.feed.wantLogs(() => this.hasKind('logs'))]
    this.timer = setInterval(() => this.sweep(), Math.min(this.timeoutMs, 60_000))
    this.timer.unref()
  }

  get size(): number {
    return this.filters.size
  }

  /** Removes the filters whose deadline has passed. */
  sweep(): void {
    const now = this.now()
    for (const [id, f] of this.filters) if (f.deadline <= now) this.filters.delete(id)
  }

  close(): void {
    clearInterval(this.timer)
    for (const off of this.offs.splice(0)) off()
    this.filters.clear()
  }

  /** The eth_* filter methods (and eth_subscribe's answer over HTTP). */
  methods(): Record<string, RpcHandler> {
    return {
      eth_newFilter: (params) => {
        checkArity(params, 1, 1)
        const raw = params[0]
        const criteria = arg(params, 0, filterJSON)
        if (criteria.blockHash !== undefined) throw new InvalidParamsError('invalid argument 0: a filter cannot be installed on a block hash (use eth_getLogs)')
        return this.install({ kind: 'logs', criteria, raw })
      },
      eth_newBlockFilter: (params) => {
        checkArity(params, 0, 0)
        return this.install({ kind: 'blocks' })
      },
      eth_newPendingTransactionFilter: (params) => {
        checkArity(params, 0, 1)
        const full = params[0]
        if (full !== undefined && full !== null && typeof full !== 'boolean') throw new InvalidParamsError('invalid argument 0: expected a boolean (full transactions)')
        return this.install({ kind: 'pending', fullTx: full === true })
      },
      eth_getFilterChanges: (params) => {
        const f = this.lookup(params)
        if (f.overflowed) {
          this.filters.delete(params[0] as string)
          throw new LimitExceededError(`filter removed: more than ${this.maxChanges} changes were not polled`)
        }
        f.deadline = this.now() + this.timeoutMs
        const out = f.changes
        f.changes = []
        return out.map((json) => JSON.parse(json) as unknown)
      },
      eth_getFilterLogs: async (params) => {
        const f = this.lookup(params)
        if (f.kind !== 'logs') throw new FilterNotFoundError()
        f.deadline = this.now() + this.timeoutMs
        return this.opts.getLogs(f.raw)
      },
      eth_uninstallFilter: (params) => {
        checkArity(params, 1, 1)
        const id = params[0]
        if (typeof id !== 'string') throw new InvalidParamsError('invalid argument 0: expected a filter id')
        return this.filters.delete(id)
      },
      eth_subscribe: () => {
        throw new NotificationsUnsupportedError()
      },
      eth_unsubscribe: () => {
        throw new NotificationsUnsupportedError()
      },
    }
  }

  private install(f: Omit<Filter, 'deadline' | 'changes' | 'overflowed'>): string {
    this.sweep()
    if (this.filters.size >= this.maxFilters) throw new LimitExceededError(`too many filters (limit ${this.maxFilters}): uninstall the ones no longer polled`)
    const id = newId()
    this.filters.set(id, { ...f, deadline: this.now() + this.timeoutMs, changes: [], overflowed: false })
    return id
  }

  private lookup(params: unknown[]): Filter {
    checkArity(params, 1, 1)
    const id = params[0]
    if (typeof id !== 'string') throw new InvalidParamsError('invalid argument 0: expected a filter id')
    const f = this.filters.get(id)
    if (f === undefined) throw new FilterNotFoundError()
    return f
  }

  private hasKind(kind: Filter['kind']): boolean {
    for (const f of this.filters.values()) if (f.kind === kind) return true
    return false
  }

  private push(f: Filter, item: string): void {
    if (f.overflowed) return
    if (f.changes.length >= this.maxChanges) {
      f.overflowed = true
      f.changes = []
      return
    }
    f.changes.push(item)
  }

  private onHeads(e: HeadsEvent): void {
    for (const f of this.filters.values()) {
      if (f.kind === 'blocks') for (const h of e.heads) this.push(f, `"0x${Buffer.from(h.block.hash()).toString('hex')}"`)
      if (f.kind === 'logs') for (const l of e.logs) if (inRange(f.criteria!, l.blockNumber) && logMatches(l.log, f.criteria!)) this.push(f, l.json)
    }
  }

  private onPending(e: PendingEvent): void {
    const item = `"${e.hash}"`
    for (const f of this.filters.values()) if (f.kind === 'pending') this.push(f, f.fullTx === true ? e.fullJson() : item)
  }
}

/** geth's live filtering: a numeric fromBlock/toBlock bounds the logs a filter collects. */
function inRange(f: LogFilter, n: bigint): boolean {
  if (typeof f.fromBlock === 'bigint' && n < f.fromBlock) return false
  if (typeof f.toBlock === 'bigint' && n > f.toBlock) return false
  return true
}
