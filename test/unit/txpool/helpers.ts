// Shared setup of the txpool tests: dev-preset Commons, its prefunded keys, a fake head state, signing.
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createBlob4844Tx, createTx } from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util'
import type { PrefixedHexString } from '@ethereumjs/util'
import { commonFromGenesis, loadPreset } from '../../../config/index.ts'
import type { GenesisSpec } from '../../../config/index.ts'
import { parallaxCryptoWithKzg } from '../../../src/exec/crypto.ts'
import { TxPool, TxPoolError } from '../../../src/txpool/index.ts'
import type { PoolLimits, PoolState, TxPoolReason } from '../../../src/txpool/index.ts'
import { createLogger } from '../../../src/util/logger.ts'

export const GWEI = 1_000_000_000n
export const ETH = 10n ** 18n

/** Dev preset accounts 0..3 (config/presets/dev-accounts.md). */
export const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
].map((k) => hexToBytes(k as PrefixedHexString))
export const ADDRS = KEYS.map((k) => createAddressFromPrivateKey(k))
export const TO = '0x000000000000000000000000000000000000beef'

const devSpec = loadPreset('dev')

/** The dev preset (Prague at genesis) with fork times changed. */
export function devCommon(forks: Partial<Pick<GenesisSpec['config'], 'cancunTime' | 'pragueTime' | 'osakaTime'>> = {}): Common {
  const spec: GenesisSpec = { ...devSpec, config: { ...devSpec.config, ...forks } }
  return commonFromGenesis(spec, parallaxCryptoWithKzg())
}

export const common = devCommon()

export class FakeState implements PoolState {
  number = 1n
  timestamp = 12n
  base = 7n
  blobBase = 1n
  limit = 30_000_000n
  readonly accounts = new Map<string, { nonce: bigint; balance: bigint }>()
  reads = 0

  constructor() {
    for (const a of ADDRS) this.accounts.set(a.toString(), { nonce: 0n, balance: 10_000n * ETH })
  }
  headNumber(): bigint {
    return this.number
  }
  headTimestamp(): bigint {
    return this.timestamp
  }
  baseFee(): bigint {
    return this.base
  }
  blobBaseFee(): bigint {
    return this.blobBase
  }
  gasLimit(): bigint {
    return this.limit
  }
  async getAccount(address: Uint8Array): Promise<{ nonce: bigint; balance: bigint } | undefined> {
    this.reads++
    const a = this.accounts.get(bytesToHex(address))
    return a === undefined ? undefined : { ...a }
  }
  set(i: number, fields: Partial<{ nonce: bigint; balance: bigint }>): void {
    const key = ADDRS[i]!.toString()
    this.accounts.set(key, { ...this.accounts.get(key)!, ...fields })
  }
}

export function makePool(opts: { limits?: Partial<PoolLimits>; common?: Common; state?: FakeState; onAdd?: (tx: TypedTransaction) => void } = {}): {
  pool: TxPool
  state: FakeState
} {
  const state = opts.state ?? new FakeState()
  const pool = new TxPool({
    common: opts.common ?? common,
    state,
    logger: createLogger({ verbosity: 0 }),
    ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
    ...(opts.onAdd !== undefined ? { onAdd: opts.onAdd } : {}),
  })
  return { pool, state }
}

export interface TxOpts {
  key?: number
  nonce?: bigint
  type?: 0 | 1 | 2 | 4
  fee?: bigint
  tip?: bigint
  gas?: bigint
  value?: bigint
  data?: Uint8Array
  to?: string | null
  common?: Common
  authorizationList?: unknown[]
}

/** A signed transaction from dev account `key` (default: EIP-1559, 100 gwei cap, 2 gwei tip). */
export function signedTx(o: TxOpts = {}): TypedTransaction {
  const type = o.type ?? 2
  const fees = type < 2 ? { gasPrice: o.fee ?? 100n * GWEI } : { maxFeePerGas: o.fee ?? 100n * GWEI, maxPriorityFeePerGas: o.tip ?? 2n * GWEI }
  const data = {
    type,
    nonce: o.nonce ?? 0n,
    gasLimit: o.gas ?? 21000n,
    value: o.value ?? 1n,
    data: o.data ?? new Uint8Array(),
    ...(o.to === null ? {} : { to: o.to ?? TO }),
    ...fees,
    ...(type === 4 ? { authorizationList: o.authorizationList ?? [] } : {}),
  }
  return createTx(data as Parameters<typeof createTx>[0], { common: o.common ?? common, allowUnlimitedInitCodeSize: true }).sign(KEYS[o.key ?? 0]!)
}

export const raw = (tx: TypedTransaction): Uint8Array => tx.serialize()

/** A blob of 4096 field elements, all below the BLS modulus (first byte of each element zero). */
export function makeBlob(seed: number): PrefixedHexString {
  const blob = new Uint8Array(131072)
  for (let i = 0; i < 4096; i++) {
    blob[i * 32 + 30] = (i * 7 + seed) & 0xff
    blob[i * 32 + 31] = (i + seed * 13) & 0xff
  }
  return bytesToHex(blob)
}

/** A signed blob transaction in network form (the Common's fork picks the sidecar version). */
export function blobTx(o: { key?: number; nonce?: bigint; blobs: PrefixedHexString[]; blobFee?: bigint; fee?: bigint; tip?: bigint; common?: Common }): TypedTransaction {
  return createBlob4844Tx(
    {
      nonce: o.nonce ?? 0n,
      gasLimit: 21000n,
      maxFeePerGas: o.fee ?? 100n * GWEI,
      maxPriorityFeePerGas: o.tip ?? 2n * GWEI,
      maxFeePerBlobGas: o.blobFee ?? 10n,
      to: TO,
      blobs: o.blobs,
    },
    { common: o.common ?? common },
  ).sign(KEYS[o.key ?? 0]!)
}

/** Re-encodes a typed transaction with some of its signed fields replaced (signature left as is). */
export function tamper(tx: TypedTransaction, edit: (fields: Uint8Array[] | unknown[]) => void): Uint8Array {
  const bytes = tx.serialize()
  const fields = RLP.decode(bytes.subarray(1)) as unknown[]
  edit(fields)
  return new Uint8Array([bytes[0]!, ...RLP.encode(fields as Uint8Array[])])
}

export interface Rejection {
  reason: TxPoolReason
  message: string
}

/** Awaits `p` and returns the TxPoolError's reason and message; throws if it did not reject so. */
export async function rejection(p: Promise<unknown>): Promise<Rejection> {
  try {
    await p
  } catch (err) {
    if (err instanceof TxPoolError) return { reason: err.reason, message: err.message }
    throw err
  }
  throw new Error('the pool accepted the transaction')
}
