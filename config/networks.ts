// Fixture networks: the `network` names of execution-spec-tests and ethereum/tests fixtures
// ("Cancun", "ShanghaiToCancunAtTime15k", "BerlinToLondonAt5", ...) as chain configs and Commons.
import type { Common, CustomCrypto } from '@ethereumjs/common'
import { commonFromChainConfig } from './common.ts'
import { parseBlobSchedule } from './genesis.ts'
import type { BlobForkName, BlobParams, BlockForkField, ChainConfigSpec, TimeForkField } from './spec.ts'
import { asObject, isAbsent, parseQuantity } from './values.ts'

/** A fixture `network` name that Parallax cannot map to a fork schedule. */
export class UnknownNetworkError extends Error {
  readonly code = 'UNKNOWN_FIXTURE_NETWORK'
  readonly network: string

  constructor(network: string, detail: string) {
    super(`unknown fixture network "${network}": ${detail}`)
    this.name = 'UnknownNetworkError'
    this.network = network
  }
}

interface Rung {
  names: readonly string[]
  blocks?: readonly BlockForkField[]
  time?: TimeForkField
}

/** The fork ladder in activation order; a network is "every rung up to and including its own". */
const LADDER: readonly Rung[] = [
  { names: ['Frontier'] },
  { names: ['Homestead'], blocks: ['homesteadBlock'] },
  { names: ['DAO', 'Dao'], blocks: ['daoForkBlock'] },
  { names: ['EIP150', 'TangerineWhistle'], blocks: ['eip150Block'] },
  { names: ['EIP158', 'SpuriousDragon'], blocks: ['eip155Block', 'eip158Block'] },
  { names: ['Byzantium'], blocks: ['byzantiumBlock'] },
  { names: ['Constantinople'], blocks: ['constantinopleBlock'] },
  { names: ['ConstantinopleFix', 'Petersburg'], blocks: ['petersburgBlock'] },
  { names: ['Istanbul'], blocks: ['istanbulBlock'] },
  { names: ['MuirGlacier'], blocks: ['muirGlacierBlock'] },
  { names: ['Berlin'], blocks: ['berlinBlock'] },
  { names: ['London'], blocks: ['londonBlock'] },
  { names: ['ArrowGlacier'], blocks: ['arrowGlacierBlock'] },
  { names: ['GrayGlacier'], blocks: ['grayGlacierBlock'] },
  { names: ['Paris', 'Merge'], blocks: ['mergeForkBlock'] },
  { names: ['Shanghai'], time: 'shanghaiTime' },
  { names: ['Cancun'], time: 'cancunTime' },
  { names: ['Prague'], time: 'pragueTime' },
  { names: ['Osaka'], time: 'osakaTime' },
  { names: ['BPO1'], time: 'bpo1Time' },
  { names: ['BPO2'], time: 'bpo2Time' },
  { names: ['BPO3'], time: 'bpo3Time' },
  { names: ['BPO4'], time: 'bpo4Time' },
  { names: ['BPO5'], time: 'bpo5Time' },
  { names: ['Amsterdam'], time: 'amsterdamTime' },
]

const DAO_RUNG = 2
const CONSTANTINOPLE_RUNG = 6
const PARIS_RUNG = 14
/** "Never" for a fork that a network must leave out (Petersburg on the Constantinople network). */
const NEVER = BigInt(Number.MAX_SAFE_INTEGER)

/** BPO defaults when a fixture gives none: mainnet's BPO1/BPO2 values; BPO3–5 keep BPO2's. */
const BPO_DEFAULTS: Readonly<Record<'bpo1' | 'bpo2', BlobParams>> = {
  bpo1: { target: 10n, max: 15n, baseFeeUpdateFraction: 8346193n },
  bpo2: { target: 14n, max: 21n, baseFeeUpdateFraction: 11684671n },
}

const TRANSITION = /^([A-Za-z0-9]+?)To([A-Za-z0-9]+)At(Time)?(\d+)(k?)$/

function rungOf(network: string, name: string): number {
  const i = LADDER.findIndex((r) => r.names.includes(name))
  if (i < 0) throw new UnknownNetworkError(network, `no fork named "${name}"`)
  return i
}

function setRung(config: ChainConfigSpec, rung: Rung, at: bigint): void {
  for (const f of rung.blocks ?? []) config[f] = at
  if (rung.time !== undefined) config[rung.time] = at
}

function fillBlobDefaults(config: ChainConfigSpec): void {
  let previous: BlobParams | undefined
  for (const fork of ['bpo1', 'bpo2', 'bpo3', 'bpo4', 'bpo5'] as const satisfies readonly BlobForkName[]) {
    const given = config.blobSchedule[fork]
    const scheduled = config[`${fork}Time`] !== undefined
    const params = given ?? (fork === 'bpo1' || fork === 'bpo2' ? BPO_DEFAULTS[fork] : previous)
    if (scheduled && given === undefined && params !== undefined) config.blobSchedule[fork] = params
    previous = params
  }
}

/**
 * The chain config of a fixture network: chainId 1 (or the fixture's `config.chainid`), every fork
 * up to the network's at genesis; for `XToYAt5` / `XToYAtTime15k`, the forks after X up to Y at
 * block 5 / timestamp 15000. `fixtureConfig` is the fixture's optional `config` object, whose
 * `blobSchedule` (EEST: `{"Cancun": {"target": "0x03", ...}}`) overrides the defaults.
 */
export function fixtureChainConfig(network: string, fixtureConfig?: unknown): ChainConfigSpec {
  const extra = isAbsent(fixtureConfig) ? {} : asObject(fixtureConfig, 'fixture config')
  const config: ChainConfigSpec = {
    chainId: isAbsent(extra['chainid']) ? 1n : parseQuantity(extra['chainid'], 'config.chainid'),
    blobSchedule: parseBlobSchedule(extra['blobSchedule'], 'config.blobSchedule'),
  }
  const m = TRANSITION.exec(network)
  const base = rungOf(network, m?.[1] ?? network)
  for (let i = 1; i <= base; i++) if (i !== DAO_RUNG) setRung(config, LADDER[i]!, 0n)
  if (m !== null) {
    const target = rungOf(network, m[2]!)
    if (target <= base) throw new UnknownNetworkError(network, `${m[2]} does not come after ${m[1]}`)
    const at = BigInt(m[4]!) * (m[5] === 'k' ? 1000n : 1n)
    const byTime = m[3] !== undefined
    for (let i = base + 1; i <= target; i++) {
      const rung = LADDER[i]!
      if (byTime !== (rung.time !== undefined)) {
        throw new UnknownNetworkError(network, `${rung.names[0]} activates by ${byTime ? 'block' : 'timestamp'}`)
      }
      setRung(config, rung, at)
      if (i === DAO_RUNG) config.daoForkSupport = true
    }
  }
  // Constantinople without ConstantinopleFix (geth would otherwise infer Petersburg with it)
  if (config.constantinopleBlock !== undefined && config.petersburgBlock === undefined) config.petersburgBlock = NEVER
  if (base >= PARIS_RUNG) config.terminalTotalDifficulty = 0n
  fillBlobDefaults(config)
  return config
}

/**
 * The Common for a fixture network, set to its genesis fork. Throws UnknownNetworkError for names
 * outside the ladder (and GenesisError for a malformed fixture blobSchedule).
 */
export function commonForFixtureNetwork(network: string, customCrypto?: CustomCrypto, fixtureConfig?: unknown): Common {
  const config = fixtureChainConfig(network, fixtureConfig)
  return commonFromChainConfig(
    config,
    { number: 0n, timestamp: 0n, difficulty: 0n, gasLimit: 0n, nonce: 0n, extraData: new Uint8Array() },
    customCrypto,
  )
}
