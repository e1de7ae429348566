// The dev chain's genesis for a set of dev accounts: the dev preset as it is when the preset already
// funds every account (the default ten), else the preset plus 10000 ETH for each account it lacks,
// stored in the datadir as a full genesis JSON (so a later run with the same flags finds the same
// genesis, and one with other accounts is told the datadir holds another chain).
import { genesisToJson, loadPreset, type GenesisSpec } from '../../config/index.ts'
import type { PresetMarker } from './datadir.ts'
import type { DevKey } from './dev-keys.ts'

export const DEV_ACCOUNT_BALANCE = 10_000n * 10n ** 18n

export interface DevGenesis {
  spec: GenesisSpec
  /** What the datadir stores: the preset marker, or the whole genesis JSON. */
  stored: string
}

export function devGenesis(keys: readonly DevKey[]): DevGenesis {
  const spec = loadPreset('dev')
  const missing = keys.filter((k) => !spec.alloc.has(k.address))
  if (missing.length === 0) {
    const marker: PresetMarker = { parallaxPreset: 'dev' }
    return { spec, stored: JSON.stringify(marker) }
  }
  const alloc = new Map(spec.alloc)
  for (const k of missing) alloc.set(k.address, { balance: DEV_ACCOUNT_BALANCE, nonce: 0n, code: new Uint8Array(), storage: new Map() })
  const extended: GenesisSpec = { ...spec, alloc }
  return { spec: extended, stored: JSON.stringify(genesisToJson(extended)) }
}
