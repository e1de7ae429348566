// Genesis of a blockchain fixture (EEST blockchain_test / blockchain_test_engine, ethereum/tests
// BlockchainTests): the spec from `pre` + `genesisBlockHeader`, the chain config from `network`.
import { parseGenesis } from '../../config/genesis.ts'
import type { GenesisSpec } from '../../config/genesis.ts'
import { fixtureChainConfig } from '../../config/networks.ts'

/** The parts of a blockchain fixture test case that define its genesis. */
export interface FixtureGenesisCase {
  network: string
  genesisBlockHeader: Record<string, unknown>
  pre: Record<string, unknown>
  /** EEST's optional `config` (`{ network, chainid, blobSchedule }`). */
  config?: unknown
}

/** Header fields a geth genesis shares with the fixture's genesisBlockHeader. */
const HEADER_FIELDS = [
  'nonce', 'timestamp', 'extraData', 'gasLimit', 'difficulty', 'mixHash', 'coinbase', 'number',
  'gasUsed', 'parentHash', 'baseFeePerGas', 'excessBlobGas', 'blobGasUsed',
] as const

/**
 * The GenesisSpec of a fixture test case, parsed by the same parseGenesis as a genesis.json, with
 * the chain config of its network (see fixtureChainConfig). Use commonForFixtureNetwork(network,
 * crypto, testCase.config), or commonFromGenesis(spec), for its Common.
 */
export function genesisSpecFromFixture(testCase: FixtureGenesisCase): GenesisSpec {
  const header = testCase.genesisBlockHeader
  const json: Record<string, unknown> = { config: { chainId: 1 }, alloc: testCase.pre }
  for (const field of HEADER_FIELDS) if (header[field] !== undefined) json[field] = header[field]
  const spec = parseGenesis(json)
  return { ...spec, config: fixtureChainConfig(testCase.network, testCase.config) }
}

/** Is this parsed JSON value a blockchain fixture test case with a genesis? */
export function isFixtureGenesisCase(value: unknown): value is FixtureGenesisCase {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['network'] === 'string' && typeof v['genesisBlockHeader'] === 'object' && typeof v['pre'] === 'object'
}
