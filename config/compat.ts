// Whether a new chain config may replace the stored one of a chain whose genesis block is the same,
// given the stored head (geth's ChainConfig.CheckCompatible, as `init` applies it), and what changed,
// field by field. Parallax never rewinds, so a change that would need a rewind is refused.
//
// The rules:
// - A fork (block or time) may be added, moved or removed only while neither its stored nor its new
//   activation is at or before the head: a fork the head is already in cannot change, and a fork
//   cannot be moved to or before the head (that would change the fork the head's blocks were
//   executed under). Forks are compared as resolved (petersburgBlock defaults to constantinopleBlock;
//   Paris from terminalTotalDifficulty / mergeNetsplitBlock), so a rewording that places every fork
//   where it was is no change.
// - A fork's blob parameters may change only while the fork is after the head.
// - chainId (not part of the genesis block hash): may change while the head is the genesis block
//   (no transaction has been accepted under it; geth's SetupGenesisBlock writes any config at
//   height 0) or while the head is before EIP-155. Once a block after genesis was accepted with
//   EIP-155 active, it is refused (geth's "EIP158 chain ID" check; geth skips it when the rewind
//   point would be block 0, which for EIP-155 at block 0 is always: Parallax does not follow that).
// - depositContractAddress (EIP-6110 requests): may change while no block after genesis is in Prague.
import { Hardfork } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { IncompatibleChainConfigError } from './errors.ts'
import { resolveForkSchedule, type ScheduledFork } from './forks.ts'
import type { ChainConfigSpec, GenesisSpec } from './spec.ts'

/** The stored head the new config is checked against. */
export interface HeadPoint {
  number: bigint
  timestamp: bigint
}

/** One changed field: `config.chainId`, `config.blobSchedule.osaka.max`; `null` = absent. */
export interface ConfigChange {
  field: string
  from: string | null
  to: string | null
}

function flatten(v: unknown, path: string, out: Map<string, string>): void {
  if (v === undefined) return
  if (v instanceof Uint8Array) out.set(path, bytesToHex(v))
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) flatten(x, `${path}.${k}`, out)
  else out.set(path, String(v))
}

/** Every field whose value differs between `from` and `to`, in the stored config's field order. */
export function chainConfigChanges(from: ChainConfigSpec, to: ChainConfigSpec): ConfigChange[] {
  const a = new Map<string, string>()
  const b = new Map<string, string>()
  flatten(from, 'config', a)
  flatten(to, 'config', b)
  const out: ConfigChange[] = []
  for (const field of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(field) ?? null
    const y = b.get(field) ?? null
    if (x !== y) out.push({ field, from: x, to: y })
  }
  return out
}

const activeAt = (f: ScheduledFork | undefined, head: HeadPoint): boolean =>
  f !== undefined && (f.block !== null ? f.block <= head.number : f.timestamp! <= head.timestamp)

const placement = (f: ScheduledFork | undefined): string =>
  f === undefined ? 'not scheduled' : f.block !== null ? `block ${f.block}` : `time ${f.timestamp}`

const sameBlobParams = (a: ScheduledFork | undefined, b: ScheduledFork | undefined): boolean =>
  a?.blob?.target === b?.blob?.target && a?.blob?.max === b?.blob?.max && a?.blob?.baseFeeUpdateFraction === b?.blob?.baseFeeUpdateFraction

/** Throws IncompatibleChainConfigError when `next` cannot replace `stored` on a chain at `head`. */
export function checkChainConfigCompatible(stored: GenesisSpec, next: GenesisSpec, head: HeadPoint): void {
  const before = new Map(resolveForkSchedule(stored.config, stored).map((f) => [f.hardfork, f]))
  const after = new Map(resolveForkSchedule(next.config, next).map((f) => [f.hardfork, f]))
  const headName = `block #${head.number}, time ${head.timestamp}`
  for (const hardfork of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(hardfork)
    const b = after.get(hardfork)
    const field = a?.field ?? b?.field ?? hardfork
    const moved = placement(a) !== placement(b)
    if (moved && (activeAt(a, head) || activeAt(b, head))) {
      const why = activeAt(a, head) ? 'the stored head is already in it' : 'that is at or before the stored head'
      throw new IncompatibleChainConfigError(field, head, `fork ${hardfork} (${field}) cannot move from ${placement(a)} to ${placement(b)}: ${why} (${headName})`)
    }
    if (!moved && a?.blob !== undefined && !sameBlobParams(a, b) && activeAt(a, head)) {
      const at = `config.blobSchedule.${hardfork}`
      throw new IncompatibleChainConfigError(at, head, `the blob parameters of fork ${hardfork} (${at}) cannot change: the stored head is already in it (${headName})`)
    }
  }
  const pastGenesis = head.number > 0n
  if (stored.config.chainId !== next.config.chainId && pastGenesis && activeAt(before.get(Hardfork.SpuriousDragon), head)) {
    throw new IncompatibleChainConfigError(
      'config.chainId',
      head,
      `config.chainId cannot change from ${stored.config.chainId} to ${next.config.chainId}: blocks up to the stored head (${headName}) were accepted with EIP-155 transactions for chain ${stored.config.chainId}`,
    )
  }
  const deposit = (s: GenesisSpec): string | undefined => (s.config.depositContractAddress === undefined ? undefined : bytesToHex(s.config.depositContractAddress))
  if (deposit(stored) !== deposit(next) && pastGenesis && activeAt(before.get(Hardfork.Prague), head)) {
    throw new IncompatibleChainConfigError('config.depositContractAddress', head, `config.depositContractAddress cannot change: blocks up to the stored head (${headName}) are in Prague and took deposits from it`)
  }
}
