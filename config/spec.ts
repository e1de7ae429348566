// The parsed, typed form of a geth genesis.json: numbers are bigint, bytes are Uint8Array.
import type { PrefixedHexString } from '@ethereumjs/util'

/** Blob parameters of one fork (EIP-7840 `blobSchedule` entry); counts are blobs per block. */
export interface BlobParams {
  target: bigint
  max: bigint
  baseFeeUpdateFraction: bigint
}

/** Forks that carry a blob schedule, by their lower-case name. */
export type BlobForkName =
  | 'cancun'
  | 'prague'
  | 'osaka'
  | 'bpo1'
  | 'bpo2'
  | 'bpo3'
  | 'bpo4'
  | 'bpo5'
  | 'amsterdam'

export type BlobSchedule = Partial<Record<BlobForkName, BlobParams>>

/** geth's block-number fork fields (plus `mergeForkBlock`, which geth lacks; see ChainConfigSpec). */
export type BlockForkField =
  | 'homesteadBlock'
  | 'daoForkBlock'
  | 'eip150Block'
  | 'eip155Block'
  | 'eip158Block'
  | 'byzantiumBlock'
  | 'constantinopleBlock'
  | 'petersburgBlock'
  | 'istanbulBlock'
  | 'muirGlacierBlock'
  | 'berlinBlock'
  | 'londonBlock'
  | 'arrowGlacierBlock'
  | 'grayGlacierBlock'
  | 'mergeForkBlock'
  | 'mergeNetsplitBlock'

/** geth's timestamp fork fields. */
export type TimeForkField =
  | 'shanghaiTime'
  | 'cancunTime'
  | 'pragueTime'
  | 'osakaTime'
  | 'bpo1Time'
  | 'bpo2Time'
  | 'bpo3Time'
  | 'bpo4Time'
  | 'bpo5Time'
  | 'amsterdamTime'

/**
 * The `config` object of a genesis. An absent fork field means the fork is not scheduled.
 * `mergeForkBlock` is not a geth field (geth merges by total difficulty); it pins the Paris block
 * where it is known (mainnet: 15537394). Without it, Paris sits at genesis when
 * `terminalTotalDifficulty` is reached at genesis, else at `mergeNetsplitBlock` (hive's convention).
 */
export type ChainConfigSpec = {
  chainId: bigint
  daoForkSupport?: boolean
  terminalTotalDifficulty?: bigint
  terminalTotalDifficultyPassed?: boolean
  /** Entries present in the genesis, by lower-case fork name. */
  blobSchedule: BlobSchedule
  depositContractAddress?: Uint8Array
} & { [F in BlockForkField]?: bigint } & { [F in TimeForkField]?: bigint }

export interface GenesisAccount {
  balance: bigint
  nonce: bigint
  code: Uint8Array
  /** Slot (32-byte, lower-case 0x hex) → value. Zero values are kept here but never reach the trie. */
  storage: Map<PrefixedHexString, bigint>
}

/** A parsed genesis.json. Header fields that geth leaves optional are `undefined` when absent. */
export interface GenesisSpec {
  config: ChainConfigSpec
  nonce: bigint
  timestamp: bigint
  extraData: Uint8Array
  gasLimit: bigint
  difficulty: bigint
  mixHash: Uint8Array
  coinbase: Uint8Array
  number: bigint
  gasUsed: bigint
  parentHash: Uint8Array
  baseFeePerGas?: bigint
  excessBlobGas?: bigint
  blobGasUsed?: bigint
  /** Lower-case 0x address → account, in file order. */
  alloc: Map<PrefixedHexString, GenesisAccount>
}
