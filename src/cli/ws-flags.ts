// The WebSocket JSON-RPC flags, geth's names and defaults: --ws, --ws.addr, --ws.port (8546),
// --ws.api (eth,net,web3) and --ws.origins (comma separated; `*` for any; none: geth's default of
// localhost and this host's name).
import { InvalidArgumentError, Option } from 'commander'
import { UsageError } from '../util/errors.ts'

export interface WsFlags {
  enabled: boolean
  addr: string
  port: number
  /** API namespaces served over WebSocket. */
  api: string[]
  /** Allowed browser origins; empty = geth's default (localhost). */
  origins: string[]
}

export const WS_DEFAULTS: WsFlags = { enabled: false, addr: '127.0.0.1', port: 8546, api: ['eth', 'net', 'web3'], origins: [] }

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

function port(value: string): number {
  const v = value.trim()
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('expected an integer 0..65535')
  return Number(v)
}

export function wsOptions(): Option[] {
  return [
    new Option('--ws', 'enable the WebSocket JSON-RPC server (subscriptions, filters, same methods as HTTP)').default(WS_DEFAULTS.enabled),
    new Option('--ws.addr <ip>', 'WebSocket JSON-RPC listening address').default(WS_DEFAULTS.addr),
    new Option('--ws.port <port>', 'WebSocket JSON-RPC listening port (0 = random)').argParser(port).default(WS_DEFAULTS.port),
    new Option('--ws.api <list>', 'API namespaces offered over WebSocket, comma separated').default(WS_DEFAULTS.api.join(',')),
    new Option('--ws.origins <list>', 'origins allowed to open WebSocket connections, comma separated (* for any)').default('', 'localhost'),
  ]
}

/** Reads the --ws.* flags out of commander's option values. */
export function parseWsFlags(raw: Record<string, unknown>): WsFlags {
  const enabled = raw['ws'] ?? WS_DEFAULTS.enabled
  const addr = raw['ws.addr'] ?? WS_DEFAULTS.addr
  const p = raw['ws.port'] ?? WS_DEFAULTS.port
  const api = raw['ws.api'] ?? WS_DEFAULTS.api.join(',')
  const origins = raw['ws.origins'] ?? ''
  if (typeof enabled !== 'boolean') throw new UsageError(`invalid --ws: ${String(enabled)}`)
  if (typeof addr !== 'string' || addr === '') throw new UsageError(`invalid --ws.addr: ${String(addr)}`)
  if (typeof p !== 'number') throw new UsageError(`invalid --ws.port: ${String(p)}`)
  if (typeof api !== 'string') throw new UsageError(`invalid --ws.api: ${String(api)}`)
  if (typeof origins !== 'string') throw new UsageError(`invalid --ws.origins: ${String(origins)}`)
  return { enabled, addr, port: p, api: list(api), origins: list(origins) }
}
