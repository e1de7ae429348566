// Built-in genesis presets (dev, mainnet) and loading a genesis.json from disk.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { getGenesis } from '@ethereumjs/genesis'
import type { GenesisState } from '@ethereumjs/common'
import { GenesisError } from './errors.ts'
import { parseGenesis } from './genesis.ts'
import type { GenesisSpec } from './spec.ts'

export type PresetName = 'dev' | 'mainnet'
export const PRESET_NAMES: readonly PresetName[] = ['dev', 'mainnet']

/** Mainnet's chain config and genesis header in geth's format (alloc comes from @ethereumjs/genesis). */
const MAINNET_HEADER = {
  config: {
    chainId: 1,
    homesteadBlock: 1150000,
    daoForkBlock: 1920000,
    daoForkSupport: true,
    eip150Block: 2463000,
    eip155Block: 2675000,
    eip158Block: 2675000,
    byzantiumBlock: 4370000,
    constantinopleBlock: 7280000,
    petersburgBlock: 7280000,
    istanbulBlock: 9069000,
    muirGlacierBlock: 9200000,
    berlinBlock: 12244000,
    londonBlock: 12965000,
    arrowGlacierBlock: 13773000,
    grayGlacierBlock: 15050000,
    // the first PoS block; geth has no such field (it merges by total difficulty)
    mergeForkBlock: 15537394,
    terminalTotalDifficulty: '58750000000000000000000',
    terminalTotalDifficultyPassed: true,
    shanghaiTime: 1681338455,
    cancunTime: 1710338135,
    pragueTime: 1746612311,
    osakaTime: 1764798551,
    bpo1Time: 1765290071,
    bpo2Time: 1767747671,
    depositContractAddress: '0x00000000219ab540356cBB839Cbe05303d7705Fa',
    blobSchedule: {
      cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 },
      prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
      osaka: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 },
      bpo1: { target: 10, max: 15, baseFeeUpdateFraction: 8346193 },
      bpo2: { target: 14, max: 21, baseFeeUpdateFraction: 11684671 },
    },
  },
  nonce: '0x42',
  timestamp: '0x0',
  extraData: '0x11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa',
  gasLimit: '0x1388',
  difficulty: '0x400000000',
  mixHash: '0x0000000000000000000000000000000000000000000000000000000000000000',
  coinbase: '0x0000000000000000000000000000000000000000',
}

/** @ethereumjs/genesis state (address → balance, or [balance, code, storage, nonce]) as a geth alloc. */
function allocFromGenesisState(state: GenesisState): Record<string, unknown> {
  const alloc: Record<string, unknown> = {}
  for (const [address, value] of Object.entries(state)) {
    if (typeof value === 'string') {
      alloc[address] = { balance: value }
      continue
    }
    const [balance, code, storage, nonce] = value
    alloc[address] = {
      balance,
      ...(code !== undefined ? { code } : {}),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(storage !== undefined ? { storage: Object.fromEntries(storage) } : {}),
    }
  }
  return alloc
}

function readJson(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read file'
    throw new GenesisError(path, reason, { cause: err })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new GenesisError(path, `invalid JSON (${(err as Error).message})`, { cause: err })
  }
}

/** Reads, JSON-parses and validates a geth genesis.json. Every GenesisError names `path`. */
export function loadGenesisFile(path: string): GenesisSpec {
  const json = readJson(path)
  try {
    return parseGenesis(json)
  } catch (err) {
    if (err instanceof GenesisError) throw new GenesisError(err.field, `${err.detail} (in ${path})`, { cause: err })
    throw err
  }
}

/** A built-in genesis: `dev` (config/presets/dev.json) or `mainnet`. A fresh object on every call. */
export function loadPreset(name: PresetName): GenesisSpec {
  switch (name) {
    case 'dev':
      return loadGenesisFile(fileURLToPath(new URL('./presets/dev.json', import.meta.url)))
    case 'mainnet': {
      const state = getGenesis(1)
      if (state === undefined) throw new GenesisError('alloc', '@ethereumjs/genesis has no mainnet state')
      return parseGenesis({ ...MAINNET_HEADER, alloc: allocFromGenesisState(state) })
    }
  }
}
