// The data directory: <datadir>/chaindata is the LevelDB store. The chain config (the genesis JSON
// it was initialised with) lives inside the store, so later runs need only --datadir. The store is
// opened in multithreading mode: the parallel executor's and the RPC's call workers open it too.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Common } from '@ethereumjs/common'
import type { Logger } from 'pino'
import { commonFromGenesis, loadPreset, parseGenesis, type GenesisSpec } from '../../config/index.ts'
import { Chain } from '../chain/chain.ts'
import { LevelKV, type LevelOptions } from '../db/level.ts'
import { metaKey, MetaKey } from '../db/keys.ts'
import { parallaxCryptoWithKzg } from '../exec/crypto.ts'
import type { Executor } from '../exec/sequential.ts'
import { ConfigError, DatadirError } from '../util/errors.ts'
import { createNodeExecutor, NodeExecutor, type ExecSettings } from './executor.ts'

export const CHAINDATA = 'chaindata'

export interface OpenedDatadir {
  kv: LevelKV
  chain: Chain
  common: Common
  spec: GenesisSpec
  /** The chain's executor (observable: the node hooks its metrics on it). */
  executor: NodeExecutor
  /** Closes the executor (its worker threads), then the store. */
  close(): Promise<void>
}

export interface OpenDatadirOptions {
  /** The --exec.* flags; default: the sequential executor. */
  exec?: ExecSettings
  /** Another executor (tests); wins over `exec`. */
  executor?: Executor
}

/** Marker stored instead of a genesis JSON when the store was initialised from a built-in preset. */
export interface PresetMarker {
  parallaxPreset: 'mainnet' | 'dev'
}

export function specFromStoredConfig(text: string): GenesisSpec {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new DatadirError(`stored chain config is not valid JSON: ${(err as Error).message}`)
  }
  const preset = (json as Partial<PresetMarker>).parallaxPreset
  if (preset === 'mainnet' || preset === 'dev') return loadPreset(preset)
  try {
    return parseGenesis(json)
  } catch (err) {
    throw new ConfigError(`stored chain config: ${(err as Error).message}`)
  }
}

export async function openKV(datadir: string, opts: LevelOptions = {}): Promise<LevelKV> {
  mkdirSync(datadir, { recursive: true })
  return LevelKV.open(join(datadir, CHAINDATA), opts)
}

export async function openDatadir(datadir: string, logger: Logger, opts: OpenDatadirOptions = {}): Promise<OpenedDatadir> {
  const kv = await openKV(datadir, { multithreading: true })
  let executor: NodeExecutor | undefined
  try {
    const stored = await kv.get(metaKey(MetaKey.ChainConfig))
    if (stored === undefined) throw new DatadirError(`${datadir} is not initialised: run \`parallax init --datadir ${datadir} <genesis.json>\` first`)
    const spec = specFromStoredConfig(new TextDecoder().decode(stored))
    const common = commonFromGenesis(spec, parallaxCryptoWithKzg())
    executor = opts.executor !== undefined ? new NodeExecutor(opts.executor) : createNodeExecutor(opts.exec ?? { parallel: false, workers: 1 }, join(datadir, CHAINDATA), logger)
    const chain = await Chain.open({ kv, common, executor, logger })
    const exec = executor
    return {
      kv,
      chain,
      common,
      spec,
      executor,
      async close() {
        await exec.close() // the workers hold the store open too
        await kv.close()
      },
    }
  } catch (err) {
    await executor?.close()
    await kv.close()
    throw err
  }
}
