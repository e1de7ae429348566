// eth_config (EIP-7910) as geth answers it: the current, next and last timestamp fork, each with its
// activation time, blob schedule, chain id, EIP-2124 fork id, precompiles and system contracts.
import { crc32 } from 'node:zlib'
import type { BlockHeader } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { loadPreset, parseChainConfig, type BlobParams, type ChainConfigSpec } from '../../../config/index.ts'
import { MetaKey } from '../../db/keys.ts'
import { ServerError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import type { Json, JsonObject } from './format.ts'
import { checkArity, toQuantity } from './params.ts'

/** geth's fork enum from Paris on, in order (params/forks). */
const TIME_FORKS = ['paris', 'shanghai', 'cancun', 'prague', 'osaka', 'bpo1', 'bpo2', 'bpo3', 'bpo4', 'bpo5', 'amsterdam'] as const
type TimeFork = (typeof TIME_FORKS)[number]

/** geth's ChainConfig fork fields ending in "Block" (forkid gathers them by reflection). */
const BLOCK_FIELDS = [
  'homesteadBlock', 'daoForkBlock', 'eip150Block', 'eip155Block', 'eip158Block', 'byzantiumBlock', 'constantinopleBlock',
  'petersburgBlock', 'istanbulBlock', 'muirGlacierBlock', 'berlinBlock', 'londonBlock', 'arrowGlacierBlock',
  'grayGlacierBlock', 'mergeNetsplitBlock',
] as const

const addr = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`

function precompiles(fork: TimeFork): JsonObject {
  const i = TIME_FORKS.indexOf(fork)
  const p: JsonObject = {
    ECREC: addr(1), SHA256: addr(2), RIPEMD160: addr(3), ID: addr(4), MODEXP: addr(5),
    BN254_ADD: addr(6), BN254_MUL: addr(7), BN254_PAIRING: addr(8), BLAKE2F: addr(9),
  }
  if (i >= TIME_FORKS.indexOf('cancun')) p['KZG_POINT_EVALUATION'] = addr(0x0a)
  if (i >= TIME_FORKS.indexOf('prague')) {
    Object.assign(p, {
      BLS12_G1ADD: addr(0x0b), BLS12_G1MSM: addr(0x0c), BLS12_G2ADD: addr(0x0d), BLS12_G2MSM: addr(0x0e),
      BLS12_PAIRING_CHECK: addr(0x0f), BLS12_MAP_FP_TO_G1: addr(0x10), BLS12_MAP_FP2_TO_G2: addr(0x11),
    })
  }
  if (i >= TIME_FORKS.indexOf('osaka')) p['P256VERIFY'] = addr(0x100)
  return sortKeys(p)
}

function systemContracts(fork: TimeFork, config: ChainConfigSpec): JsonObject {
  const i = TIME_FORKS.indexOf(fork)
  const c: JsonObject = {}
  if (i >= TIME_FORKS.indexOf('prague')) {
    c['CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS'] = '0x0000bbddc7ce488642fb579f8b00f3a590007251'
    c['DEPOSIT_CONTRACT_ADDRESS'] = config.depositContractAddress !== undefined ? bytesToHex(config.depositContractAddress) : addr(0)
    c['HISTORY_STORAGE_ADDRESS'] = '0x0000f90827f1c53a10cb7a02335b175320002935'
    c['WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS'] = '0x00000961ef480eb55e80d19ad83579a64c007002'
  }
  if (i >= TIME_FORKS.indexOf('cancun')) c['BEACON_ROOTS_ADDRESS'] = '0x000f3df6d732807ef1319fb7b8bb8522d0beac02'
  return sortKeys(c)
}

function sortKeys(o: JsonObject): JsonObject {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]))
}

const forkTime = (config: ChainConfigSpec, fork: TimeFork): bigint | undefined =>
  fork === 'paris' ? undefined : config[`${fork}Time`]

/** geth's LatestFork(time): the last timestamp fork active at `time` (Paris when none). */
function latestFork(config: ChainConfigSpec, time: bigint): TimeFork {
  for (let i = TIME_FORKS.length - 1; i > 0; i--) {
    const t = forkTime(config, TIME_FORKS[i]!)
    if (t !== undefined && t <= time) return TIME_FORKS[i]!
  }
  return 'paris'
}

/** geth's BlobConfig(fork): the schedule of the nearest BPO, Prague or Cancun at or below `fork`. */
function blobConfig(config: ChainConfigSpec, fork: TimeFork): BlobParams | undefined {
  const i = TIME_FORKS.indexOf(fork)
  for (const f of ['bpo5', 'bpo4', 'bpo3', 'bpo2', 'bpo1', 'prague', 'cancun'] as const) {
    const p = config.blobSchedule[f]
    if (TIME_FORKS.indexOf(f) <= i && p !== undefined) return p
  }
  return undefined
}

const u64be = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, n)
  return b
}

/** EIP-2124 fork hash at (every block fork, timestamp `time`), as geth's forkid.NewID. */
export function forkHash(config: ChainConfigSpec, genesis: BlockHeader, time: bigint): string {
  const byBlock = [...new Set(BLOCK_FIELDS.map((f) => config[f]).filter((b): b is bigint => b !== undefined))].sort((a, b) => (a < b ? -1 : 1))
  const byTime = [...new Set(TIME_FORKS.map((f) => forkTime(config, f)).filter((t): t is bigint => t !== undefined))].sort((a, b) => (a < b ? -1 : 1))
  let hash = crc32(genesis.hash())
  for (const b of byBlock) if (b !== 0n) hash = crc32(u64be(b), hash)
  for (const t of byTime) if (t > genesis.timestamp && t <= time) hash = crc32(u64be(t), hash)
  return `0x${hash.toString(16).padStart(8, '0')}`
}

async function storedChainConfig(env: EthEnv): Promise<ChainConfigSpec> {
  const raw = await env.ctx.chain.store.getMeta(MetaKey.ChainConfig)
  if (raw === undefined) throw new ServerError('unable to load chain config')
  const json = JSON.parse(new TextDecoder().decode(raw)) as { parallaxPreset?: 'mainnet' | 'dev'; config?: unknown }
  if (json.parallaxPreset !== undefined) return loadPreset(json.parallaxPreset).config
  return parseChainConfig(json.config)
}

export function configMethods(env: EthEnv): Methods {
  let cached: ChainConfigSpec | undefined
  return {
    eth_config: async (params) => {
      checkArity(params, 0, 0)
      cached ??= await storedChainConfig(env)
      const config = cached
      const genesis = env.ctx.chain.genesis
      const assemble = (fork: TimeFork | undefined): Json => {
        if (fork === undefined) return null
        const t = forkTime(config, fork)
        if (t === undefined) return null
        const blob = blobConfig(config, fork)
        return {
          activationTime: Number(genesis.timestamp >= t ? 0n : t),
          blobSchedule: blob === undefined ? null : { target: Number(blob.target), max: Number(blob.max), baseFeeUpdateFraction: Number(blob.baseFeeUpdateFraction) },
          chainId: toQuantity(config.chainId),
          forkId: forkHash(config, genesis, t),
          precompiles: precompiles(fork),
          systemContracts: systemContracts(fork, config),
        }
      }
      const current = latestFork(config, env.reader.head.timestamp)
      const nextFork = TIME_FORKS[TIME_FORKS.indexOf(current) + 1]
      const next = assemble(nextFork)
      const last = next === null ? null : assemble(latestFork(config, (1n << 64n) - 1n))
      return { current: assemble(current), next, last }
    },
  }
}
