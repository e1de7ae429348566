// The fork table: geth's genesis fork fields in activation order, and the resolution of a chain
// config into the ordered hardfork schedule (with blob parameters) that a Common is built from.
import { Hardfork } from '@ethereumjs/common'
import { GenesisError } from './errors.ts'
import type { BlobForkName, BlobParams, BlockForkField, ChainConfigSpec, TimeForkField } from './spec.ts'

export const BLOCK_FORK_FIELDS: readonly BlockForkField[] = [
  'homesteadBlock', 'daoForkBlock', 'eip150Block', 'eip155Block', 'eip158Block', 'byzantiumBlock',
  'constantinopleBlock', 'petersburgBlock', 'istanbulBlock', 'muirGlacierBlock', 'berlinBlock',
  'londonBlock', 'arrowGlacierBlock', 'grayGlacierBlock', 'mergeForkBlock', 'mergeNetsplitBlock',
]

export const TIME_FORK_FIELDS: readonly TimeForkField[] = [
  'shanghaiTime', 'cancunTime', 'pragueTime', 'osakaTime',
  'bpo1Time', 'bpo2Time', 'bpo3Time', 'bpo4Time', 'bpo5Time', 'amsterdamTime',
]

export const BLOB_FORKS: readonly BlobForkName[] = [
  'cancun', 'prague', 'osaka', 'bpo1', 'bpo2', 'bpo3', 'bpo4', 'bpo5', 'amsterdam',
]

/** EIP-4844 and EIP-7691 values, used when a genesis has no blobSchedule entry for these forks. */
export const DEFAULT_BLOB_PARAMS: Readonly<Partial<Record<BlobForkName, BlobParams>>> = {
  cancun: { target: 3n, max: 6n, baseFeeUpdateFraction: 3338477n },
  prague: { target: 6n, max: 9n, baseFeeUpdateFraction: 5007716n },
}

/** Blob gas per blob (EIP-4844); unchanged by every fork so far. */
export const GAS_PER_BLOB = 131072n

/** One scheduled hardfork: by block number (`timestamp` null) or by timestamp (`block` null). */
export interface ScheduledFork {
  hardfork: Hardfork
  block: bigint | null
  timestamp: bigint | null
  /** Set on blob forks (Cancun onwards): the schedule in force from this fork. */
  blob?: BlobParams
  /** The genesis field that places it (`config.osakaTime`); absent for Chainstart. */
  field?: string
}

/** The genesis header values that fork placement depends on. */
export interface GenesisPoint {
  number: bigint
  timestamp: bigint
  difficulty: bigint
}

interface Step {
  hardfork: Hardfork
  field: string
  optional: boolean
  block?: bigint
  time?: bigint
}

function mergeBlock(config: ChainConfigSpec, genesis: GenesisPoint): { field: string; block?: bigint } {
  if (config.mergeForkBlock !== undefined) return { field: 'config.mergeForkBlock', block: config.mergeForkBlock }
  const field = 'config.terminalTotalDifficulty'
  const ttd = config.terminalTotalDifficulty
  if (ttd !== undefined && ttd <= genesis.difficulty) return { field, block: genesis.number }
  if (config.mergeNetsplitBlock !== undefined && (ttd !== undefined || config.terminalTotalDifficultyPassed === true)) {
    return { field, block: config.mergeNetsplitBlock }
  }
  if (config.terminalTotalDifficultyPassed === true) return { field, block: genesis.number }
  return { field }
}

function steps(config: ChainConfigSpec, genesis: GenesisPoint): Step[] {
  if (config.eip155Block !== config.eip158Block) {
    throw new GenesisError('config.eip158Block', 'must equal config.eip155Block (both activate as Spurious Dragon)')
  }
  const merge = mergeBlock(config, genesis)
  const b = (hardfork: Hardfork, field: BlockForkField, optional = false, block = config[field]): Step => ({
    hardfork, field: `config.${field}`, optional, block,
  })
  const t = (hardfork: Hardfork, field: TimeForkField, optional = false): Step => ({
    hardfork, field: `config.${field}`, optional, time: config[field],
  })
  return [
    b(Hardfork.Homestead, 'homesteadBlock'),
    b(Hardfork.Dao, 'daoForkBlock', true, config.daoForkSupport === true ? config.daoForkBlock : undefined),
    b(Hardfork.TangerineWhistle, 'eip150Block'),
    b(Hardfork.SpuriousDragon, 'eip155Block'),
    b(Hardfork.Byzantium, 'byzantiumBlock'),
    b(Hardfork.Constantinople, 'constantinopleBlock'),
    // geth treats an absent petersburgBlock as "with Constantinople"
    b(Hardfork.Petersburg, 'petersburgBlock', false, config.petersburgBlock ?? config.constantinopleBlock),
    b(Hardfork.Istanbul, 'istanbulBlock'),
    b(Hardfork.MuirGlacier, 'muirGlacierBlock', true),
    b(Hardfork.Berlin, 'berlinBlock'),
    b(Hardfork.London, 'londonBlock'),
    b(Hardfork.ArrowGlacier, 'arrowGlacierBlock', true),
    b(Hardfork.GrayGlacier, 'grayGlacierBlock', true),
    b(Hardfork.MergeNetsplitBlock, 'mergeNetsplitBlock', true),
    { hardfork: Hardfork.Paris, field: merge.field, optional: false, block: merge.block },
    t(Hardfork.Shanghai, 'shanghaiTime'),
    t(Hardfork.Cancun, 'cancunTime'),
    t(Hardfork.Prague, 'pragueTime'),
    t(Hardfork.Osaka, 'osakaTime'),
    t(Hardfork.Bpo1, 'bpo1Time', true),
    t(Hardfork.Bpo2, 'bpo2Time', true),
    t(Hardfork.Bpo3, 'bpo3Time', true),
    t(Hardfork.Bpo4, 'bpo4Time', true),
    t(Hardfork.Bpo5, 'bpo5Time', true),
    t(Hardfork.Amsterdam, 'amsterdamTime'),
  ]
}

/** geth's CheckConfigForkOrder: no gaps in required forks, blocks and times never go backwards. */
function checkOrder(all: Step[]): void {
  let last: Step | undefined
  for (const cur of all) {
    const set = cur.block !== undefined || cur.time !== undefined
    if (last !== undefined && set) {
      if (last.block === undefined && last.time === undefined) {
        const what = last.hardfork === Hardfork.Paris ? 'the merge (terminalTotalDifficulty / mergeNetsplitBlock)' : last.field
        throw new GenesisError(cur.field, `is set, but ${what} is not`)
      }
      if (last.block !== undefined && cur.block !== undefined && last.block > cur.block) {
        throw new GenesisError(cur.field, `block ${cur.block} is before ${last.field} (${last.block})`)
      }
      if (last.time !== undefined && cur.time !== undefined && last.time > cur.time) {
        throw new GenesisError(cur.field, `time ${cur.time} is before ${last.field} (${last.time})`)
      }
      if (last.time !== undefined && cur.block !== undefined) {
        throw new GenesisError(cur.field, `a block fork cannot follow the timestamp fork ${last.field}`)
      }
    }
    if (!cur.optional || set) last = cur
  }
}

function blobParamsFor(fork: BlobForkName, config: ChainConfigSpec, previous: BlobParams | undefined): BlobParams {
  const given = config.blobSchedule[fork] ?? DEFAULT_BLOB_PARAMS[fork]
  if (given !== undefined) return given
  if (fork.startsWith('bpo')) {
    throw new GenesisError(`config.blobSchedule.${fork}`, `missing: ${fork} is scheduled and exists only to change blob parameters`)
  }
  if (previous === undefined) throw new GenesisError(`config.blobSchedule.${fork}`, 'missing')
  return previous
}

/**
 * Orders the scheduled forks of `config` (Chainstart first) and attaches blob parameters.
 * Throws GenesisError for geth-invalid orderings, for Shanghai+ without a placeable merge, for
 * eip155Block ≠ eip158Block and for a scheduled BPO fork without a blobSchedule entry.
 */
export function resolveForkSchedule(config: ChainConfigSpec, genesis: GenesisPoint): ScheduledFork[] {
  const all = steps(config, genesis)
  // geth has no Paris entry (it merges by total difficulty): order the others as geth does, then
  // check that Paris comes after every pre-merge fork and before every timestamp fork
  const paris = all.find((s) => s.hardfork === Hardfork.Paris)!
  checkOrder(all.filter((s) => s !== paris))
  checkOrder(all.filter((s) => s.hardfork !== Hardfork.MergeNetsplitBlock))
  const out: ScheduledFork[] = [{ hardfork: Hardfork.Chainstart, block: 0n, timestamp: null }]
  let blob: BlobParams | undefined
  for (const s of all) {
    if (s.block === undefined && s.time === undefined) continue
    const fork: ScheduledFork = { hardfork: s.hardfork, block: s.block ?? null, timestamp: s.time ?? null, field: s.field }
    const blobFork = BLOB_FORKS.find((f) => f === s.hardfork)
    if (blobFork !== undefined) {
      blob = blobParamsFor(blobFork, config, blob)
      fork.blob = blob
    }
    out.push(fork)
  }
  // block forks by block (stable: at one block, Paris stays last), then timestamp forks in order
  const byBlock = out.filter((f) => f.timestamp === null).sort((a, b) => (a.block! < b.block! ? -1 : a.block! > b.block! ? 1 : 0))
  return [...byBlock, ...out.filter((f) => f.timestamp !== null)]
}
