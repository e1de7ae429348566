// eth_subscribe / eth_unsubscribe over a WebSocket: newHeads (each new canonical block once, in order,
// also across reorgs), logs (address/topics filter; `removed: true` for logs of reorged-out blocks),
// newPendingTransactions (hashes, or full transactions with `true`) and syncing. One hub per node
// follows the RpcFeed; each connection gets a session whose eth_subscribe/eth_unsubscribe methods the
// dispatcher looks up before the shared table. A subscription starts once its id has been sent.
// Slow subscribers are bounded: before each notification the connection's unsent bytes are checked,
// and past the limit every subscription of that connection is dropped with an error notification
// (code -32005), so a client that stops reading never makes the node's memory grow.
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { SyncProgress } from './eth/context.ts'
import { toQuantity } from './eth/params.ts'
import { filterJSON, logMatches, type LogFilter } from './eth/logs.ts'
import { DecodeError } from './eth/params.ts'
import { InvalidParamsError, RpcCode, RpcError } from './errors.ts'
import type { HeadsEvent, PendingEvent, RpcFeed } from './feed.ts'
import { LimitExceededError, SubscriptionNotFoundError } from './sub-errors.ts'
import type { MethodTable, RpcHandler } from './types.ts'

/** Unsent bytes a connection may hold before its subscriptions are dropped (geth drops at 20000 notifications). */
export const DEFAULT_SUBSCRIBER_BUFFER_BYTES = 8 * 1024 * 1024
/** Live subscriptions per connection. */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000

/** Where a session's notifications go: one WebSocket connection. */
export interface SubscriberSink {
  send(text: string): void
  /** Bytes queued for the client and not yet written to the socket. */
  buffered(): number
}

export interface SubscriptionHubOptions {
  feed: RpcFeed
  logger: Logger
  /** The node's sync state (absent: never syncing); looked at on every head change. */
  syncing?: () => false | SyncProgress
  bufferLimitBytes?: number
  maxPerConnection?: number
}

type Kind = 'newHeads' | 'logs' | 'newPendingTransactions' | 'syncing'

interface Subscription {
  id: string
  kind: Kind
  session: Session
  filter?: LogFilter
  fullTx?: boolean
}

/** geth's error for an unknown subscription name. */
class UnknownSubscriptionError extends RpcError {
  constructor(name: string) {
    super(RpcCode.MethodNotFound, `no ${JSON.stringify(name)} subscription in eth namespace`)
  }
}

const newId = (): string => `0x${randomBytes(16).toString('hex')}`
const notification = (id: string, resultJson: string): string => `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","result":${resultJson}}}`

export class SubscriptionHub {
  private readonly live = new Map<Kind, Set<Subscription>>([
    ['newHeads', new Set()],
    ['logs', new Set()],
    ['newPendingTransactions', new Set()],
    ['syncing', new Set()],
  ])
  private readonly bufferLimit: number
  readonly maxPerConnection: number
  private readonly logger: Logger
  private readonly syncing: () => false | SyncProgress
  private lastSyncing = false
  private readonly offs: (() => void)[]

  constructor(opts: SubscriptionHubOptions) {
    this.bufferLimit = opts.bufferLimitBytes ?? DEFAULT_SUBSCRIBER_BUFFER_BYTES
    this.maxPerConnection = opts.maxPerConnection ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION
    this.logger = opts.logger
    this.syncing = opts.syncing ?? (() => false)
    this.offs = [opts.feed.heads.on((e) => this.onHeads(e)), opts.feed.pending.on((e) => this.onPending(e)), opts.feed.wantLogs(() => this.of('logs').size > 0)]
  }

  /** A session for one connection; close it when the connection closes. */
  connect(sink: SubscriberSink): Session {
    return new Session(this, sink)
  }

  /** Live subscriptions (all connections). */
  get size(): number {
    let n = 0
    for (const set of this.live.values()) n += set.size
    return n
  }

  close(): void {
    for (const off of this.offs.splice(0)) off()
  }

  /** @internal */
  of(kind: Kind): Set<Subscription> {
    return this.live.get(kind)!
  }

  /** Sends one notification, or drops the connection's subscriptions when it is too far behind. @internal */
  deliver(sub: Subscription, resultJson: string): void {
    const s = sub.session
    if (!s.isActive(sub)) return
    const buffered = s.sink.buffered()
    if (buffered > this.bufferLimit) {
      this.logger.warn({ buffered, limit: this.bufferLimit, subscriptions: s.count }, 'Dropped the subscriptions of a WebSocket client that does not read')
      s.dropAll(`subscription dropped: the client is not reading its notifications (${buffered} bytes unsent, limit ${this.bufferLimit})`)
      return
    }
    s.sink.send(notification(sub.id, resultJson))
  }

  private onHeads(e: HeadsEvent): void {
    for (const sub of [...this.of('newHeads')]) for (const h of e.heads) this.deliver(sub, h.json)
    for (const sub of [...this.of('logs')]) for (const l of e.logs) if (logMatches(l.log, sub.filter!)) this.deliver(sub, l.json)
    const state = this.syncing()
    if ((state !== false) !== this.lastSyncing) {
      this.lastSyncing = state !== false
      const json = JSON.stringify(state === false ? { syncing: false } : { syncing: true, status: { startingBlock: toQuantity(state.startingBlock), currentBlock: toQuantity(state.currentBlock), highestBlock: toQuantity(state.highestBlock) } })
      for (const sub of [...this.of('syncing')]) this.deliver(sub, json)
    }
  }

  private onPending(e: PendingEvent): void {
    const hashJson = `"${e.hash}"`
    for (const sub of [...this.of('newPendingTransactions')]) this.deliver(sub, sub.fullTx === true ? e.fullJson() : hashJson)
  }
}

/** One connection's subscriptions and its eth_subscribe / eth_unsubscribe methods. */
export class Session {
  readonly sink: SubscriberSink
  readonly methods: MethodTable
  private readonly hub: SubscriptionHub
  private readonly subs = new Map<string, Subscription>()
  /** Created, but their id is not sent yet. */
  private readonly starting: Subscription[] = []
  private closed = false

  constructor(hub: SubscriptionHub, sink: SubscriberSink) {
    this.hub = hub
    this.sink = sink
    const subscribe: RpcHandler = (params) => this.subscribe(params)
    const unsubscribe: RpcHandler = (params) => this.unsubscribe(params)
    this.methods = new Map([
      ['eth_subscribe', subscribe],
      ['eth_unsubscribe', unsubscribe],
    ])
  }

  get count(): number {
    return this.subs.size
  }

  isActive(sub: Subscription): boolean {
    return !this.closed && this.subs.get(sub.id) === sub
  }

  /** Starts the subscriptions whose ids have just been sent. */
  activate(): void {
    for (const sub of this.starting.splice(0)) if (this.isActive(sub)) this.hub.of(sub.kind).add(sub)
  }

  /** Drops every subscription, telling the client why (one error notification each). */
  dropAll(message: string): void {
    for (const sub of [...this.subs.values()]) {
      this.remove(sub)
      this.sink.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: sub.id, error: { code: RpcCode.LimitExceeded, message } } }))
    }
  }

  close(): void {
    for (const sub of [...this.subs.values()]) this.remove(sub)
    this.closed = true
  }

  private remove(sub: Subscription): void {
    this.subs.delete(sub.id)
    this.hub.of(sub.kind).delete(sub)
  }

  private subscribe(params: unknown[]): string {
    const name = params[0]
    if (typeof name !== 'string') throw new InvalidParamsError('invalid params: expected a subscription name as the first parameter')
    if (this.subs.size >= this.hub.maxPerConnection) throw new LimitExceededError(`too many subscriptions on this connection (limit ${this.hub.maxPerConnection})`)
    const sub: Subscription = { id: newId(), kind: 'newHeads', session: this }
    switch (name) {
      case 'newHeads':
      case 'syncing':
        sub.kind = name
        break
      case 'newPendingTransactions': {
        const full = params[1]
        if (full !== undefined && full !== null && typeof full !== 'boolean') throw new InvalidParamsError('invalid argument 1: expected a boolean (full transactions)')
        sub.kind = name
        sub.fullTx = full === true
        break
      }
      case 'logs': {
        sub.kind = name
        sub.filter = logsFilter(params[1])
        break
      }
      default:
        throw new UnknownSubscriptionError(name)
    }
    this.subs.set(sub.id, sub)
    this.starting.push(sub)
    return sub.id
  }

  private unsubscribe(params: unknown[]): boolean {
    const id = params[0]
    if (typeof id !== 'string') throw new InvalidParamsError('invalid argument 0: expected a subscription id')
    const sub = this.subs.get(id)
    if (sub === undefined) throw new SubscriptionNotFoundError()
    this.remove(sub)
    return true
  }
}

/** The `logs` subscription's criteria: address and topics (geth refuses a block range or hash here). */
function logsFilter(v: unknown): LogFilter {
  if (v === undefined || v === null) return { addresses: [], topics: [] }
  let f: LogFilter
  try {
    f = filterJSON(v)
  } catch (err) {
    if (err instanceof DecodeError) throw new InvalidParamsError(`invalid argument 1: ${err.message}`)
    throw err
  }
  if (f.blockHash !== undefined || f.fromBlock !== undefined || f.toBlock !== undefined) throw new InvalidParamsError('invalid argument 1: a logs subscription takes no block range or block hash')
  return f
}
