// Builds the @ethereumjs/common Common for a chain config: fork schedule by block and timestamp,
// and blob parameters from the genesis blobSchedule.
//
// Built directly rather than through createCommonFromGethGenesis, whose 10.1.3 parser takes only
// JSON-number fork values, has no amsterdamTime, never places Paris for a TTD-only pre-merge chain,
// and replaces bpo1/bpo2's `target`/`max` params so Common.getBlobGasSchedule() throws on a BPO fork.
import { Common, Hardfork } from '@ethereumjs/common'
import type { ChainConfig, CustomCrypto, HardforkConfig, HardforkTransitionConfig, ParamsConfig } from '@ethereumjs/common'
import { bigIntToHex, bigIntToUnpaddedBytes, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { GAS_PER_BLOB, resolveForkSchedule } from './forks.ts'
import type { GenesisPoint, ScheduledFork } from './forks.ts'
import type { BlobParams, ChainConfigSpec, GenesisSpec } from './spec.ts'

/** Header fields of the genesis that end up in Common.genesis(). */
export interface GenesisHeaderFields extends GenesisPoint {
  gasLimit: bigint
  nonce: bigint
  extraData: Uint8Array
  baseFeePerGas?: bigint
  excessBlobGas?: bigint
}

const BPO_FORKS: ReadonlySet<string> = new Set([Hardfork.Bpo1, Hardfork.Bpo2, Hardfork.Bpo3, Hardfork.Bpo4, Hardfork.Bpo5])

function jsonNumber(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()
}

/**
 * Both spellings Common reads: per-block gas (pre-BPO) and blob counts (`target`/`max`, BPO);
 * `blobGasPerBlob` too, so getBlobGasSchedule() works on a Common no package has added params to.
 */
function blobParamsConfig(p: BlobParams): ParamsConfig {
  return {
    blobGasPerBlob: jsonNumber(GAS_PER_BLOB),
    targetBlobGasPerBlock: jsonNumber(p.target * GAS_PER_BLOB),
    maxBlobGasPerBlock: jsonNumber(p.max * GAS_PER_BLOB),
    blobGasPriceUpdateFraction: jsonNumber(p.baseFeeUpdateFraction),
    target: jsonNumber(p.target),
    max: jsonNumber(p.max),
  }
}

function transitions(forks: ScheduledFork[], genesisTimestamp: bigint): HardforkTransitionConfig[] {
  return forks.map((f) => {
    // typed `number`, but Common compares through BigInt(), so a decimal string above 2^53 also works
    if (f.timestamp === null) return { name: f.hardfork, block: f.block === null ? null : (jsonNumber(f.block) as number) }
    // forks at or before the genesis time count as "at genesis" (EIP-6122; ethereumjs does the same)
    const ts = f.timestamp <= genesisTimestamp ? 0n : f.timestamp
    return { name: f.hardfork, block: null, timestamp: jsonNumber(ts) }
  })
}

function genesisHardfork(forks: ScheduledFork[], at: GenesisPoint): Hardfork {
  let name: Hardfork = Hardfork.Chainstart
  for (const f of forks) {
    const active = f.timestamp === null ? f.block !== null && f.block <= at.number : f.timestamp <= at.timestamp
    if (!active) break
    name = f.hardfork
  }
  return name
}

/**
 * A Common for `config`, set to the hardfork active at genesis. Blob parameters go in as
 * hardfork-scoped params (Cancun, Prague, Osaka, Amsterdam) and as replacement hardfork configs for
 * BPO1–5 (their built-in inline params would otherwise win), so every blob fork uses the genesis
 * blobSchedule. `customCrypto` (native secp256k1, KZG) is passed through.
 */
export function commonFromChainConfig(
  config: ChainConfigSpec,
  genesis: GenesisHeaderFields,
  customCrypto?: CustomCrypto,
): Common {
  const forks = resolveForkSchedule(config, genesis)
  const params: Record<string, ParamsConfig> = {}
  const customHardforks: Record<string, HardforkConfig> = {}
  for (const f of forks) {
    if (f.blob === undefined) continue
    if (BPO_FORKS.has(f.hardfork)) customHardforks[f.hardfork] = { eips: [], params: blobParamsConfig(f.blob) }
    else params[f.hardfork] = blobParamsConfig(f.blob)
  }
  const hardfork = genesisHardfork(forks, genesis)
  const chain: ChainConfig = {
    name: config.chainId === 1n ? 'mainnet' : `chain-${config.chainId}`,
    chainId: jsonNumber(config.chainId),
    defaultHardfork: hardfork,
    genesis: {
      timestamp: bigIntToHex(genesis.timestamp),
      gasLimit: bigIntToHex(genesis.gasLimit),
      difficulty: bigIntToHex(genesis.difficulty),
      nonce: bytesToHex(setLengthLeft(bigIntToUnpaddedBytes(genesis.nonce), 8)),
      extraData: bytesToHex(genesis.extraData),
      ...(genesis.baseFeePerGas !== undefined ? { baseFeePerGas: bigIntToHex(genesis.baseFeePerGas) } : {}),
      ...(genesis.excessBlobGas !== undefined ? { excessBlobGas: bigIntToHex(genesis.excessBlobGas) } : {}),
    },
    hardforks: transitions(forks, genesis.timestamp),
    customHardforks,
    bootstrapNodes: [],
    consensus: { type: 'pow', algorithm: 'ethash', ethash: {} },
    ...(config.depositContractAddress !== undefined ? { depositContractAddress: bytesToHex(config.depositContractAddress) } : {}),
  }
  const common = new Common({ chain, hardfork, params, ...(customCrypto !== undefined ? { customCrypto } : {}) })
  common.setHardforkBy({ blockNumber: genesis.number, timestamp: genesis.timestamp })
  return common
}

/** The Common for a parsed genesis, set to its genesis hardfork. */
export function commonFromGenesis(spec: GenesisSpec, customCrypto?: CustomCrypto): Common {
  return commonFromChainConfig(spec.config, spec, customCrypto)
}
