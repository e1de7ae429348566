// GenesisSpec → geth genesis.json (the inverse of parseGenesis), e.g. to hand a fixture's genesis to
// `parallax init` as a file. parseGenesis(genesisToJson(spec)) gives back an equal spec.
import { bytesToHex } from '@ethereumjs/util'
import { BLOCK_FORK_FIELDS, TIME_FORK_FIELDS } from './forks.ts'
import type { GenesisSpec } from './spec.ts'

const q = (n: bigint): string => `0x${n.toString(16)}`

export function genesisToJson(spec: GenesisSpec): Record<string, unknown> {
  const c = spec.config
  const config: Record<string, unknown> = { chainId: c.chainId.toString() }
  for (const f of [...BLOCK_FORK_FIELDS, ...TIME_FORK_FIELDS]) {
    const v = c[f]
    if (v !== undefined) config[f] = Number(v) <= Number.MAX_SAFE_INTEGER ? Number(v) : v.toString()
  }
  if (c.terminalTotalDifficulty !== undefined) config['terminalTotalDifficulty'] = c.terminalTotalDifficulty.toString()
  if (c.terminalTotalDifficultyPassed !== undefined) config['terminalTotalDifficultyPassed'] = c.terminalTotalDifficultyPassed
  if (c.daoForkSupport !== undefined) config['daoForkSupport'] = c.daoForkSupport
  if (c.depositContractAddress !== undefined) config['depositContractAddress'] = bytesToHex(c.depositContractAddress)
  const blob: Record<string, unknown> = {}
  for (const [fork, p] of Object.entries(c.blobSchedule)) {
    if (p !== undefined) blob[fork] = { target: Number(p.target), max: Number(p.max), baseFeeUpdateFraction: Number(p.baseFeeUpdateFraction) }
  }
  config['blobSchedule'] = blob
  const alloc: Record<string, unknown> = {}
  for (const [addr, acc] of spec.alloc) {
    const storage: Record<string, string> = {}
    for (const [slot, v] of acc.storage) storage[slot] = `0x${v.toString(16).padStart(64, '0')}`
    alloc[addr] = { balance: q(acc.balance), nonce: q(acc.nonce), code: bytesToHex(acc.code), storage }
  }
  const out: Record<string, unknown> = {
    config,
    nonce: q(spec.nonce),
    timestamp: q(spec.timestamp),
    extraData: bytesToHex(spec.extraData),
    gasLimit: q(spec.gasLimit),
    difficulty: q(spec.difficulty),
    mixHash: bytesToHex(spec.mixHash),
    coinbase: bytesToHex(spec.coinbase),
    number: q(spec.number),
    gasUsed: q(spec.gasUsed),
    parentHash: bytesToHex(spec.parentHash),
    alloc,
  }
  if (spec.baseFeePerGas !== undefined) out['baseFeePerGas'] = q(spec.baseFeePerGas)
  if (spec.excessBlobGas !== undefined) out['excessBlobGas'] = q(spec.excessBlobGas)
  if (spec.blobGasUsed !== undefined) out['blobGasUsed'] = q(spec.blobGasUsed)
  return out
}
