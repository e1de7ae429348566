// The CLI commands' entry points. The CLI (src/cli) parses flags and calls these.
import { readFile } from 'node:fs/promises'
import { bytesToHex, createAddressFromString } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { NODE_DEFAULTS, type NodeFlags } from '../cli/flags.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { txpoolLimits } from '../cli/flags-geth.ts'
import { devGenesis } from './dev-genesis.ts'
import { deriveDevKeys, logDevAccounts, type DevKey } from './dev-keys.ts'
import { loadOrCreateJwtSecret } from '../rpc/jwt.ts'
import { startNode } from './node.ts'
import { Resources } from './lifecycle.ts'
import { commonFromGenesis, genesisBlock, loadGenesisFile, loadPreset, writeGenesisState, type ConfigChange, type GenesisSpec } from '../../config/index.ts'
import { updateStoredChainConfig } from './chain-config.ts'
import { loadKeystore } from './keystore.ts'
import { decodeBlock, splitRlpStream } from '../chain/decode.ts'
import { initGenesis } from '../chain/genesis.ts'
import type { Chain } from '../chain/chain.ts'
import { stateAfter } from '../rpc/eth/resolve.ts'
import { parallaxCrypto } from '../exec/crypto.ts'
import { ConfigError, InvalidBlockError, MalformedBlockError } from '../util/errors.ts'
import { CHAINDATA, openDatadir, openKV, type OpenedDatadir, type PresetMarker } from './datadir.ts'
import type { ExecSettings } from './executor.ts'
import { ImportProgress, logImported } from '../chain/import-log.ts'

export interface InitOptions {
  datadir: string
  /** Path of a geth-format genesis.json, or a preset name ('dev', 'mainnet'). */
  genesis: string
  /** A genesis already built (the dev chain with its accounts); wins over `genesis`. */
  parsed?: { spec: GenesisSpec; stored: string }
  logger: Logger
}
export interface InitResult {
  genesisHash: `0x${string}`
  stateRoot: `0x${string}`
  chainId: bigint
  /** false when the datadir already held this same genesis (init is idempotent). */
  created: boolean
  /** When not created: the chain config fields the new genesis changed (now stored). */
  configChanges: ConfigChange[]
}

export interface ImportOptions {
  datadir: string
  files: string[]
  logger: Logger
  signal?: AbortSignal
  /** The --exec.* flags; default: the CLI's defaults (parallel, one worker per core). */
  exec?: ExecSettings
}
export interface ImportResult {
  imported: number
  skipped: number
  head: { number: bigint; hash: `0x${string}` }
}

export interface NodeOptions {
  datadir: string
  /** false when --datadir was not given (dev mode then uses a temporary directory). */
  datadirExplicit?: boolean
  flags?: Partial<NodeFlags>
  /** Dev mode keeps networking off (as geth --dev) unless a p2p flag was given. */
  devNetworking?: boolean
  logger: Logger
  signal: AbortSignal
}

async function resolveGenesis(arg: string): Promise<{ spec: GenesisSpec; stored: string }> {
  if (arg === 'mainnet' || arg === 'dev') {
    const marker: PresetMarker = { parallaxPreset: arg }
    return { spec: loadPreset(arg), stored: JSON.stringify(marker) }
  }
  const spec = loadGenesisFile(arg)
  return { spec, stored: await readFile(arg, 'utf8') }
}

export async function initCommand(opts: InitOptions): Promise<InitResult> {
  const { spec, stored } = opts.parsed ?? (await resolveGenesis(opts.genesis))
  const common = commonFromGenesis(spec, parallaxCrypto()) // no KZG needed to write a genesis
  const kv = await openKV(opts.datadir)
  try {
    const { block, created } = await initGenesis(kv, {
      common,
      writeState: (o) => writeGenesisState(spec, o),
      block: (root) => genesisBlock(spec, common, root),
      chainConfig: stored,
    })
    const configChanges = created ? [] : await updateStoredChainConfig(kv, { spec, stored }, opts.logger)
    const hash = bytesToHex(block.hash())
    return { genesisHash: hash, stateRoot: bytesToHex(block.header.stateRoot), chainId: spec.config.chainId, created, configChanges }
  } finally {
    await kv.close()
  }
}

export async function importCommand(opts: ImportOptions): Promise<ImportResult> {
  const node = await openDatadir(opts.datadir, opts.logger, { exec: opts.exec ?? execSettings(NODE_DEFAULTS) })
  const count = { imported: 0, skipped: 0 }
  let failure: unknown
  try {
    for (const file of opts.files) {
      if (opts.signal?.aborted === true) break
      try {
        await importFile(node, file, count, opts)
      } catch (err) {
        // geth's import: a bad file stops that file only; the next file is still imported (hive hands
        // several single-block files, some meant to fail), and the command fails at the end.
        if (opts.files.length === 1 || !isFileFault(err)) throw err
        opts.logger.error({ file, err: (err as Error).message }, 'Import error')
        failure ??= err
      }
    }
    if (failure !== undefined) throw failure
    const head = node.chain.head
    return { ...count, head: { number: head.number, hash: bytesToHex(head.hash()) } }
  } finally {
    await node.close()
  }
}

/** Faults of a file's contents (unreadable, not RLP, an invalid or orphan block), not of the node. */
function isFileFault(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof InvalidBlockError || err instanceof MalformedBlockError
}

async function importFile(node: OpenedDatadir, file: string, count: { imported: number; skipped: number }, opts: ImportOptions): Promise<void> {
  let data: Uint8Array
  try {
    data = await readFile(file)
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`)
  }
  const chunks = [...splitRlpStream(data)]
  opts.logger.info({ file, blocks: chunks.length }, 'Importing blockchain')
  const progress = new ImportProgress(opts.logger, chunks.length)
  for (const chunk of chunks) {
    if (opts.signal?.aborted === true) {
      opts.logger.warn({ imported: count.imported }, 'Import interrupted')
      return
    }
    const block = decodeBlock(chunk, node.common)
    const res = await node.chain.insertBlock(block, { setHead: true })
    if (res.status === 'known') {
      count.skipped++
    } else if (res.status === 'imported') {
      count.imported++
      logImported(opts.logger, block, res)
    } else if (res.status === 'unknown-parent') {
      throw new InvalidBlockError('parent', `block #${block.header.number} ${bytesToHex(res.hash)} has an unknown parent ${bytesToHex(block.header.parentHash)}`)
    } else {
      throw new InvalidBlockError(res.reason ?? 'invalid', `invalid block #${block.header.number} ${bytesToHex(res.hash)}: ${res.message ?? res.reason}`)
    }
    progress.tick(block.header.number)
  }
}

export async function nodeCommand(opts: NodeOptions): Promise<void> {
  const flags = { ...NODE_DEFAULTS, ...opts.flags }
  const log = opts.logger
  // What the node will do, not only what was typed: dev mode turns HTTP on and networking off.
  const http = flags.http || flags.dev
  const networking = flags.maxPeers > 0 && !(flags.dev && opts.devNetworking !== true)
  log.debug({ ...flags, http, maxPeers: networking ? flags.maxPeers : 0 }, 'Node flags')
  // Everything opened below is closed (newest first) however this ends: shutdown, or a failed start.
  const opened = new Resources(log)
  try {
    let datadir = opts.datadir
    let devChainCreated = false
    const devKeys = flags.dev ? deriveDevKeys(flags.geth.devMnemonic, flags.geth.devAccounts) : []
    if (flags.dev) {
      if (opts.datadirExplicit !== true) {
        const tempDir = await mkdtemp(join(tmpdir(), 'parallax-dev-'))
        opened.add('temporary datadir', () => rm(tempDir, { recursive: true, force: true }))
        datadir = tempDir
        log.info({ datadir }, 'Using a temporary data directory for dev mode')
      }
      // A fresh dev datadir is initialised with the dev preset; an existing one must hold it.
      devChainCreated = (await initCommand({ datadir, genesis: 'dev', parsed: devGenesis(devKeys), logger: log })).created
    }
    const node = await openDatadir(datadir, log, { exec: { ...execSettings(flags), prestart: true } })
    opened.add('datadir', () => node.close())
    // A kept dev datadir (a restart): the accounts hold what the chain left them, not the genesis funds.
    if (flags.dev) logDevAccounts(log, devKeys, devChainCreated ? undefined : await balancesAtHead(node.chain, devKeys))
    log.info(flags.execParallel ? { executor: 'parallel', workers: flags.execWorkers } : { executor: 'sequential' }, 'Block executor')
    const head = node.chain.head
    log.info({ number: Number(head.number), hash: bytesToHex(head.hash()), chainId: node.spec.config.chainId.toString(), datadir }, 'Loaded most recent local block')
    const keystore = flags.geth.keystore === undefined ? undefined : await loadKeystore(flags.geth.keystore, flags.geth.password, log)
    const jwt = await loadOrCreateJwtSecret({ ...(flags.authrpcJwtsecret !== undefined ? { path: flags.authrpcJwtsecret } : {}), datadir, logger: log })
    const running = await startNode({
      chain: node.chain,
      common: node.common,
      logger: log,
      authrpc: { addr: flags.authrpcAddr, port: flags.authrpcPort, jwtSecret: jwt.secret },
      ...(http ? { http: { addr: flags.httpAddr, port: flags.httpPort, api: flags.httpApi, parallaxPage: flags.httpParallax, cors: flags.geth.httpCorsDomain, vhosts: flags.geth.httpVhosts } } : {}),
      ...(flags.ws.enabled ? { ws: { addr: flags.ws.addr, port: flags.ws.port, api: flags.ws.api, origins: flags.ws.origins } } : {}),
      ...(flags.dev ? { dev: { period: flags.devPeriod, keys: devKeys.map((k) => k.privateKey) } } : {}),
      ...(keystore !== undefined ? { keystore: { keys: keystore.unlocked, locked: keystore.locked } } : {}),
      ...(flags.geth.networkId !== undefined ? { networkId: flags.geth.networkId } : {}),
      builder: { gasLimit: flags.geth.minerGasLimit, ...(flags.geth.minerExtraData.length > 0 ? { extraData: flags.geth.minerExtraData } : {}) },
      txpool: txpoolLimits(flags.geth.txpool),
      ...(networking ? { p2p: { datadir, addr: flags.p2pAddr, port: flags.port, bootnodes: flags.bootnodes, maxPeers: flags.maxPeers, nodiscover: flags.nodiscover, follow: flags.follow && !flags.dev } } : {}),
      ...(flags.metrics ? { metrics: { addr: flags.metricsAddr, port: flags.metricsPort, chaindata: join(datadir, CHAINDATA) } } : {}),
      rpc: flags.rpc,
    })
    opened.add('node', () => running.close())
    await new Promise<void>((resolve) => {
      if (opts.signal.aborted) return resolve()
      opts.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    log.info({}, 'Shutting down')
  } finally {
    await opened.closeAll()
  }
}

function execSettings(flags: Pick<NodeFlags, 'execParallel' | 'execWorkers'>): ExecSettings {
  return { parallel: flags.execParallel, workers: flags.execWorkers }
}

async function balancesAtHead(chain: Chain, keys: readonly DevKey[]): Promise<bigint[]> {
  const state = await stateAfter(chain.store.kv, chain.head)
  return Promise.all(keys.map(async (k) => (await state.getAccount(createAddressFromString(k.address)))?.balance ?? 0n))
}
