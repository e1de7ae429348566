// geth's TraceConfig / TraceCallConfig JSON, decoded into TraceOptions (plus the call's overrides):
// the struct logger's flags, `tracer` by name, each native tracer's `tracerConfig`, `timeout` as a
// Go duration ("5s", "300ms", "1m30s").
import { blockOverridesJSON, stateOverrideJSON, type BlockOverrides, type StateOverride } from '../eth/call-args.ts'
import { DecodeError, jsonKind } from '../eth/params.ts'
import { DEFAULT_TRACE_OPTIONS, TRACER_NAMES, type TraceOptions, type TracerName } from './tracer.ts'

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A Go time.Duration string in ms; DecodeError with Go's text when malformed. */
export function goDurationMs(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y
  if (text === '0') return 0
  let ms = 0
  let at = 0
  while (at < text.length) {
    re.lastIndex = at
    const m = re.exec(text)
    if (m === null) throw new DecodeError(`time: invalid duration "${text}"`)
    ms += Number(m[1]) * UNITS[m[2]!]!
    at = re.lastIndex
  }
  if (at === 0) throw new DecodeError(`time: invalid duration "${text}"`)
  return ms
}

function bool(o: Record<string, unknown>, k: string, fallback: boolean): boolean {
  const v = o[k]
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'boolean') throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field .${k} of type bool`)
  return v
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type ${what}`)
  return v as Record<string, unknown>
}

/** geth's TraceConfig. An unknown tracer name (geth would compile it as JavaScript) is refused. */
export function traceConfigJSON(v: unknown): TraceOptions {
  const o = object(v, 'tracers.TraceConfig')
  const tracerName = o['tracer'] ?? 'structLogger'
  if (typeof tracerName !== 'string') throw new DecodeError(`json: cannot unmarshal ${jsonKind(tracerName)} into Go struct field TraceConfig.tracer of type string`)
  const name = tracerName === '' ? 'structLogger' : tracerName
  if (!(TRACER_NAMES as readonly string[]).includes(name)) {
    throw new DecodeError(`tracer ${JSON.stringify(name)} not found (JavaScript tracers are not supported; use ${TRACER_NAMES.join(', ')})`)
  }
  const tc = object(o['tracerConfig'], 'tracerConfig')
  const limit = o['limit'] ?? 0
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) throw new DecodeError(`json: cannot unmarshal ${jsonKind(limit)} into Go struct field Config.limit of type int`)
  let timeoutMs = DEFAULT_TRACE_OPTIONS.timeoutMs
  if (o['timeout'] !== undefined && o['timeout'] !== null) {
    if (typeof o['timeout'] !== 'string') throw new DecodeError(`json: cannot unmarshal ${jsonKind(o['timeout'])} into Go struct field TraceConfig.timeout of type string`)
    timeoutMs = goDurationMs(o['timeout'])
  }
  return {
    tracer: name as TracerName,
    disableStack: bool(o, 'disableStack', false),
    disableStorage: name === 'prestateTracer' ? bool(tc, 'disableStorage', false) : bool(o, 'disableStorage', false),
    enableMemory: bool(o, 'enableMemory', false),
    enableReturnData: bool(o, 'enableReturnData', false),
    limit,
    onlyTopCall: bool(tc, 'onlyTopCall', false),
    withLog: bool(tc, 'withLog', false),
    diffMode: bool(tc, 'diffMode', false),
    disableCode: bool(tc, 'disableCode', false),
    timeoutMs,
  }
}

/** geth's TraceCallConfig: a TraceConfig plus `stateOverrides` and `blockOverrides`. */
export function traceCallConfigJSON(v: unknown): { options: TraceOptions; stateOverride?: StateOverride; blockOverrides?: BlockOverrides } {
  const o = object(v, 'tracers.TraceCallConfig')
  const options = traceConfigJSON(o)
  const so = o['stateOverrides']
  const bo = o['blockOverrides']
  return {
    options,
    ...(so !== undefined && so !== null ? { stateOverride: stateOverrideJSON(so) } : {}),
    ...(bo !== undefined && bo !== null ? { blockOverrides: blockOverridesJSON(bo) } : {}),
  }
}
