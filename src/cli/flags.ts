// Command-line flag definitions and their defaults, in one place. Global flags (accepted before or
// after the command name, geth style) and the `node` command's flags. To add a node flag: add its field
// to `NodeFlags` and `NODE_DEFAULTS`, its `Option` to `nodeOptions()`, and read it in `parseNodeFlags`.
import { availableParallelism, homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import { DEFAULT_RPC_LIMITS, type RpcLimits } from '../rpc/limits.ts'
import { GETH_DEFAULTS, gethOptions, parseGethFlags, type GethFlags } from './flags-geth.ts'
import { UsageError } from '../util/errors.ts'
import { parseWsFlags, WS_DEFAULTS, wsOptions, type WsFlags } from './ws-flags.ts'
import { DEFAULT_LOG_FORMAT, DEFAULT_VERBOSITY, LOG_FORMATS, type LogFormat } from '../util/logger.ts'

// --- global flags -----------------------------------------------------------------------------------

export interface GlobalFlags {
  /** Absolute path of the data directory. */
  datadir: string
  /** 0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace. */
  verbosity: number
  logFormat: LogFormat
}

/** The per-user default data directory: `~/.parallax`. */
export function defaultDatadir(): string {
  return join(homedir(), '.parallax')
}

export const GLOBAL_DEFAULTS: Omit<GlobalFlags, 'datadir'> = {
  verbosity: DEFAULT_VERBOSITY,
  logFormat: DEFAULT_LOG_FORMAT,
}

export function globalOptions(): Option[] {
  return [
    new Option('--datadir <path>', 'data directory for the databases and keys').default(defaultDatadir()),
    new Option('--verbosity <level>', 'log level: 0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace')
      .argParser(intInRange(0, 5))
      .default(GLOBAL_DEFAULTS.verbosity),
    new Option('--log.format <format>', 'log format').choices([...LOG_FORMATS]).default(GLOBAL_DEFAULTS.logFormat),
  ]
}

/** Reads the global flags out of commander's merged option values (`optsWithGlobals()`). */
export function parseGlobalFlags(raw: Record<string, unknown>): GlobalFlags {
  const datadir = raw['datadir'] ?? defaultDatadir()
  if (typeof datadir !== 'string' || datadir === '') throw new UsageError('--datadir must be a non-empty path')
  const verbosity = raw['verbosity'] ?? GLOBAL_DEFAULTS.verbosity
  if (typeof verbosity !== 'number') throw new UsageError(`invalid --verbosity: ${String(verbosity)}`)
  const logFormat = raw['log.format'] ?? GLOBAL_DEFAULTS.logFormat
  if (!isLogFormat(logFormat)) throw new UsageError(`invalid --log.format: ${String(logFormat)}`)
  return { datadir: resolve(expandHome(datadir)), verbosity, logFormat }
}

// --- node flags -------------------------------------------------------------------------------------

export interface NodeFlags {
  /** libp2p TCP listen port (0 = random). */
  port: number
  /** libp2p listen address. */
  p2pAddr: string
  /** Multiaddrs dialled at start and re-dialled when they drop. */
  bootnodes: string[]
  /** 0 disables networking. */
  maxPeers: number
  nodiscover: boolean
  /** No consensus client: follow the highest valid block peers gossip (and their safe/finalized). */
  follow: boolean
  /** Dev mode: dev genesis, built-in consensus driver, RPC on :8545. */
  dev: boolean
  /** Seconds between dev blocks; 0 = only when a transaction arrives. */
  devPeriod: number
  authrpcAddr: string
  authrpcPort: number
  /** Path of the hex JWT secret; default `<datadir>/jwtsecret`, generated when missing. */
  authrpcJwtsecret: string | undefined
  http: boolean
  httpAddr: string
  httpPort: number
  /** API namespaces served on --http. */
  httpApi: string[]
  /** Serve the parallelism page at /parallax on the --http port (it calls parallax_blockParallelism). */
  httpParallax: boolean
  /** Execute blocks (imports, payloads, and the sealing of built payloads) with the parallel executor. */
  execParallel: boolean
  /** Worker threads of the parallel executor (>= 1). */
  execWorkers: number
  /** Serve Prometheus metrics on --metrics.addr:--metrics.port (/metrics, /debug/metrics/prometheus). */
  metrics: boolean
  metricsAddr: string
  metricsPort: number
  /** The --rpc.* limits (and --http.timeout), for both RPC ports. */
  rpc: RpcLimits
  /** The --ws.* flags (ws-flags.ts). */
  ws: WsFlags
  /** geth's network, miner, txpool, sync/gc, CORS/vhosts and dev-account flags (flags-geth.ts). */
  geth: GethFlags
}

export const NODE_DEFAULTS: NodeFlags = {
  port: 30303,
  p2pAddr: '0.0.0.0',
  bootnodes: [],
  maxPeers: 50,
  nodiscover: false,
  follow: false,
  dev: false,
  devPeriod: 2,
  authrpcAddr: '127.0.0.1',
  authrpcPort: 8551,
  authrpcJwtsecret: undefined,
  http: false,
  httpAddr: '127.0.0.1',
  httpPort: 8545,
  httpApi: ['eth', 'net', 'web3'],
  httpParallax: false,
  execParallel: true,
  execWorkers: Math.max(1, availableParallelism() - 1), // the main thread executes too (work sharing)
  metrics: false,
  metricsAddr: '127.0.0.1',
  metricsPort: 9001,
  rpc: DEFAULT_RPC_LIMITS,
  ws: WS_DEFAULTS,
  geth: GETH_DEFAULTS,
}

export function nodeOptions(): Option[] {
  return [
    new Option('--port <port>', 'libp2p TCP listening port (0 = random)').argParser(intInRange(0, 65535)).default(NODE_DEFAULTS.port),
    new Option('--p2p.addr <ip>', 'libp2p listening address').default(NODE_DEFAULTS.p2pAddr),
    new Option('--bootnodes <multiaddrs>', 'comma-separated multiaddrs (/ip4/1.2.3.4/tcp/30303/p2p/12D3Koo...) dialled at start and re-dialled when they drop'),
    new Option('--maxpeers <n>', 'maximum number of peers (0 = no networking)').argParser(intInRange(0, 10000)).default(NODE_DEFAULTS.maxPeers),
    new Option('--nodiscover', 'no peer exchange: only bootnodes and inbound peers').default(NODE_DEFAULTS.nodiscover),
    new Option('--follow', 'no consensus client: follow the highest valid block peers gossip').default(NODE_DEFAULTS.follow),
    new Option('--dev', 'dev mode: dev genesis, built-in consensus driver, HTTP RPC on :8545').default(NODE_DEFAULTS.dev),
    new Option('--dev.period <seconds>', 'dev mode block interval; 0 = a block per incoming transaction').argParser(intInRange(0, 3600)).default(NODE_DEFAULTS.devPeriod),
    new Option('--authrpc.addr <ip>', 'Engine API listening address').default(NODE_DEFAULTS.authrpcAddr),
    new Option('--authrpc.port <port>', 'Engine API listening port (0 = random)').argParser(intInRange(0, 65535)).default(NODE_DEFAULTS.authrpcPort),
    new Option('--authrpc.jwtsecret <path>', 'JWT secret file (hex); default <datadir>/jwtsecret, created when missing'),
    new Option('--http', 'enable the HTTP JSON-RPC server').default(NODE_DEFAULTS.http),
    new Option('--http.addr <ip>', 'HTTP JSON-RPC listening address').default(NODE_DEFAULTS.httpAddr),
    new Option('--http.port <port>', 'HTTP JSON-RPC listening port (0 = random)').argParser(intInRange(0, 65535)).default(NODE_DEFAULTS.httpPort),
    new Option('--http.api <list>', 'API namespaces offered over HTTP, comma separated').default(NODE_DEFAULTS.httpApi.join(',')),
    new Option('--http.parallax', 'serve the parallelism page at /parallax on the HTTP port (adds the parallax namespace)').default(NODE_DEFAULTS.httpParallax),
    ...execOptions(),
    new Option('--metrics', 'serve Prometheus metrics (/metrics and /debug/metrics/prometheus)').default(NODE_DEFAULTS.metrics),
    new Option('--metrics.addr <ip>', 'metrics server listening address').default(NODE_DEFAULTS.metricsAddr),
    new Option('--metrics.port <port>', 'metrics server listening port (0 = random)').argParser(intInRange(0, 65535)).default(NODE_DEFAULTS.metricsPort),
    ...rpcOptions(),
    ...wsOptions(),
    ...gethOptions({ durationMs, intInRange }),
  ]
}

/** The RPC limits: geth's flags and defaults, reth's eth_getLogs caps, and Parallax's call worker count. */
function rpcOptions(): Option[] {
  const d = NODE_DEFAULTS.rpc
  return [
    new Option('--rpc.gascap <gas>', 'gas limit of eth_call / eth_estimateGas (0 = no cap)').argParser(intInRange(0, Number.MAX_SAFE_INTEGER)).default(Number(d.gasCap)),
    new Option('--rpc.evmtimeout <duration>', 'time limit of eth_call / eth_estimateGas, e.g. 5s, 500ms (0 = none)').argParser(durationMs).default(d.evmTimeoutMs, '5s'),
    new Option('--rpc.txfeecap <ether>', 'fee cap of transactions sent over RPC, in ether (0 = no cap)').argParser(etherToWei).default(d.txFeeCap, '1'),
    new Option('--rpc.batch-request-limit <n>', 'maximum entries in a JSON-RPC batch (0 = no limit)').argParser(intInRange(0, 1_000_000_000)).default(d.batchRequestLimit),
    new Option('--rpc.batch-response-max-size <bytes>', 'maximum bytes of a batch response (0 = no limit)').argParser(intInRange(0, Number.MAX_SAFE_INTEGER)).default(d.batchResponseMaxBytes),
    new Option('--http.timeout <duration>', 'time limit of one HTTP request on either RPC port (0 = none)').argParser(durationMs).default(d.requestTimeoutMs, '30s'),
    new Option('--rpc.max-blocks-per-filter <n>', 'widest eth_getLogs block range (0 = no limit)').argParser(intInRange(0, Number.MAX_SAFE_INTEGER)).default(Number(d.maxBlocksPerFilter)),
    new Option('--rpc.max-logs-per-response <n>', 'most logs one eth_getLogs answers (0 = no limit)').argParser(intInRange(0, Number.MAX_SAFE_INTEGER)).default(d.maxLogsPerResponse),
    new Option('--rpc.workers <n>', 'worker threads for eth_call / eth_estimateGas / eth_createAccessList').argParser(intInRange(1, 64)).default(d.callWorkers, `cores - 1, 1..4: ${d.callWorkers}`),
  ]
}

/** Reads the RPC limit flags (see `rpcOptions`; commander camel-cases the dashed names). */
function parseRpcFlags(raw: Record<string, unknown>): RpcLimits {
  const d = NODE_DEFAULTS.rpc
  const fee = raw['rpc.txfeecap'] ?? d.txFeeCap
  if (typeof fee !== 'bigint') throw new UsageError(`invalid --rpc.txfeecap: ${String(fee)}`)
  return {
    gasCap: BigInt(num(raw, 'rpc.gascap', Number(d.gasCap))),
    evmTimeoutMs: num(raw, 'rpc.evmtimeout', d.evmTimeoutMs),
    txFeeCap: fee,
    batchRequestLimit: num(raw, 'rpc.batchRequestLimit', d.batchRequestLimit),
    batchResponseMaxBytes: num(raw, 'rpc.batchResponseMaxSize', d.batchResponseMaxBytes),
    requestTimeoutMs: num(raw, 'http.timeout', d.requestTimeoutMs),
    maxBlocksPerFilter: BigInt(num(raw, 'rpc.maxBlocksPerFilter', Number(d.maxBlocksPerFilter))),
    maxLogsPerResponse: num(raw, 'rpc.maxLogsPerResponse', d.maxLogsPerResponse),
    callWorkers: num(raw, 'rpc.workers', d.callWorkers),
  }
}

/**
 * The executor flags, shared by `node` and `import`. The parallel executor is on by default; turn it
 * off with `--no-exec.parallel` or `--exec.parallel=false`.
 */
export function execOptions(): Option[] {
  const workers = NODE_DEFAULTS.execWorkers
  return [
    new Option('--exec.parallel [bool]', 'execute blocks with the parallel executor (off: --no-exec.parallel or --exec.parallel=false)')
      .argParser(boolValue)
      .default(NODE_DEFAULTS.execParallel),
    new Option('--no-exec.parallel', 'execute blocks with the sequential executor'),
    new Option('--exec.workers <n>', 'worker threads of the parallel executor').argParser(intInRange(1, 1024)).default(workers, `cores − 1, ${workers}`),
  ]
}

/** Reads the executor flags (see `execOptions`). */
export function parseExecFlags(raw: Record<string, unknown>): Pick<NodeFlags, 'execParallel' | 'execWorkers'> {
  const execWorkers = num(raw, 'exec.workers', NODE_DEFAULTS.execWorkers)
  if (!Number.isInteger(execWorkers) || execWorkers < 1) throw new UsageError(`invalid --exec.workers: ${execWorkers} (expected an integer >= 1)`)
  return { execParallel: flag(raw, 'exec.parallel', NODE_DEFAULTS.execParallel), execWorkers }
}

function str(raw: Record<string, unknown>, key: string, fallback: string): string {
  const v = raw[key] ?? fallback
  if (typeof v !== 'string' || v === '') throw new UsageError(`invalid --${key}: ${String(v)}`)
  return v
}
function num(raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key] ?? fallback
  if (typeof v !== 'number') throw new UsageError(`invalid --${key}: ${String(v)}`)
  return v
}
function flag(raw: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = raw[key] ?? fallback
  if (typeof v !== 'boolean') throw new UsageError(`invalid --${key}: ${String(v)}`)
  return v
}

/** Reads the `node` command's own flags out of commander's option values. */
export function parseNodeFlags(raw: Record<string, unknown>): NodeFlags {
  const jwt = raw['authrpc.jwtsecret']
  if (jwt !== undefined && (typeof jwt !== 'string' || jwt === '')) throw new UsageError('invalid --authrpc.jwtsecret')
  return {
    port: num(raw, 'port', NODE_DEFAULTS.port),
    p2pAddr: str(raw, 'p2p.addr', NODE_DEFAULTS.p2pAddr),
    bootnodes: typeof raw['bootnodes'] === 'string' ? raw['bootnodes'].split(',').map((x) => x.trim()).filter((x) => x !== '') : [],
    maxPeers: num(raw, 'maxpeers', NODE_DEFAULTS.maxPeers),
    nodiscover: flag(raw, 'nodiscover', NODE_DEFAULTS.nodiscover),
    follow: flag(raw, 'follow', NODE_DEFAULTS.follow),
    dev: flag(raw, 'dev', NODE_DEFAULTS.dev),
    devPeriod: num(raw, 'dev.period', NODE_DEFAULTS.devPeriod),
    authrpcAddr: str(raw, 'authrpc.addr', NODE_DEFAULTS.authrpcAddr),
    authrpcPort: num(raw, 'authrpc.port', NODE_DEFAULTS.authrpcPort),
    authrpcJwtsecret: jwt === undefined ? undefined : resolve(expandHome(jwt)),
    http: flag(raw, 'http', NODE_DEFAULTS.http),
    httpAddr: str(raw, 'http.addr', NODE_DEFAULTS.httpAddr),
    httpPort: num(raw, 'http.port', NODE_DEFAULTS.httpPort),
    httpApi: str(raw, 'http.api', NODE_DEFAULTS.httpApi.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== ''),
    httpParallax: flag(raw, 'http.parallax', NODE_DEFAULTS.httpParallax),
    ...parseExecFlags(raw),
    metrics: flag(raw, 'metrics', NODE_DEFAULTS.metrics),
    metricsAddr: str(raw, 'metrics.addr', NODE_DEFAULTS.metricsAddr),
    metricsPort: num(raw, 'metrics.port', NODE_DEFAULTS.metricsPort),
    rpc: parseRpcFlags(raw),
    ws: parseWsFlags(raw),
    geth: parseGethFlags(raw),
  }
}

// --- value parsers (shared by later flags: ports, limits) -------------------------------------------

/** A commander argument parser accepting a decimal integer in [min, max]. */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer ${min}..${max}`)
    const n = Number(value.trim())
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer ${min}..${max}`)
    return n
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 }

/** A Go duration (`5s`, `500ms`, `1m30s`, `0`) in whole milliseconds, as geth's duration flags take. */
export function durationMs(value: string): number {
  const v = value.trim()
  if (v === '0') return 0
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) throw new InvalidArgumentError('expected a duration like 5s, 500ms or 1m30s')
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0))
}

/** An amount of ether (`1`, `0.5`, up to 18 decimals) in wei. */
export function etherToWei(value: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,18}))?$/.exec(value.trim())
  if (m === null) throw new InvalidArgumentError('expected an amount of ether, e.g. 1 or 0.5')
  return BigInt(m[1]!) * 10n ** 18n + BigInt((m[2] ?? '').padEnd(18, '0'))
}

/** A commander argument parser for an optional boolean value: `--flag=true`, `--flag=false`. */
export function boolValue(value: string): boolean {
  const v = value.trim().toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw new InvalidArgumentError('expected true or false')
}

/** `~` and `~/x` → the home directory (shells leave `--datadir=~/x` unexpanded). */
export function expandHome(path: string): string {
  if (path === '~') return homedir()
  if (path.startsWith('~/')) return join(homedir(), path.slice(2))
  return path
}

function isLogFormat(v: unknown): v is LogFormat {
  return typeof v === 'string' && (LOG_FORMATS as readonly string[]).includes(v)
}
