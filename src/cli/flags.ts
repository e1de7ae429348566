// Command-line flag definitions and their defaults, in one place. Global flags (accepted before or
// after the command name, geth style) and the `node` command's flags. To add a node flag: add its field
// to `NodeFlags` and `NODE_DEFAULTS`, its `Option` to `nodeOptions()`, and read it in `parseNodeFlags`.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import { UsageError } from '../util/errors.ts'
import { DEFAULT_LOG_FORMAT, DEFAULT_VERBOSITY, LOG_FORMATS, type LogFormat } from '../util/logger.ts'

// --- global flags -----------------------------------------------------------------------------------

export interface GlobalFlags {
  /** Absolute path of the data directory. */
  datadir: string
  /** 0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace. */
  verbosity: number
  logFormat: LogFormat
}

/** The per-user default data directory: `~/.parallax`. */
export function defaultDatadir(): string {
  return join(homedir(), '.parallax')
}

export const GLOBAL_DEFAULTS: Omit<GlobalFlags, 'datadir'> = {
  verbosity: DEFAULT_VERBOSITY,
  logFormat: DEFAULT_LOG_FORMAT,
}

export function globalOptions(): Option[] {
  return [
    new Option('--datadir <path>', 'data directory for the databases and keys').default(defaultDatadir()),
    new Option('--verbosity <level>', 'log level: 0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace')
      .argParser(intInRange(0, 5))
      .default(GLOBAL_DEFAULTS.verbosity),
    new Option('--log.format <format>', 'log format').choices([...LOG_FORMATS]).default(GLOBAL_DEFAULTS.logFormat),
  ]
}

/** Reads the global flags out of commander's merged option values (`optsWithGlobals()`). */
export function parseGlobalFlags(raw: Record<string, unknown>): GlobalFlags {
  const datadir = raw['datadir'] ?? defaultDatadir()
  if (typeof datadir !== 'string' || datadir === '') throw new UsageError('--datadir must be a non-empty path')
  const verbosity = raw['verbosity'] ?? GLOBAL_DEFAULTS.verbosity
  if (typeof verbosity !== 'number') throw new UsageError(`invalid --verbosity: ${String(verbosity)}`)
  const logFormat = raw['log.format'] ?? GLOBAL_DEFAULTS.logFormat
  if (!isLogFormat(logFormat)) throw new UsageError(`invalid --log.format: ${String(logFormat)}`)
  return { datadir: resolve(expandHome(datadir)), verbosity, logFormat }
}

// --- node flags -------------------------------------------------------------------------------------

export interface NodeFlags {
  /** Dev mode: dev genesis preset, built-in consensus driver, RPC on :8545. */
  dev: boolean
}

export const NODE_DEFAULTS: NodeFlags = {
  dev: false,
}

export function nodeOptions(): Option[] {
  return [new Option('--dev', 'dev mode: dev genesis, built-in consensus driver, RPC on :8545').default(NODE_DEFAULTS.dev)]
}

/** Reads the `node` command's own flags out of commander's option values. */
export function parseNodeFlags(raw: Record<string, unknown>): NodeFlags {
  const dev = raw['dev'] ?? NODE_DEFAULTS.dev
  if (typeof dev !== 'boolean') throw new UsageError(`invalid --dev: ${String(dev)}`)
  return { dev }
}

// --- value parsers (shared by later flags: ports, limits) -------------------------------------------

/** A commander argument parser accepting a decimal integer in [min, max]. */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer ${min}..${max}`)
    const n = Number(value.trim())
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer ${min}..${max}`)
    return n
  }
}

/** `~` and `~/x` → the home directory (shells leave `--datadir=~/x` unexpanded). */
export function expandHome(path: string): string {
  if (path === '~') return homedir()
  if (path.startsWith('~/')) return join(homedir(), path.slice(2))
  return path
}

function isLogFormat(v: unknown): v is LogFormat {
  return typeof v === 'string' && (LOG_FORMATS as readonly string[]).includes(v)
}
