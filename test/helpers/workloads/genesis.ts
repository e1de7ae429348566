// The chain workloads run on: the dev preset's config and system contracts (every fork through
// Prague at genesis, chainId 1337; optionally Osaka + Amsterdam at genesis too), a large gas limit,
// and the workload's alloc on top.
import type { Common } from '@ethereumjs/common'
import type { Address, PrefixedHexString } from '@ethereumjs/util'
import { paramsVM } from '@ethereumjs/vm'
import { commonFromGenesis, loadPreset } from '../../../config/index.ts'
import type { GenesisAccount, GenesisSpec } from '../../../config/index.ts'
import { parallaxCrypto } from '../../../src/exec/crypto.ts'

export type Alloc = Map<PrefixedHexString, GenesisAccount>

export interface ChainOptions {
  /** Amsterdam (EIP-7928 block access lists; with Osaka) active from genesis. Default false. */
  amsterdam?: boolean
  /** Genesis gas limit (blocks built on it keep it). Default 1,000,000,000. */
  gasLimit?: bigint
}

export const DEFAULT_BENCH_GAS_LIMIT = 1_000_000_000n
export const BENCH_CHAIN_ID = 1337n

/** A genesis spec: the dev preset with `alloc` merged in (alloc entries win). */
export function benchGenesis(alloc: Alloc, opts: ChainOptions = {}): GenesisSpec {
  const spec = loadPreset('dev')
  const config = { ...spec.config }
  if (opts.amsterdam === true) {
    config.osakaTime = 0n
    config.amsterdamTime = 0n
  }
  const merged: Alloc = new Map(spec.alloc)
  if (opts.amsterdam === true) for (const [k, v] of amsterdamSystemContracts()) merged.set(k, v)
  for (const [k, v] of alloc) merged.set(k, v)
  return { ...spec, config, gasLimit: opts.gasLimit ?? DEFAULT_BENCH_GAS_LIMIT, alloc: merged }
}

/**
 * @ethereumjs 10.1.3's Amsterdam includes EIP-8282 (glamsterdam-devnet builder deposit/exit request
 * contracts): block validation fails when they have no code, and the dev preset has none. Stand-ins
 * that return no data (STOP) give empty builder requests, as on a chain where nobody uses them.
 */
export function amsterdamSystemContracts(): Alloc {
  const p = paramsVM[8282] as Record<string, string | number | null>
  const out: Alloc = new Map()
  for (const key of ['builderDepositContractAddress', 'builderExitContractAddress']) {
    const address = String(p[key]).toLowerCase() as PrefixedHexString
    out.set(address, { balance: 0n, nonce: 1n, code: Uint8Array.of(0x00), storage: new Map() })
  }
  return out
}

/**
 * The Common transactions are signed for and blocks built with (native secp256k1 recovery). The
 * alloc does not matter to it, so generators can create it before their alloc exists.
 */
export function benchCommon(opts: ChainOptions = {}): Common {
  return commonFromGenesis(benchGenesis(new Map(), opts), parallaxCrypto())
}

/** Collects genesis accounts. */
export class AllocBuilder {
  readonly alloc: Alloc = new Map()

  private entry(address: Address): GenesisAccount {
    const k = address.toString()
    let acc = this.alloc.get(k)
    if (acc === undefined) {
      acc = { balance: 0n, nonce: 0n, code: new Uint8Array(), storage: new Map() }
      this.alloc.set(k, acc)
    }
    return acc
  }

  fund(address: Address, balance: bigint): this {
    this.entry(address).balance += balance
    return this
  }

  /** A contract (nonce 1, as deployed contracts have since EIP-161). */
  contract(address: Address, code: Uint8Array, balance = 0n): this {
    const acc = this.entry(address)
    acc.code = code
    acc.nonce = acc.nonce === 0n ? 1n : acc.nonce
    acc.balance += balance
    return this
  }

  account(address: Address, fields: Partial<GenesisAccount>): this {
    const acc = this.entry(address)
    if (fields.balance !== undefined) acc.balance = fields.balance
    if (fields.nonce !== undefined) acc.nonce = fields.nonce
    if (fields.code !== undefined) acc.code = fields.code
    if (fields.storage !== undefined) for (const [k, v] of fields.storage) acc.storage.set(k, v)
    return this
  }

  store(address: Address, slot: PrefixedHexString, value: bigint): this {
    const s = this.entry(address).storage
    s.set(slot, (s.get(slot) ?? 0n) + value)
    return this
  }
}
