// geth genesis.json → GenesisSpec: every field validated, numbers as bigint, bytes as Uint8Array.
// Also the entry point for the rest of genesis handling (Common, state, block), re-exported below.
import { bytesToBigInt, bytesToHex } from '@ethereumjs/util'
import type { PrefixedHexString } from '@ethereumjs/util'
import { GenesisError } from './errors.ts'
import { BLOB_FORKS, BLOCK_FORK_FIELDS, TIME_FORK_FIELDS, resolveForkSchedule } from './forks.ts'
import type { BlobSchedule, ChainConfigSpec, GenesisAccount, GenesisSpec } from './spec.ts'
import {
  MAX_UINT64,
  asObject,
  describe,
  isAbsent,
  optionalQuantity,
  parseAddress,
  parseBool,
  parseBytes,
  parseQuantity,
  parseUint64,
  parseWord,
} from './values.ts'

export { GenesisError } from './errors.ts'
export type * from './spec.ts'
export { commonFromChainConfig, commonFromGenesis } from './common.ts'
export { genesisStateRoot, writeGenesisState } from './genesis-state.ts'
export { genesisBlock } from './genesis-block.ts'

/** blobSchedule keys geth knows but Parallax has no fork for; accepted and ignored. */
const IGNORED_BLOB_FORKS = new Set(['verkle'])

/** `config.blobSchedule`: fork name (any case) → {target, max, baseFeeUpdateFraction}. */
export function parseBlobSchedule(json: unknown, field = 'config.blobSchedule'): BlobSchedule {
  const out: BlobSchedule = {}
  if (isAbsent(json)) return out
  for (const [key, raw] of Object.entries(asObject(json, field))) {
    const name = key.toLowerCase()
    const at = `${field}.${key}`
    const fork = BLOB_FORKS.find((f) => f === name)
    if (fork === undefined) {
      if (IGNORED_BLOB_FORKS.has(name)) continue
      throw new GenesisError(at, `unknown fork (known: ${BLOB_FORKS.join(', ')})`)
    }
    const entry = asObject(raw, at)
    const target = parseUint64(entry['target'], `${at}.target`)
    const max = parseUint64(entry['max'], `${at}.max`)
    const baseFeeUpdateFraction = parseUint64(entry['baseFeeUpdateFraction'], `${at}.baseFeeUpdateFraction`)
    if (max === 0n || target > max) throw new GenesisError(at, `needs 0 < max and target <= max, got target ${target}, max ${max}`)
    if (baseFeeUpdateFraction === 0n) throw new GenesisError(`${at}.baseFeeUpdateFraction`, 'must not be 0')
    out[fork] = { target, max, baseFeeUpdateFraction }
  }
  return out
}

/** The `config` object of a genesis. Unknown keys (ethash, clique, eip150Hash, ...) are ignored. */
export function parseChainConfig(json: unknown, field = 'config'): ChainConfigSpec {
  const raw = asObject(json, field)
  if (isAbsent(raw['chainId'])) throw new GenesisError(`${field}.chainId`, 'missing')
  const config: ChainConfigSpec = {
    chainId: parseQuantity(raw['chainId'], `${field}.chainId`),
    blobSchedule: parseBlobSchedule(raw['blobSchedule'], `${field}.blobSchedule`),
  }
  if (config.chainId === 0n) throw new GenesisError(`${field}.chainId`, 'must not be 0')
  for (const key of [...BLOCK_FORK_FIELDS, ...TIME_FORK_FIELDS]) {
    const value = optionalQuantity(raw[key], `${field}.${key}`, MAX_UINT64)
    if (value !== undefined) config[key] = value
  }
  const ttd = optionalQuantity(raw['terminalTotalDifficulty'], `${field}.terminalTotalDifficulty`)
  if (ttd !== undefined) config.terminalTotalDifficulty = ttd
  if (!isAbsent(raw['terminalTotalDifficultyPassed'])) {
    config.terminalTotalDifficultyPassed = parseBool(raw['terminalTotalDifficultyPassed'], `${field}.terminalTotalDifficultyPassed`)
  }
  if (!isAbsent(raw['daoForkSupport'])) config.daoForkSupport = parseBool(raw['daoForkSupport'], `${field}.daoForkSupport`)
  if (!isAbsent(raw['depositContractAddress'])) {
    config.depositContractAddress = parseAddress(raw['depositContractAddress'], `${field}.depositContractAddress`)
  }
  return config
}

function parseAccount(json: unknown, field: string): GenesisAccount {
  const raw = asObject(json, field)
  if (isAbsent(raw['balance'])) throw new GenesisError(`${field}.balance`, 'missing')
  const storage = new Map<PrefixedHexString, bigint>()
  if (!isAbsent(raw['storage'])) {
    for (const [slot, value] of Object.entries(asObject(raw['storage'], `${field}.storage`))) {
      const at = `${field}.storage.${slot}`
      storage.set(bytesToHex(parseWord(slot, at)), bytesToBigInt(parseWord(value, at)))
    }
  }
  return {
    balance: parseQuantity(raw['balance'], `${field}.balance`),
    nonce: isAbsent(raw['nonce']) ? 0n : parseUint64(raw['nonce'], `${field}.nonce`),
    code: isAbsent(raw['code']) ? new Uint8Array() : parseBytes(raw['code'], `${field}.code`),
    storage,
  }
}

/** `alloc`: address (0x optional, any case) → account. Two spellings of one address are an error. */
export function parseAlloc(json: unknown, field = 'alloc'): Map<PrefixedHexString, GenesisAccount> {
  const out = new Map<PrefixedHexString, GenesisAccount>()
  for (const [key, value] of Object.entries(asObject(json, field))) {
    const address = bytesToHex(parseAddress(key, `${field}.${key}`))
    if (out.has(address)) throw new GenesisError(`${field}.${key}`, `duplicate of address ${address}`)
    out.set(address, parseAccount(value, `${field}.${key}`))
  }
  return out
}

function bytesOr(value: unknown, field: string, length: number): Uint8Array {
  return isAbsent(value) ? new Uint8Array(length) : parseBytes(value, field, length)
}

/**
 * Validates a geth-format genesis (already JSON-parsed) and returns its typed form.
 * Numbers may be hex strings, decimal strings or JSON numbers. Throws GenesisError naming the field.
 */
export function parseGenesis(json: unknown): GenesisSpec {
  const raw = asObject(json, 'genesis')
  if (isAbsent(raw['config'])) throw new GenesisError('config', 'missing')
  if (isAbsent(raw['gasLimit'])) throw new GenesisError('gasLimit', 'missing')
  if (isAbsent(raw['alloc'])) throw new GenesisError('alloc', 'missing')
  const spec: GenesisSpec = {
    config: parseChainConfig(raw['config']),
    nonce: isAbsent(raw['nonce']) ? 0n : parseUint64(raw['nonce'], 'nonce'),
    timestamp: isAbsent(raw['timestamp']) ? 0n : parseUint64(raw['timestamp'], 'timestamp'),
    extraData: isAbsent(raw['extraData']) ? new Uint8Array() : parseBytes(raw['extraData'], 'extraData'),
    gasLimit: parseUint64(raw['gasLimit'], 'gasLimit'),
    difficulty: isAbsent(raw['difficulty']) ? 0n : parseQuantity(raw['difficulty'], 'difficulty'),
    mixHash: bytesOr(raw['mixHash'], 'mixHash', 32),
    coinbase: bytesOr(raw['coinbase'], 'coinbase', 20),
    number: isAbsent(raw['number']) ? 0n : parseUint64(raw['number'], 'number'),
    gasUsed: isAbsent(raw['gasUsed']) ? 0n : parseUint64(raw['gasUsed'], 'gasUsed'),
    parentHash: bytesOr(raw['parentHash'], 'parentHash', 32),
    alloc: parseAlloc(raw['alloc']),
  }
  const baseFee = optionalQuantity(raw['baseFeePerGas'], 'baseFeePerGas')
  if (baseFee !== undefined) spec.baseFeePerGas = baseFee
  const excessBlobGas = optionalQuantity(raw['excessBlobGas'], 'excessBlobGas', MAX_UINT64)
  if (excessBlobGas !== undefined) spec.excessBlobGas = excessBlobGas
  const blobGasUsed = optionalQuantity(raw['blobGasUsed'], 'blobGasUsed', MAX_UINT64)
  if (blobGasUsed !== undefined) spec.blobGasUsed = blobGasUsed
  if (spec.gasUsed > spec.gasLimit) {
    throw new GenesisError('gasUsed', `${describe(spec.gasUsed)} exceeds gasLimit ${describe(spec.gasLimit)}`)
  }
  // fork order, merge placement and blob schedule problems surface here rather than at node start
  resolveForkSchedule(spec.config, spec)
  return spec
}
