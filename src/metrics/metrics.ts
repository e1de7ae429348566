// The node's Prometheus metrics: one private prom-client registry per `createMetrics()` (no global
// state, so tests and several in-process nodes never collide), the process/Node.js defaults under the
// `parallax_` prefix, and typed helpers the node calls. Label values come from small fixed sets (block
// sources, gossip results, the method tables), never from user input, so series stay bounded.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { dirSize } from './dir-size.ts'

export const METRICS_PREFIX = 'parallax_'

/** Where an imported block came from. */
export type BlockSource = 'engine' | 'import' | 'gossip' | 'dev'
export const BLOCK_SOURCES: readonly BlockSource[] = ['engine', 'import', 'gossip', 'dev']

/** The gossipsub validation verdict for one message. */
export type GossipResult = 'accept' | 'reject' | 'ignore'
export const GOSSIP_RESULTS: readonly GossipResult[] = ['accept', 'reject', 'ignore']

export type CallStatus = 'ok' | 'error'

/** Which executor ran a block (ExecutionOutcome.executor). */
export type ExecutorKind = 'sequential' | 'parallel'
export const EXECUTOR_KINDS: readonly ExecutorKind[] = ['sequential', 'parallel']

/**
 * Why the parallel executor fell back to sequential work: a block too small to be worth it, no
 * LevelDB path for the workers, a binary-tree (EIP-7864) block, workers that
 * failed to start (the block ran sequentially) or a worker failing mid-block (its transactions ran
 * on the main thread); `other` for anything not classified.
 */
export type FallbackReason = 'small_block' | 'no_store' | 'binary_tree' | 'workers_starting' | 'cores_busy' | 'worker_start' | 'worker_error' | 'other'
export const FALLBACK_REASONS: readonly FallbackReason[] = ['small_block', 'no_store', 'binary_tree', 'workers_starting', 'cores_busy', 'worker_start', 'worker_error', 'other']

/** Every metric name this module registers (the defaults from prom-client come on top). */
export const METRIC_NAMES = {
  headBlock: 'parallax_chain_head_block',
  safeBlock: 'parallax_chain_safe_block',
  finalizedBlock: 'parallax_chain_finalized_block',
  engineCallSeconds: 'parallax_engine_call_seconds',
  rpcCallSeconds: 'parallax_rpc_call_seconds',
  blockExecutionSeconds: 'parallax_block_execution_seconds',
  blockMgasps: 'parallax_block_mgasps',
  blocksImported: 'parallax_blocks_imported_total',
  execBlocks: 'parallax_exec_blocks_total',
  execBlockSeconds: 'parallax_exec_block_seconds',
  reexecutions: 'parallax_exec_reexecutions_total',
  fallbacks: 'parallax_exec_fallbacks_total',
  workerUtilisation: 'parallax_exec_worker_utilisation',
  txpoolPending: 'parallax_txpool_pending',
  txpoolQueued: 'parallax_txpool_queued',
  peers: 'parallax_p2p_peers',
  gossipMessages: 'parallax_gossip_messages_total',
  dbSize: 'parallax_db_size_bytes',
} as const

/** Engine API calls: fast forkchoice updates up to multi-second payload executions. */
export const ENGINE_CALL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** eth_* calls: mostly sub-millisecond reads, up to long eth_call/eth_getLogs. */
export const RPC_CALL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** One block's execution; 4 s is a third of a slot, 12 s a whole one. */
export const BLOCK_EXECUTION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 12, 30, 60]

export type BlockNumberLike = bigint | number

export interface BlockObservation {
  /** Wall-clock seconds the block took to execute (and validate). */
  seconds: number
  gasUsed: bigint | number
  source: BlockSource
  /** Transactions the parallel executor had to run again after a conflict. */
  reexecutions?: number
}

/** One block run by the node's executor (an import or the sealing of a built payload). */
export interface ExecutionObservation {
  executor: ExecutorKind
  /** Wall-clock seconds of the executor's `execute` (execution only: no validation, no commit). */
  seconds: number
  /** Transactions the parallel executor had to run again after a conflict. */
  reexecutions: number
}

export interface HeadObservation {
  head: BlockNumberLike
  safe?: BlockNumberLike
  finalized?: BlockNumberLike
}

export interface CreateMetricsOptions {
  /** Process and Node.js runtime metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean
  /** The LevelDB folder whose size `parallax_db_size_bytes` reports (same as `setDatadir`). */
  chaindata?: string
}

export interface Metrics {
  /** The private registry: add node-specific metrics here when needed. */
  readonly registry: Registry
  /** The exposition format's Content-Type (Prometheus text 0.0.4). */
  readonly contentType: string
  /** The registry rendered in the Prometheus text format (runs the collect callbacks). */
  text(): Promise<string>

  observeEngineCall(method: string, seconds: number, ok: boolean): void
  observeRpcCall(method: string, seconds: number, ok: boolean): void
  /**
   * Matches `RpcServerOptions.onCall` (milliseconds): `engine_*` calls go to the Engine API
   * histogram, everything else to the RPC one. Safe to pass unbound.
   */
  readonly onRpcCall: (method: string, ms: number, ok: boolean) => void
  observeBlock(b: BlockObservation): void
  setHead(h: HeadObservation): void
  setTxpool(sizes: { pending: number; queued: number }): void
  setPeers(n: number): void
  gossip(result: GossipResult): void
  /** A block run by the node's executor: counts it by executor, times it, adds its re-executions. */
  observeExecution(e: ExecutionObservation): void
  /** The parallel executor fell back to sequential; `reason` must come from a small fixed set (FALLBACK_REASONS). */
  fallback(reason: FallbackReason | (string & {})): void
  /** Share of worker time spent executing, 0..1 (clamped). */
  setWorkerUtilisation(x: number): void
  /** Points `parallax_db_size_bytes` at the LevelDB folder (the node passes `<datadir>/chaindata`). */
  setDatadir(path: string): void
}

export function createMetrics(opts: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry()
  const registers = [registry]
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRICS_PREFIX })

  const head = new Gauge({ name: METRIC_NAMES.headBlock, help: 'Number of the canonical head block', registers })
  const safe = new Gauge({ name: METRIC_NAMES.safeBlock, help: 'Number of the safe block (forkchoice)', registers })
  const finalized = new Gauge({ name: METRIC_NAMES.finalizedBlock, help: 'Number of the finalized block (forkchoice)', registers })
  const engineCall = new Histogram({
    name: METRIC_NAMES.engineCallSeconds,
    help: 'Engine API call latency in seconds, by method and status',
    labelNames: ['method', 'status'] as const,
    buckets: ENGINE_CALL_BUCKETS,
    registers,
  })
  const rpcCall = new Histogram({
    name: METRIC_NAMES.rpcCallSeconds,
    help: 'JSON-RPC (eth_*, net_*, web3_*) call latency in seconds, by method and status',
    labelNames: ['method', 'status'] as const,
    buckets: RPC_CALL_BUCKETS,
    registers,
  })
  const blockExec = new Histogram({
    name: METRIC_NAMES.blockExecutionSeconds,
    help: 'Seconds to execute and validate one block',
    buckets: BLOCK_EXECUTION_BUCKETS,
    registers,
  })
  const mgasps = new Gauge({ name: METRIC_NAMES.blockMgasps, help: 'Million gas per second of the last executed block', registers })
  const imported = new Counter({
    name: METRIC_NAMES.blocksImported,
    help: 'Blocks imported, by source (engine, import, gossip, dev)',
    labelNames: ['source'] as const,
    registers,
  })
  const execBlocks = new Counter({
    name: METRIC_NAMES.execBlocks,
    help: 'Blocks run by the node executor (imports and payload sealing), by the executor that ran them (parallel, sequential)',
    labelNames: ['executor'] as const,
    registers,
  })
  const execSeconds = new Histogram({
    name: METRIC_NAMES.execBlockSeconds,
    help: 'Seconds the executor spent on one block (execution only), by executor',
    labelNames: ['executor'] as const,
    buckets: BLOCK_EXECUTION_BUCKETS,
    registers,
  })
  const reexec = new Counter({ name: METRIC_NAMES.reexecutions, help: 'Transactions re-executed by the parallel executor after a conflict', registers })
  const fallbacks = new Counter({
    name: METRIC_NAMES.fallbacks,
    help: 'Blocks the parallel executor handed to the sequential one, by reason',
    labelNames: ['reason'] as const,
    registers,
  })
  const workers = new Gauge({ name: METRIC_NAMES.workerUtilisation, help: 'Share of executor worker time spent executing (0..1)', registers })
  const pending = new Gauge({ name: METRIC_NAMES.txpoolPending, help: 'Executable transactions in the txpool', registers })
  const queued = new Gauge({ name: METRIC_NAMES.txpoolQueued, help: 'Non-executable (nonce-gapped) transactions in the txpool', registers })
  const peers = new Gauge({ name: METRIC_NAMES.peers, help: 'Connected p2p peers', registers })
  const gossipMessages = new Counter({
    name: METRIC_NAMES.gossipMessages,
    help: 'Gossip messages validated, by result (accept, reject, ignore)',
    labelNames: ['result'] as const,
    registers,
  })
  let chaindata = opts.chaindata
  new Gauge({
    name: METRIC_NAMES.dbSize,
    help: 'Bytes of the LevelDB files (chaindata folder), measured on scrape',
    registers,
    async collect() {
      if (chaindata === undefined) return
      try {
        this.set(await dirSize(chaindata))
      } catch {
        // An unreadable folder keeps the last value; a scrape never fails over it.
      }
    },
  })

  // Known label values start at 0, so rate() works from the first increment.
  for (const source of BLOCK_SOURCES) imported.inc({ source }, 0)
  for (const result of GOSSIP_RESULTS) gossipMessages.inc({ result }, 0)
  for (const executor of EXECUTOR_KINDS) execBlocks.inc({ executor }, 0)
  for (const reason of FALLBACK_REASONS) fallbacks.inc({ reason }, 0)

  const status = (ok: boolean): CallStatus => (ok ? 'ok' : 'error')
  const finite = (x: number): boolean => Number.isFinite(x)
  const observeEngineCall = (method: string, seconds: number, ok: boolean): void => {
    if (finite(seconds) && seconds >= 0) engineCall.observe({ method, status: status(ok) }, seconds)
  }
  const observeRpcCall = (method: string, seconds: number, ok: boolean): void => {
    if (finite(seconds) && seconds >= 0) rpcCall.observe({ method, status: status(ok) }, seconds)
  }

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    observeEngineCall,
    observeRpcCall,
    onRpcCall: (method, ms, ok) => {
      if (method.startsWith('engine_')) observeEngineCall(method, ms / 1000, ok)
      else observeRpcCall(method, ms / 1000, ok)
    },
    observeBlock(b) {
      imported.inc({ source: b.source })
      if (finite(b.seconds) && b.seconds >= 0) {
        blockExec.observe(b.seconds)
        const gas = Number(b.gasUsed)
        if (b.seconds > 0 && finite(gas)) mgasps.set(gas / b.seconds / 1e6)
      }
      if (b.reexecutions !== undefined && b.reexecutions > 0) reexec.inc(b.reexecutions)
    },
    observeExecution(e) {
      execBlocks.inc({ executor: e.executor })
      if (finite(e.seconds) && e.seconds >= 0) execSeconds.observe({ executor: e.executor }, e.seconds)
      if (e.reexecutions > 0) reexec.inc(e.reexecutions)
    },
    setHead(h) {
      head.set(Number(h.head))
      if (h.safe !== undefined) safe.set(Number(h.safe))
      if (h.finalized !== undefined) finalized.set(Number(h.finalized))
    },
    setTxpool(sizes) {
      pending.set(sizes.pending)
      queued.set(sizes.queued)
    },
    setPeers: (n) => peers.set(n),
    gossip: (result) => gossipMessages.inc({ result }),
    fallback: (reason) => fallbacks.inc({ reason }),
    setWorkerUtilisation(x) {
      if (finite(x)) workers.set(Math.min(1, Math.max(0, x)))
    },
    setDatadir(path) {
      chaindata = path
    },
  }
}
