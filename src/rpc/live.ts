// The node's live RPC state, built once and shared by every port: the event feed over the chain and
// the pool, the subscription hub (WebSocket eth_subscribe) and the polled filters (eth_newFilter & co.).
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Logger } from 'pino'
import type { Emitter } from '../chain/events.ts'
import type { SyncProgress } from './eth/context.ts'
import { RpcFeed, type FeedChain } from './feed.ts'
import { FilterRegistry, type FilterOptions } from './filters.ts'
import { SubscriptionHub, type SubscriptionHubOptions } from './subscriptions.ts'
import type { RpcHandler } from './types.ts'

export interface LiveRpcOptions {
  chain: FeedChain
  pending?: Emitter<TypedTransaction>
  logger: Logger
  /** eth_getLogs, for eth_getFilterLogs. */
  getLogs: (criteria: unknown) => Promise<unknown>
  syncing?: () => false | SyncProgress
  subscriptions?: Pick<SubscriptionHubOptions, 'bufferLimitBytes' | 'maxPerConnection'>
  filters?: Pick<FilterOptions, 'timeoutMs' | 'maxFilters' | 'maxChanges' | 'now'>
}

export interface LiveRpc {
  feed: RpcFeed
  hub: SubscriptionHub
  filters: FilterRegistry
  /** The filter methods, and eth_subscribe/eth_unsubscribe answering "notifications not supported" (HTTP). */
  methods: Map<string, RpcHandler>
  close(): void
}

export function createLiveRpc(opts: LiveRpcOptions): LiveRpc {
  const feed = new RpcFeed({ chain: opts.chain, ...(opts.pending !== undefined ? { pending: opts.pending } : {}), logger: opts.logger })
  const hub = new SubscriptionHub({ feed, logger: opts.logger, ...(opts.syncing !== undefined ? { syncing: opts.syncing } : {}), ...opts.subscriptions })
  const filters = new FilterRegistry({ feed, logger: opts.logger, getLogs: opts.getLogs, ...opts.filters })
  return {
    feed,
    hub,
    filters,
    methods: new Map(Object.entries(filters.methods())),
    close() {
      filters.close()
      hub.close()
      feed.close()
    },
  }
}
