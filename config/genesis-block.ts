// The genesis block: header fields from the spec plus the fork-dependent fields a geth genesis
// block carries (base fee, withdrawals root, blob gas, beacon root, requests hash, BAL hash).
import { createBlock } from '@ethereumjs/block'
import type { Block, HeaderData } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { KECCAK256_RLP, KECCAK256_RLP_ARRAY, SHA256_NULL, bigIntToUnpaddedBytes, setLengthLeft } from '@ethereumjs/util'
import type { GenesisSpec } from './spec.ts'

/** geth's initial base fee for a genesis with London active and no baseFeePerGas (EIP-1559). */
export const DEFAULT_GENESIS_BASE_FEE = 1_000_000_000n

/** keccak256(rlp([])): the hash of an empty block access list (EIP-7928). */
const EMPTY_BLOCK_ACCESS_LIST_HASH = KECCAK256_RLP_ARRAY

/**
 * The genesis block for `spec` under `common` (not modified: a copy is set to the genesis fork).
 * Its hash is the chain's genesis hash; `stateRoot` comes from writeGenesisState.
 */
export function genesisBlock(spec: GenesisSpec, common: Common, stateRoot: Uint8Array): Block {
  const c = common.copy()
  c.setHardforkBy({ blockNumber: spec.number, timestamp: spec.timestamp })
  const on = (eip: number): boolean => c.isActivatedEIP(eip)
  const header: HeaderData = {
    parentHash: spec.parentHash,
    coinbase: spec.coinbase,
    stateRoot,
    difficulty: spec.difficulty,
    number: spec.number,
    gasLimit: spec.gasLimit,
    gasUsed: spec.gasUsed,
    timestamp: spec.timestamp,
    extraData: spec.extraData,
    mixHash: spec.mixHash,
    nonce: setLengthLeft(bigIntToUnpaddedBytes(spec.nonce), 8),
  }
  if (on(1559)) header.baseFeePerGas = spec.baseFeePerGas ?? DEFAULT_GENESIS_BASE_FEE
  if (on(4895)) header.withdrawalsRoot = KECCAK256_RLP
  if (on(4844)) {
    header.blobGasUsed = spec.blobGasUsed ?? 0n
    header.excessBlobGas = spec.excessBlobGas ?? 0n
  }
  if (on(4788)) header.parentBeaconBlockRoot = new Uint8Array(32)
  if (on(7685)) header.requestsHash = SHA256_NULL
  if (on(7928)) header.blockAccessListHash = EMPTY_BLOCK_ACCESS_LIST_HASH
  if (on(7843)) header.slotNumber = 0n
  return createBlock({ header, ...(on(4895) ? { withdrawals: [] } : {}) }, { common: c })
}
