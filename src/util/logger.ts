// The process-wide logger: pino underneath, geth's knobs on top. `--verbosity 0..5` picks the level
// (0 silent, 1 error, 2 warn, 3 info, 4 debug, 5 trace); `--log.format json|terminal` picks the line
// format. Every log call is a fixed message plus a context object: `logger.info({number, hash}, 'Imported
// new block')`. Writes are synchronous (stderr by default, like geth), so no line is lost at exit.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino'

export type Logger = PinoLogger
export type LogFormat = 'json' | 'terminal'

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'terminal']
export const DEFAULT_VERBOSITY = 3
export const DEFAULT_LOG_FORMAT: LogFormat = 'terminal'

export interface LoggerOptions {
  /** 0 silent, 1 error, 2 warn, 3 info (default), 4 debug, 5 trace. */
  verbosity?: number
  /** 'terminal' (default): geth-style human lines; 'json': one JSON object per line. */
  format?: LogFormat
  /** A stream, or a file descriptor written synchronously. Default: 2 (stderr). */
  destination?: NodeJS.WritableStream | number
}

const LEVEL_BY_VERBOSITY = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const

/** The pino level name for a geth verbosity (clamped to 0..5). */
export function levelForVerbosity(verbosity: number): (typeof LEVEL_BY_VERBOSITY)[number] {
  const v = Math.max(0, Math.min(5, Math.trunc(Number.isFinite(verbosity) ? verbosity : DEFAULT_VERBOSITY)))
  return LEVEL_BY_VERBOSITY[v] ?? 'info'
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = opts.format ?? DEFAULT_LOG_FORMAT
  const sink = toSink(opts.destination ?? 2)
  const stream: DestinationStream = format === 'terminal' ? new TerminalStream(sink, isColorTerminal(opts.destination ?? 2)) : sink
  return pino(
    {
      level: levelForVerbosity(opts.verbosity ?? DEFAULT_VERBOSITY),
      base: undefined,
      timestamp: format === 'json' ? pino.stdTimeFunctions.isoTime : pino.stdTimeFunctions.epochTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => plainValues(bindings),
        log: (obj) => plainValues(obj),
      },
    },
    stream,
  )
}

// --- sinks ------------------------------------------------------------------------------------------

interface Sink {
  write(line: string): void
}

function toSink(destination: NodeJS.WritableStream | number): Sink & DestinationStream {
  if (typeof destination === 'number') {
    // sonic-boom in sync mode: writeSync with EAGAIN retries.
    const boom = pino.destination({ dest: destination, sync: true })
    return { write: (line: string) => void boom.write(line) }
  }
  return { write: (line: string) => void destination.write(line) }
}

function isColorTerminal(destination: NodeJS.WritableStream | number): boolean {
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false
  if (typeof destination === 'number') return destination === 2 ? process.stderr.isTTY === true : destination === 1 && process.stdout.isTTY === true
  return (destination as { isTTY?: boolean }).isTTY === true
}

// --- values -----------------------------------------------------------------------------------------

/** bigint → decimal string, Uint8Array → 0x hex, recursively; so JSON stays exact and readable. */
function plainValues(obj: Record<string, unknown> | undefined): Record<string, unknown> {
  if (obj === undefined || obj === null) return {}
  let out: Record<string, unknown> | undefined
  for (const [k, v] of Object.entries(obj)) {
    const p = plainValue(v, 0)
    if (p !== v) {
      out ??= { ...obj }
      out[k] = p
    }
  }
  return out ?? obj
}

function plainValue(v: unknown, depth: number): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (depth < 4 && Array.isArray(v)) {
    const mapped = v.map((x) => plainValue(x, depth + 1))
    return mapped.some((x, i) => x !== v[i]) ? mapped : v
  }
  return v
}

// --- terminal format --------------------------------------------------------------------------------

const MESSAGE_WIDTH = 40
const LEVEL_TEXT: Record<string, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'CRIT ',
}
const LEVEL_COLOR: Record<string, number> = { trace: 34, debug: 36, info: 32, warn: 33, error: 31, fatal: 35 }

/** Turns pino's JSON lines into `INFO [11-24|17:16:12.345] Message        key=value ...`. */
class TerminalStream implements DestinationStream {
  constructor(
    private readonly sink: Sink,
    private readonly color: boolean,
  ) {}

  write(line: string): void {
    let rec: Record<string, unknown>
    try {
      rec = JSON.parse(line) as Record<string, unknown>
    } catch {
      this.sink.write(line)
      return
    }
    this.sink.write(formatTerminalLine(rec, this.color) + '\n')
  }
}

/** Formats one pino record (already parsed) as a geth-style terminal line, without the newline. */
export function formatTerminalLine(rec: Record<string, unknown>, color = false): string {
  const { level, time, msg, ...ctx } = rec
  const label = typeof level === 'string' ? level : 'info'
  let lvl = LEVEL_TEXT[label] ?? label.toUpperCase().padEnd(5).slice(0, 5)
  if (color) lvl = `\x1b[${LEVEL_COLOR[label] ?? 0}m${lvl}\x1b[0m`
  const message = typeof msg === 'string' ? msg : ''
  const pairs = Object.entries(ctx)
    .map(([k, v]) => `${k}=${terminalValue(k, v)}`)
    .join(' ')
  const head = `${lvl} [${terminalTime(typeof time === 'number' ? time : Date.now())}] ${message}`
  return pairs === '' ? head.trimEnd() : `${head.padEnd(head.length - message.length + Math.max(MESSAGE_WIDTH, message.length))} ${pairs}`
}

function terminalTime(ms: number): string {
  const d = new Date(ms)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(d.getMonth() + 1)}-${p(d.getDate())}|${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

function terminalValue(key: string, v: unknown): string {
  if (typeof v === 'string') return quoteIfNeeded(v)
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v)
  if (key === 'err' && typeof v === 'object' && v !== null && 'message' in v) return quoteIfNeeded(String((v as { message: unknown }).message))
  return quoteIfNeeded(JSON.stringify(v) ?? String(v))
}

function quoteIfNeeded(s: string): string {
  return s === '' || /[\s"=\\]/.test(s) || /[\x00-\x1f\x7f]/.test(s) ? JSON.stringify(s) : s
}
