// The composition root: wires the chain, txpool, payload builder, engine service, the Engine API
// server (JWT, :8551, which serves eth_* too), the optional --http server and the dev driver.
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToBigInt, bytesToHex } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { Logger } from 'pino'
import { PayloadBuilder, blobBaseFeeAfter } from '../chain/builder.ts'
import type { Chain } from '../chain/chain.ts'
import { EngineService } from '../chain/engine.ts'
import { key, Prefix } from '../db/keys.ts'
import { createEngineMethods, type BlobSource } from '../engine-api/methods.ts'
import { createEthMethods } from '../rpc/eth/index.ts'
import { startCallPool } from '../rpc/eth/call-pool.ts'
import { DEFAULT_RPC_LIMITS, type RpcLimits } from '../rpc/limits.ts'
import { createTxpoolMethods } from '../rpc/txpool.ts'
import { createAdminMethods } from '../rpc/admin.ts'
import { startRpcServer, type RpcServer } from '../rpc/server.ts'
import { createLiveRpc } from '../rpc/live.ts'
import type { MethodTable, RpcHandler } from '../rpc/types.ts'
import { TxPool, type PoolState } from '../txpool/index.ts'
import type { PoolLimits } from '../txpool/limits.ts'
import { rpcModulesMethod } from '../rpc/modules.ts'
import { createDevRpcMethods, DEV_NAMESPACES } from './dev-rpc.ts'
import { clientVersion, gitCommit, packageVersion } from '../util/version.ts'
import { DevDriver } from './dev-driver.ts'
import { startP2P, type P2PNode } from '../p2p/index.ts'
import { startStatusLoop } from './status.ts'
import { createMetrics, startMetricsServer, type Metrics, type MetricsServer } from '../metrics/index.ts'
import { NodeExecutor } from './executor.ts'
import { ParallelismMetrics } from '../parallelism/metrics.ts'
import { startParallelismMonitor } from '../parallelism/monitor.ts'
import { parallaxPages } from '../parallelism/page.ts'
import { createParallelism } from '../parallelism/rpc.ts'
import { Resources } from './lifecycle.ts'

export interface NodeServices {
  chain: Chain
  common: Common
  logger: Logger
  /** Engine API listener and its JWT secret. */
  authrpc: { addr: string; port: number; jwtSecret: Uint8Array }
  /** parallaxPage: serve the parallelism page at /parallax (and the parallax namespace). */
  http?: { addr: string; port: number; api: string[]; cors?: string[]; vhosts?: string[]; parallaxPage?: boolean }
  /** WebSocket JSON-RPC (--ws): subscriptions, filters and the same methods as HTTP; origins as geth's --ws.origins. */
  ws?: { addr: string; port: number; api: string[]; origins: string[] }
  /** --dev: block period and the unlocked accounts' private keys. */
  dev?: { period: number; keys?: readonly Uint8Array[] }
  /** --keystore: accounts eth_accounts lists; the unlocked ones sign. */
  keystore?: { keys: readonly Uint8Array[]; locked: readonly string[] }
  /** --miner.gaslimit / --miner.extradata; --txpool.* (see src/cli/flags-geth.ts). */
  builder?: { gasLimit?: bigint; extraData?: Uint8Array }
  txpool?: Partial<PoolLimits>
  networkId?: bigint
  /** Prometheus metrics on addr:port (/metrics and /debug/metrics/prometheus); chaindata for the size gauge. */
  metrics?: { addr: string; port: number; chaindata?: string }
  /** libp2p networking (gossip + sync with other Parallax nodes); absent = none. */
  p2p?: { datadir: string; addr: string; port: number; bootnodes: string[]; maxPeers: number; nodiscover: boolean; follow: boolean; autoSync?: boolean }
  /** Status line period (ms); default 30 s. */
  statusIntervalMs?: number
  /** The --rpc.* limits for both RPC ports; default DEFAULT_RPC_LIMITS. */
  rpc?: RpcLimits
}

export interface RunningNode {
  chain: Chain
  txpool: TxPool
  engine: EngineService
  engineServer: RpcServer
  httpServer: RpcServer | undefined
  wsServer: RpcServer | undefined
  /** Every method the Engine port serves (engine_* and eth_*), for in-process callers. */
  methods: MethodTable
  dev: DevDriver | undefined
  p2p: P2PNode | undefined
  metrics: Metrics | undefined
  metricsUrl: string | undefined
  close(): Promise<void>
}

function poolState(chain: Chain): PoolState {
  return {
    headNumber: () => chain.head.number,
    headTimestamp: () => chain.head.timestamp,
    baseFee: () => (chain.head.common.isActivatedEIP(1559) ? chain.head.calcNextBaseFee() : 0n),
    blobBaseFee: () => (chain.head.common.isActivatedEIP(4844) ? blobBaseFeeAfter(chain.head, chain.head.timestamp + 12n) : 0n),
    gasLimit: () => chain.head.gasLimit,
    async getAccount(address) {
      // The flat table holds the canonical head's accounts by hashed address.
      const raw = await chain.store.kv.get(key(Prefix.FlatAccount, keccak_256(address)))
      if (raw === undefined) return undefined
      const [nonce, balance] = RLP.decode(raw) as Uint8Array[]
      return { nonce: bytesToBigInt(nonce!), balance: bytesToBigInt(balance!) }
    },
  }
}

function blobSource(pool: TxPool): BlobSource {
  return {
    getBlobs: (h) => pool.getBlobs(h).map((b) => (b === null ? null : { blob: b.blob, proof: b.proof })),
    getBlobsAndCellProofs: (h) => pool.getBlobsAndCellProofs(h).map((b) => (b === null ? null : { blob: b.blob, proofs: b.proofs })),
    getCommitment: (h) => pool.getCommitment(h),
  }
}

/**
 * Starts the node's services on an opened chain. When any of them fails to start (a port taken, ...),
 * everything already started is closed before the error is rethrown, so nothing keeps the process alive.
 */
export async function startNode(s: NodeServices): Promise<RunningNode> {
  const opened = new Resources(s.logger)
  return opened.starting(() => startServices(s, opened))
}

async function startServices(s: NodeServices, opened: Resources): Promise<RunningNode> {
  const { chain, common, logger } = s
  let dev: DevDriver | undefined
  const metrics = s.metrics !== undefined ? createMetrics(s.metrics.chaindata !== undefined ? { chaindata: s.metrics.chaindata } : {}) : undefined
  const txpool = new TxPool({ common, state: poolState(chain), logger: logger.child({ module: 'txpool' }), onAdd: () => dev?.poke(), ...(s.txpool !== undefined ? { limits: s.txpool } : {}) })
  chain.onHeadChange((added, removed) => {
    const txs = (bs: typeof added): TypedTransaction[] => bs.flatMap((b) => b.transactions)
    void txpool.onNewHead(txs(added), txs(removed)).catch((err: unknown) => logger.error({ err: (err as Error).message }, 'Txpool head update failed'))
  })
  if (metrics !== undefined) {
    const updateHead = async (): Promise<void> => {
      const num = async (name: 'safe' | 'finalized'): Promise<bigint | undefined> => {
        const h = await chain.store.getMeta(name)
        return h === undefined ? undefined : chain.store.getNumber(h)
      }
      const [safe, finalized] = await Promise.all([num('safe'), num('finalized')])
      metrics.setHead({ head: chain.head.number, ...(safe !== undefined ? { safe } : {}), ...(finalized !== undefined ? { finalized } : {}) })
      metrics.setTxpool(txpool.size)
    }
    chain.onHeadChange(() => void updateHead())
    chain.onImported((block, res) => {
      metrics.observeBlock({ seconds: (res.elapsedMs ?? 0) / 1000, gasUsed: block.header.gasUsed, source: s.dev !== undefined ? 'dev' : 'engine' })
    })
    void updateHead()
  }
  // Executions (per executor, re-executions, fallbacks) are counted where they happen, sealing included.
  const unobserve = metrics !== undefined && chain.executor instanceof NodeExecutor ? chain.executor.observe(metrics) : undefined
  if (unobserve !== undefined) opened.add('executor metrics', unobserve)
  const builder = new PayloadBuilder({ chain, txs: txpool, logger, ...s.builder })
  opened.add('payload builder', () => builder.close())
  let p2p: P2PNode | undefined
  const engine = new EngineService({ chain, builder, logger, onMissingParent: (block) => p2p?.fetchAncestors(block), quietEmptyBlocks: s.dev !== undefined })
  if (s.p2p !== undefined) {
    p2p = await startP2P({
      chain,
      datadir: s.p2p.datadir,
      listen: { addr: s.p2p.addr, port: s.p2p.port },
      bootnodes: s.p2p.bootnodes,
      maxPeers: s.p2p.maxPeers,
      nodiscover: s.p2p.nodiscover,
      follow: s.p2p.follow,
      ...(s.p2p.autoSync !== undefined ? { autoSync: s.p2p.autoSync } : {}),
      logger: logger.child({ module: 'p2p' }),
      ...(metrics !== undefined ? { onPeerCount: (n: number) => metrics.setPeers(n), onGossip: (r: 'accept' | 'reject' | 'ignore') => metrics.gossip(r) } : {}),
    })
    const node = p2p
    opened.add('p2p', () => node.stop())
    // Gossip every new canonical tip we did not get from peers (built by us, or given by the CL).
    chain.onHeadChange((added) => {
      const tip = added.at(-1)
      if (tip !== undefined) void node.publishBlock(tip)
    })
  }
  const version = clientVersion()
  const commit = gitCommit()
  const engineMethods = createEngineMethods({
    engine,
    blobs: blobSource(txpool),
    clientVersion: { code: 'PX', name: 'Parallax', version: `v${packageVersion()}`, commit: commit === 'unknown' ? '0x00000000' : `0x${commit.padEnd(8, '0').slice(0, 8)}` },
  })
  const limits = s.rpc ?? DEFAULT_RPC_LIMITS
  const calls = startCallPool(chain, limits.callWorkers, logger.child({ module: 'rpc-calls' }))
  opened.add('RPC call workers', () => calls.close()) // closed after the servers (newest first)
  const ethOptions = { gasCap: limits.gasCap, evmTimeoutMs: limits.evmTimeoutMs, txFeeCap: limits.txFeeCap, logsRangeLimit: limits.maxBlocksPerFilter, logsMaxResults: limits.maxLogsPerResponse }
  const ethMethods = createEthMethods({ chain, common, txpool, networkId: s.networkId ?? common.chainId(), clientVersion: version, peerCount: () => p2p?.peerCount() ?? 0, options: ethOptions, calls })
  // Subscriptions and filters follow the chain and the pool for every port.
  const live = createLiveRpc({ chain, pending: txpool.added, logger: logger.child({ module: 'rpc-live' }), getLogs: async (criteria) => ethMethods.get('eth_getLogs')!([criteria]) })
  opened.add('RPC subscriptions and filters', () => live.close())
  for (const [name, handler] of live.methods) ethMethods.set(name, handler)
  const records = chain.executor instanceof NodeExecutor ? chain.executor.records : undefined
  const parallelism = createParallelism({ chain, calls, ...(records !== undefined ? { records } : {}) })
  if (metrics !== undefined) {
    const pm = new ParallelismMetrics(metrics.registry)
    const stopMonitor = startParallelismMonitor({ onHeadChange: (l) => chain.onHeadChange(l), analyse: parallelism.analyse, metrics: pm, ...(records !== undefined ? { records } : {}), logger })
    opened.add('parallelism metrics', stopMonitor)
  }
  const serverLimits = { maxBatch: limits.batchRequestLimit, maxBatchResponseBytes: limits.batchResponseMaxBytes, requestTimeoutMs: limits.requestTimeoutMs }
  const adminMethods = createAdminMethods({ chain, clientVersion: version, p2p: () => p2p })
  const txpoolMethods = createTxpoolMethods(txpool)
  for (const [k, v] of createDevRpcMethods({ chain, eth: ethMethods, ...(s.dev !== undefined ? { dev: { keys: s.dev.keys ?? [], driver: () => dev } } : {}), ...(s.keystore !== undefined ? { keystore: s.keystore } : {}) })) ethMethods.set(k, v)
  const all = new Map<string, RpcHandler>([...ethMethods, ...txpoolMethods, ...adminMethods, ...parallelism.methods, ...engineMethods])
  all.set('rpc_modules', rpcModulesMethod(all))
  const engineServer = await startRpcServer({ ...serverLimits, host: s.authrpc.addr, port: s.authrpc.port, methods: all, jwtSecret: s.authrpc.jwtSecret, websocket: { subscriptions: live.hub }, logger: logger.child({ server: 'authrpc' }), ...(metrics ? { onCall: metrics.onRpcCall } : {}) })
  logger.info({ url: engineServer.url }, 'Engine API started')
  opened.add('Engine API server', () => engineServer.close())
  let httpServer: RpcServer | undefined
  if (s.http !== undefined) {
    const api = new Set([...s.http.api, ...(s.dev !== undefined ? DEV_NAMESPACES : []), ...(s.http.parallaxPage === true ? ['parallax'] : [])])
    const methods = new Map<string, RpcHandler>([...ethMethods, ...txpoolMethods, ...adminMethods, ...parallelism.methods].filter(([name]) => api.has(name.split('_')[0]!)))
    methods.set('rpc_modules', rpcModulesMethod(methods))
    httpServer = await startRpcServer({ ...serverLimits, host: s.http.addr, port: s.http.port, methods, cors: s.http.cors ?? [], ...(s.http.parallaxPage === true ? { pages: parallaxPages() } : {}), ...(s.http.vhosts !== undefined ? { vhosts: s.http.vhosts } : {}), logger: logger.child({ server: 'http' }), ...(metrics ? { onCall: metrics.onRpcCall } : {}) })
    logger.info({ url: httpServer.url, api: [...api].join(',') }, 'HTTP server started')
    opened.add('HTTP server', () => httpServer?.close())
  }
  let wsServer: RpcServer | undefined
  if (s.ws !== undefined) {
    const api = new Set(s.ws.api)
    const methods = new Map<string, RpcHandler>([...ethMethods, ...txpoolMethods, ...adminMethods, ...parallelism.methods].filter(([name]) => api.has(name.split('_')[0]!)))
    const websocket = { origins: s.ws.origins, ...(api.has('eth') ? { subscriptions: live.hub } : {}) }
    if (httpServer !== undefined && s.ws.port !== 0 && s.ws.port === s.http?.port && s.ws.addr === s.http.addr) {
      httpServer.acceptWebSocket(websocket, methods) // geth: one listener when the ports are equal
      logger.info({ url: httpServer.url.replace(/^http/, 'ws'), api: [...api].join(',') }, 'WebSocket server started')
    } else {
      wsServer = await startRpcServer({ ...serverLimits, host: s.ws.addr, port: s.ws.port, methods, http: false, websocket, logger: logger.child({ server: 'ws' }), ...(metrics ? { onCall: metrics.onRpcCall } : {}) })
      logger.info({ url: wsServer.url, api: [...api].join(',') }, 'WebSocket server started')
      opened.add('WebSocket server', () => wsServer?.close())
    }
  }
  let metricsServer: MetricsServer | undefined
  if (metrics !== undefined && s.metrics !== undefined) {
    metricsServer = await startMetricsServer({ addr: s.metrics.addr, port: s.metrics.port, metrics, logger })
    logger.info({ url: metricsServer.url, endpoint: `${metricsServer.url}/metrics` }, 'Metrics server started')
    opened.add('metrics server', () => metricsServer?.close())
  }
  if (s.dev !== undefined) {
    const call = async (method: string, params: unknown[]): Promise<unknown> => {
      const h = all.get(method)
      if (h === undefined) throw new Error(`no method ${method}`)
      const t0 = performance.now()
      let ok = false
      try {
        const r = await h(params)
        ok = true
        return r
      } finally {
        metrics?.onRpcCall(method, performance.now() - t0, ok)
      }
    }
    dev = new DevDriver({ call, chain, common, logger, period: s.dev.period })
    dev.start()
    const driver = dev
    opened.add('dev block production', () => driver.stop())
  }
  const stopStatus = startStatusLoop({ chain, engine, txpool, logger, warnNoConsensusClient: s.dev === undefined, ...(s.statusIntervalMs !== undefined ? { intervalMs: s.statusIntervalMs } : {}) })
  calls.start() // last: a failed start leaves no call workers behind
  const head = chain.head
  logger.info({ number: Number(head.number), hash: bytesToHex(head.hash()) }, 'Node started')
  opened.add('status loop', stopStatus)
  return {
    chain,
    txpool,
    engine,
    engineServer,
    httpServer,
    wsServer,
    methods: all,
    dev,
    p2p,
    metrics,
    metricsUrl: metricsServer?.url,
    /** Closes what startNode opened, newest first; then waits for the block import in progress, if any. */
    async close() {
      await opened.closeAll()
      await chain.idle()
    },
  }
}
