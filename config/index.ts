// config: genesis presets and geth genesis.json loading, Common construction, genesis block and state, fixture networks.
export * from './genesis.ts'
export type { GenesisHeaderFields } from './common.ts'
export { BLOB_FORKS, DEFAULT_BLOB_PARAMS, GAS_PER_BLOB, resolveForkSchedule } from './forks.ts'
export type { GenesisPoint, ScheduledFork } from './forks.ts'
export { DEFAULT_GENESIS_BASE_FEE } from './genesis-block.ts'
export { UnknownNetworkError, commonForFixtureNetwork, fixtureChainConfig } from './networks.ts'
export { PRESET_NAMES, loadGenesisFile, loadPreset } from './presets.ts'
export type { PresetName } from './presets.ts'
