// The data directory: <datadir>/chaindata is the LevelDB store. The chain config (the genesis JSON
// it was initialised with) lives inside the store, so later runs need only --datadir.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Common } from '@ethereumjs/common'
import type { Logger } from 'pino'
import { commonFromGenesis, loadPreset, parseGenesis, type GenesisSpec } from '../../config/index.ts'
import { Chain } from '../chain/chain.ts'
import { LevelKV } from '../db/level.ts'
import { metaKey, MetaKey } from '../db/keys.ts'
import { parallaxCryptoWithKzg } from '../exec/crypto.ts'
import type { Executor } from '../exec/sequential.ts'
import { SequentialExecutor } from '../exec/sequential.ts'
import { ConfigError, DatadirError } from '../util/errors.ts'

export const CHAINDATA = 'chaindata'

export interface OpenedDatadir {
  kv: LevelKV
  chain: Chain
  common: Common
  spec: GenesisSpec
  close(): Promise<void>
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

export async function openKV(datadir: string): Promise<LevelKV> {
  mkdirSync(datadir, { recursive: true })
  return LevelKV.open(join(datadir, CHAINDATA))
}

export async function openDatadir(datadir: string, logger: Logger, executor?: Executor): Promise<OpenedDatadir> {
  const kv = await openKV(datadir)
  try {
    const stored = await kv.get(metaKey(MetaKey.ChainConfig))
    if (stored === undefined) throw new DatadirError(`${datadir} is not initialised: run \`parallax init --datadir ${datadir} <genesis.json>\` first`)
    const spec = specFromStoredConfig(new TextDecoder().decode(stored))
    const common = commonFromGenesis(spec, parallaxCryptoWithKzg())
    const chain = await Chain.open({ kv, common, executor: executor ?? new SequentialExecutor(), logger })
    return { kv, chain, common, spec, close: () => kv.close() }
  } catch (err) {
    await kv.close()
    throw err
  }
}
