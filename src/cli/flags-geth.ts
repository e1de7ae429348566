// The geth flags an operator copies from a geth command line that change what the node does: network
// id, builder gas-limit target and extra data, txpool limits, sync and GC modes, the HTTP server's
// CORS and virtual-host lists, the dev accounts, and a keystore's accounts. `flags.ts` adds these
// options to `node` and reads them into `NodeFlags.geth`.
import { InvalidArgumentError, Option } from 'commander'
import { DEFAULT_DEV_ACCOUNTS, DEFAULT_DEV_MNEMONIC } from '../node/dev-keys.ts'
import type { PoolLimits } from '../txpool/limits.ts'
import { UsageError } from '../util/errors.ts'

export interface TxPoolFlags {
  /** --txpool.pricelimit: minimum tip cap, wei. */
  priceLimit: bigint
  /** --txpool.accountslots: executable slots each account is guaranteed. */
  accountSlots: number
  /** --txpool.globalslots: executable transactions held, all accounts together. */
  globalSlots: number
  /** --txpool.accountqueue: non-executable transactions per account. */
  accountQueue: number
  /** --txpool.globalqueue: non-executable transactions, all accounts together. */
  globalQueue: number
  /** --txpool.lifetime: longest time a non-executable transaction stays queued (ms). */
  lifetimeMs: number
}

export interface GethFlags {
  /** --networkid (net_version); default the chain id. */
  networkId: bigint | undefined
  /** --miner.gaslimit: the gas limit the builder moves toward, by at most 1/1024 per block. */
  minerGasLimit: bigint
  /** --miner.extradata: the extra data of built blocks (≤ 32 bytes). */
  minerExtraData: Uint8Array
  txpool: TxPoolFlags
  /** --http.corsdomain: browser origins allowed to call --http (`*` any); empty: none. */
  httpCorsDomain: string[]
  /** --http.vhosts: Host header names accepted by --http (`*` any); IP addresses always pass. */
  httpVhosts: string[]
  /** --dev.accounts: unlocked, funded dev accounts. */
  devAccounts: number
  /** --dev.mnemonic: the BIP-39 words the dev accounts derive from. */
  devMnemonic: string
  /** --keystore: a folder of keystore (Web3 Secret Storage) files whose accounts eth_accounts lists. */
  keystore: string | undefined
  /** --password: a file whose first line unlocks every --keystore account at start. */
  password: string | undefined
}

/** geth's defaults (miner.gaslimit: geth 1.16's 60M, the dev chain's). */
export const GETH_DEFAULTS: GethFlags = {
  networkId: undefined,
  minerGasLimit: 60_000_000n,
  minerExtraData: new Uint8Array(),
  txpool: { priceLimit: 1n, accountSlots: 16, globalSlots: 5120, accountQueue: 64, globalQueue: 1024, lifetimeMs: 3 * 3_600_000 },
  httpCorsDomain: [],
  httpVhosts: ['localhost'],
  devAccounts: DEFAULT_DEV_ACCOUNTS,
  devMnemonic: DEFAULT_DEV_MNEMONIC,
  keystore: undefined,
  password: undefined,
}

export const SYNC_MODES = ['full', 'snap', 'light'] as const
export const GC_MODES = ['archive', 'full'] as const

export function gethOptions(parsers: { durationMs: (v: string) => number; intInRange: (min: number, max: number) => (v: string) => number }): Option[] {
  const d = GETH_DEFAULTS
  const t = d.txpool
  const count = parsers.intInRange(0, 10_000_000)
  return [
    new Option('--networkid <id>', 'network id answered by net_version (default: the chain id)').argParser(bigUint),
    new Option('--syncmode <mode>', 'sync mode; only full (execute every block) is supported').choices([...SYNC_MODES]).default('full'),
    new Option('--gcmode <mode>', 'state garbage collection; only archive (keep every state) is supported').choices([...GC_MODES]).default('archive'),
    new Option('--miner.gaslimit <gas>', 'gas limit the builder moves toward, by at most 1/1024 per block').argParser(bigUint).default(d.minerGasLimit, String(d.minerGasLimit)),
    new Option('--miner.extradata <text>', 'extra data of built blocks (at most 32 bytes)'),
    new Option('--txpool.pricelimit <wei>', 'minimum tip cap a transaction needs to enter the pool').argParser(bigUint).default(t.priceLimit, String(t.priceLimit)),
    new Option('--txpool.accountslots <n>', 'executable transactions each account is guaranteed').argParser(count).default(t.accountSlots),
    new Option('--txpool.globalslots <n>', 'executable transactions held, all accounts').argParser(count).default(t.globalSlots),
    new Option('--txpool.accountqueue <n>', 'non-executable transactions per account').argParser(count).default(t.accountQueue),
    new Option('--txpool.globalqueue <n>', 'non-executable transactions held, all accounts').argParser(count).default(t.globalQueue),
    new Option('--txpool.lifetime <duration>', 'longest time a non-executable transaction stays queued').argParser(parsers.durationMs).default(t.lifetimeMs, '3h0m0s'),
    new Option('--http.corsdomain <origins>', 'comma-separated browser origins allowed to call --http (* = any)'),
    new Option('--http.vhosts <hosts>', 'comma-separated Host names --http accepts (* = any; IP addresses always pass)').default(d.httpVhosts.join(',')),
    new Option('--dev.accounts <n>', 'number of unlocked, funded dev accounts').argParser(parsers.intInRange(1, 1000)).default(d.devAccounts),
    new Option('--dev.mnemonic <words>', 'BIP-39 mnemonic of the dev accounts (m/44\'/60\'/0\'/0/i)').default(d.devMnemonic, 'the public test mnemonic "test test … junk"'),
    new Option('--keystore <dir>', 'keystore files whose accounts eth_accounts lists (locked without --password)'),
    new Option('--password <file>', 'file whose first line unlocks every --keystore account at start'),
  ]
}

/** Reads the options of `gethOptions` out of commander's values; refuses the modes Parallax lacks. */
export function parseGethFlags(raw: Record<string, unknown>): GethFlags {
  const d = GETH_DEFAULTS
  const syncmode = raw['syncmode'] ?? 'full'
  if (syncmode !== 'full') throw new UsageError(`--syncmode ${String(syncmode)} is not supported: Parallax has only full sync (it executes every block from its parent state); use --syncmode full`)
  const gcmode = raw['gcmode'] ?? 'archive'
  if (gcmode !== 'archive') throw new UsageError(`--gcmode ${String(gcmode)} is not supported yet: Parallax keeps every block's state (it has no pruning); use --gcmode archive`)
  const extra = raw['miner.extradata']
  const extraData = typeof extra === 'string' ? new TextEncoder().encode(extra) : d.minerExtraData
  if (extraData.length > 32) throw new UsageError(`--miner.extradata is ${extraData.length} bytes: at most 32`)
  const networkId = raw['networkid']
  if (raw['password'] !== undefined && raw['keystore'] === undefined) throw new UsageError('--password unlocks --keystore accounts: give --keystore <dir> too')
  return {
    networkId: typeof networkId === 'bigint' ? networkId : undefined,
    minerGasLimit: big(raw, 'miner.gaslimit', d.minerGasLimit),
    minerExtraData: extraData,
    txpool: {
      priceLimit: big(raw, 'txpool.pricelimit', d.txpool.priceLimit),
      accountSlots: int(raw, 'txpool.accountslots', d.txpool.accountSlots),
      globalSlots: int(raw, 'txpool.globalslots', d.txpool.globalSlots),
      accountQueue: int(raw, 'txpool.accountqueue', d.txpool.accountQueue),
      globalQueue: int(raw, 'txpool.globalqueue', d.txpool.globalQueue),
      lifetimeMs: int(raw, 'txpool.lifetime', d.txpool.lifetimeMs),
    },
    httpCorsDomain: list(raw['http.corsdomain'], []),
    httpVhosts: list(raw['http.vhosts'], d.httpVhosts),
    devAccounts: int(raw, 'dev.accounts', d.devAccounts),
    devMnemonic: typeof raw['dev.mnemonic'] === 'string' && raw['dev.mnemonic'].trim() !== '' ? raw['dev.mnemonic'] : d.devMnemonic,
    keystore: typeof raw['keystore'] === 'string' ? raw['keystore'] : undefined,
    password: typeof raw['password'] === 'string' ? raw['password'] : undefined,
  }
}

function bigUint(value: string): bigint {
  const v = value.trim()
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(v)) throw new InvalidArgumentError('expected a non-negative integer')
  return BigInt(v)
}
function big(raw: Record<string, unknown>, key: string, fallback: bigint): bigint {
  const v = raw[key] ?? fallback
  if (typeof v !== 'bigint') throw new UsageError(`invalid --${key}: ${String(v)}`)
  return v
}
function int(raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key] ?? fallback
  if (typeof v !== 'number') throw new UsageError(`invalid --${key}: ${String(v)}`)
  return v
}
function list(v: unknown, fallback: string[]): string[] {
  if (typeof v !== 'string') return fallback
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/** The txpool flags as pool limits (pool capacity = globalslots + globalqueue, as geth's). */
export function txpoolLimits(t: TxPoolFlags): Partial<PoolLimits> {
  return {
    minTip: t.priceLimit,
    maxPending: t.globalSlots,
    minSlotsPerSender: t.accountSlots,
    maxQueued: t.globalQueue,
    maxQueuedPerSender: t.accountQueue,
    maxTotal: t.globalSlots + t.globalQueue,
    maxPerSender: Math.max(t.globalSlots, t.accountSlots) + t.accountQueue,
    queueLifetimeMs: t.lifetimeMs,
  }
}
