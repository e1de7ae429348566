// JSON-RPC 2.0 over HTTP POST, for both the Engine API port (JWT) and the --http port. Two lanes:
// ordered methods (engine_* by default) run one at a time in arrival order, one FIFO across all
// connections, a batch's ordered entries back to back (the Engine API relies on in-order processing);
// every other call runs as soon as it arrives, never behind the FIFO, a batch's entries a few at a
// time. Limits like geth's: entries per batch, batch response size (-32003 "response too large"),
// and a time limit per HTTP request (-32002 "request timed out" for what has not answered by then).
// HTTP-level refusals (auth, size, method, host) answer before the body is looked at.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { ConfigError } from '../util/errors.ts'
import { runBatch, type BatchCall, type BatchEntry } from './batch.ts'
import { RpcCode, toRpcError, type RpcErrorObject } from './errors.ts'
import { DEFAULT_JWT_MAX_SKEW_SECONDS, verifyJwt } from './jwt.ts'
import type { MethodTable, RpcHandler } from './types.ts'

/** geth's request body limit. */
export const DEFAULT_MAX_BODY_BYTES = 15 * 1024 * 1024
export const DEFAULT_MAX_BATCH = 1000
/** geth --rpc.batch-response-max-size. */
export const DEFAULT_MAX_BATCH_RESPONSE_BYTES = 25_000_000
/** geth's HTTP write timeout: what has not answered by then gets "request timed out". */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
const isEngineMethod = (method: string): boolean => method.startsWith('engine_')

export interface RpcServerOptions {
  host: string
  /** 0 picks a free port; the actual one is on the returned server. */
  port: number
  methods: MethodTable
  /** When set, every request needs `Authorization: Bearer <HS256 JWT>` (Engine API). */
  jwtSecret?: Uint8Array
  /** Allowed `iat` distance from our clock, seconds (default 60, the spec's). */
  jwtMaxSkewSeconds?: number
  logger: Logger
  /** Default 15 MB; larger bodies get HTTP 413. */
  maxBodyBytes?: number
  /** Default 1000 entries (0 = no limit); larger batches get geth's one-entry `[{id of the first call, -32600 "batch too large"}]`. */
  maxBatch?: number
  /** Default 25 MB; once a batch's responses pass it, the entries not yet answered get -32003 "response too large" (0 = no limit). */
  maxBatchResponseBytes?: number
  /** Default 30 s; calls of a request still running then are answered -32002 "request timed out" (0 = no limit). */
  requestTimeoutMs?: number
  /** Methods that run in the one arrival-order FIFO (default: engine_*); the others never wait for it. */
  ordered?: (method: string) => boolean
  /** Allowed browser origins (`*` for any); absent: no CORS headers, OPTIONS gets 405. */
  cors?: string[]
  /** Allowed Host header names (`*` for any; IP addresses always pass, like geth); absent: no check. */
  vhosts?: string[]
  /** Called after every executed call of a known method. */
  onCall?: (method: string, ms: number, ok: boolean) => void
  /** Clock in milliseconds since the epoch (tests); default Date.now. */
  now?: () => number
}

export interface RpcServer {
  host: string
  port: number
  url: string
  close(): Promise<void>
}

type Id = string | number | null

interface Call extends BatchCall {
  id: Id
  handler: RpcHandler
  params: unknown[]
}

/** A validated call, or the ready error response for an invalid entry (undefined: say nothing). */
type Entry = BatchEntry<Call>

const JSON_TYPES = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest'])
const CLOSE_GRACE_MS = 2000

export function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const log = opts.logger
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH
  const maxBatchResponse = opts.maxBatchResponseBytes ?? DEFAULT_MAX_BATCH_RESPONSE_BYTES
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const ordered = opts.ordered ?? isEngineMethod
  const maxSkew = opts.jwtMaxSkewSeconds ?? DEFAULT_JWT_MAX_SKEW_SECONDS
  const now = opts.now ?? Date.now
  const cors = opts.cors !== undefined && opts.cors.length > 0 ? new Set(opts.cors) : undefined
  const vhosts = opts.vhosts !== undefined ? new Set(opts.vhosts.map((h) => h.toLowerCase())) : undefined
  let closing = false
  // The FIFO: each job starts when the previous one has settled.
  let tail: Promise<unknown> = Promise.resolve()
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job)
    tail = run.catch(() => undefined)
    return run
  }

  // --- one call -----------------------------------------------------------------------------------

  function encode(id: Id, body: { result: unknown } | { error: RpcErrorObject }, method: string): string {
    try {
      const msg = 'result' in body ? { jsonrpc: '2.0', id, result: body.result === undefined ? null : body.result } : { jsonrpc: '2.0', id, error: body.error }
      return JSON.stringify(msg)
    } catch (err) {
      log.error({ method, err }, 'Failed to encode RPC response')
      return errorResponse(id, RpcCode.Internal, 'failed to encode response')
    }
  }

  async function execute(call: Call): Promise<string | undefined> {
    const start = performance.now()
    let body: { result: unknown } | { error: RpcErrorObject }
    try {
      body = { result: await call.handler(call.params) }
    } catch (err) {
      const error = toRpcError(err)
      if (error.code === RpcCode.Internal) log.error({ method: call.method, err }, 'RPC handler failed')
      else log.debug({ method: call.method, code: error.code, message: error.message }, 'RPC call returned an error')
      body = { error }
    }
    const ms = performance.now() - start
    const ok = 'result' in body
    log.debug({ method: call.method, ms: Math.round(ms * 1000) / 1000, ok }, 'Served RPC call')
    if (opts.onCall !== undefined) {
      try {
        opts.onCall(call.method, ms, ok)
      } catch (err) {
        log.warn({ err }, 'RPC onCall hook failed')
      }
    }
    return call.notification ? undefined : encode(call.id, body, call.method)
  }

  function validate(raw: unknown): Entry {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return invalid(null, 'invalid request: expected an object')
    const req = raw as Record<string, unknown>
    const rawId = req['id']
    const notification = !('id' in req) || rawId === undefined
    if (!notification && rawId !== null && typeof rawId !== 'string' && typeof rawId !== 'number') return invalid(null, 'invalid request: id must be a string, number or null')
    const id: Id = notification ? null : (rawId as Id)
    if (req['jsonrpc'] !== '2.0') return invalid(id, 'invalid request: jsonrpc must be "2.0"')
    const method = req['method']
    if (typeof method !== 'string') return invalid(id, 'invalid request: method must be a string')
    const handler = opts.methods.get(method)
    if (handler === undefined) return silentIf(notification, id, RpcCode.MethodNotFound, `the method ${method} does not exist/is not available`)
    const params = req['params']
    if (params !== undefined && params !== null && !Array.isArray(params)) return silentIf(notification, id, RpcCode.InvalidParams, 'invalid params: expected an array')
    return { call: { id, notification, method, handler, params: Array.isArray(params) ? params : [] } }
  }

  /** Runs one call in its lane: the FIFO for ordered methods, right away for the others. */
  const run = (call: Call): Promise<string | undefined> => (ordered(call.method) ? enqueue(() => execute(call)) : execute(call))

  /** Resolves to 'timeout' after the request time limit (never when there is none); `cancel` clears the timer. */
  function requestTimer(): { expired: Promise<'timeout'>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<'timeout'>((resolve) => {
      if (requestTimeoutMs > 0) timer = setTimeout(() => resolve('timeout'), requestTimeoutMs)
    })
    return { expired, cancel: () => clearTimeout(timer) }
  }

  /** Runs a parsed body (single or batch); the serialized response, if any. */
  async function dispatch(parsed: unknown): Promise<string | undefined> {
    if (!Array.isArray(parsed)) {
      const entry = validate(parsed)
      if ('response' in entry) return entry.response
      const { expired, cancel } = requestTimer()
      const r = await Promise.race([run(entry.call), expired]).finally(cancel)
      if (r !== 'timeout') return r
      return entry.call.notification ? undefined : errorResponse(entry.call.id, RpcCode.Timeout, 'request timed out')
    }
    if (parsed.length === 0) return errorResponse(null, RpcCode.InvalidRequest, 'empty batch')
    if (maxBatch > 0 && parsed.length > maxBatch) return `[${errorResponse(firstCallId(parsed), RpcCode.InvalidRequest, 'batch too large')}]`
    const responses = await runBatch(parsed.map(validate), {
      execute,
      enqueue,
      ordered,
      maxResponseBytes: maxBatchResponse,
      timer: requestTimer,
      refusal: (call, code, message) => (call.notification ? undefined : errorResponse(call.id, code, message)),
    })
    const out = responses.filter((r): r is string => r !== undefined)
    return out.length === 0 ? undefined : `[${out.join(',')}]`
  }

  // --- HTTP ---------------------------------------------------------------------------------------

  function send(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
    if (res.headersSent || res.destroyed) return
    const h: OutgoingHttpHeaders = status === 204 ? { ...headers } : { ...headers, 'Content-Length': Buffer.byteLength(body) }
    if (body !== '') h['Content-Type'] = 'application/json'
    if (closing) h['Connection'] = 'close'
    res.writeHead(status, h)
    res.end(body)
  }

  function refuse(res: ServerResponse, status: number, code: number, message: string, headers?: OutgoingHttpHeaders): void {
    send(res, status, errorResponse(null, code, message), headers)
  }

  function corsHeaders(req: IncomingMessage): OutgoingHttpHeaders | undefined {
    const origin = req.headers.origin
    if (cors === undefined || origin === undefined) return undefined
    if (!cors.has('*') && !cors.has(origin)) return undefined
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }
  }

  function hostAllowed(req: IncomingMessage): boolean {
    if (vhosts === undefined || vhosts.has('*')) return true
    const host = req.headers.host
    if (host === undefined || host === '') return true
    const name = hostName(host)
    return isIP(name) !== 0 || vhosts.has(name.toLowerCase())
  }

  function authFailure(req: IncomingMessage): string | undefined {
    if (opts.jwtSecret === undefined) return undefined
    const header = req.headers.authorization
    if (header === undefined) return 'missing token'
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (m === null) return 'malformed authorization header: expected "Bearer <token>"'
    const verdict = verifyJwt(m[1]!, opts.jwtSecret, Math.floor(now() / 1000), maxSkew)
    return verdict.ok ? undefined : verdict.reason
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const allowOrigin = corsHeaders(req)
    if (req.method === 'OPTIONS' && cors !== undefined) {
      if (allowOrigin === undefined) return refuse(res, 403, RpcCode.InvalidRequest, 'origin not allowed')
      return send(res, 204, '', {
        ...allowOrigin,
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, Authorization',
        'Access-Control-Max-Age': '600',
      })
    }
    const headers: OutgoingHttpHeaders = allowOrigin ?? {}
    if (req.method !== 'POST') return refuse(res, 405, RpcCode.InvalidRequest, 'method not allowed: use POST', { ...headers, Allow: cors !== undefined ? 'POST, OPTIONS' : 'POST' })
    if (!hostAllowed(req)) return refuse(res, 403, RpcCode.InvalidRequest, 'invalid host specified', headers)
    const authError = authFailure(req)
    if (authError !== undefined) {
      log.debug({ reason: authError }, 'Refused unauthenticated RPC request')
      return refuse(res, 401, RpcCode.Server, authError, headers)
    }
    const contentType = req.headers['content-type']
    if (contentType !== undefined && !JSON_TYPES.has(contentType.split(';')[0]!.trim().toLowerCase())) {
      return refuse(res, 415, RpcCode.InvalidRequest, 'invalid content type, only application/json is supported', headers)
    }
    const tooLarge = () => refuse(res, 413, RpcCode.InvalidRequest, `request body too large (limit ${maxBody} bytes)`, { ...headers, Connection: 'close' })
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > maxBody) return tooLarge()

    const chunks: Buffer[] = []
    let size = 0
    let overflow = false
    req.on('data', (chunk: Buffer) => {
      if (overflow) return
      size += chunk.length
      if (size > maxBody) {
        overflow = true
        chunks.length = 0
        tooLarge()
        return
      }
      chunks.push(chunk)
    })
    req.on('error', (err) => log.debug({ err }, 'RPC request stream error'))
    req.on('end', () => {
      if (overflow) return
      let parsed: unknown
      try {
        parsed = JSON.parse(Buffer.concat(chunks, size).toString('utf8'))
      } catch {
        return send(res, 200, errorResponse(null, RpcCode.ParseError, 'parse error'), headers)
      }
      dispatch(parsed).then(
        (body) => send(res, 200, body ?? '', headers),
        (err: unknown) => {
          // dispatch catches handler errors itself; this is a bug of ours.
          log.error({ err }, 'RPC dispatch failed')
          refuse(res, 500, RpcCode.Internal, 'internal error', headers)
        },
      )
    })
  }

  const server = createServer({ keepAlive: true }, onRequest)
  server.keepAliveTimeout = 60_000
  // geth's HTTP read timeout: a request body still arriving after the time limit is dropped.
  if (requestTimeoutMs > 0) server.requestTimeout = requestTimeoutMs
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
    log.debug({ err }, 'RPC client error')
  })

  return new Promise<RpcServer>((resolve, reject) => {
    const onListenError = (err: Error) => reject(new ConfigError(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }))
    server.once('error', onListenError)
    server.listen(opts.port, opts.host, () => {
      server.off('error', onListenError)
      server.on('error', (err) => log.error({ err }, 'RPC server error'))
      const addr = server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port
      const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`
      log.info({ endpoint: url, auth: opts.jwtSecret !== undefined }, 'HTTP server started')
      let closed: Promise<void> | undefined
      resolve({
        host: opts.host,
        port,
        url,
        close: () => {
          closed ??= new Promise<void>((done) => {
            closing = true
            // Idle keep-alive sockets go now; busy ones once their response is out (Connection: close).
            const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
            force.unref()
            server.close(() => {
              clearTimeout(force)
              log.info({ endpoint: url }, 'HTTP server stopped')
              done()
            })
            server.closeIdleConnections()
          })
          return closed
        },
      })
    })
  })
}

function errorResponse(id: Id, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })
}

function invalid(id: Id, message: string): Entry {
  return { response: errorResponse(id, RpcCode.InvalidRequest, message) }
}

/** The id of a batch's first call (an entry with a usable id), like geth's answer to a batch that is too large. */
function firstCallId(batch: unknown[]): Id {
  for (const e of batch) {
    if (typeof e !== 'object' || e === null || !('id' in e)) continue
    const id = (e as { id: unknown }).id
    if (typeof id === 'string' || typeof id === 'number') return id
  }
  return null
}

/** Errors about a notification are not reported (JSON-RPC 2.0 §4.1). */
function silentIf(notification: boolean, id: Id, code: number, message: string): Entry {
  return { response: notification ? undefined : errorResponse(id, code, message) }
}

/** The name part of a Host header: `example.com:8545` → `example.com`, `[::1]:8545` → `::1`. */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end > 0 ? host.slice(1, end) : host
  }
  const colon = host.indexOf(':')
  return colon >= 0 && host.indexOf(':', colon + 1) < 0 ? host.slice(0, colon) : host
}
