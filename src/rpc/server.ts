// JSON-RPC 2.0 over HTTP POST, for both the Engine API port (JWT) and the --http port, and optionally
// WebSocket upgrades on the same port (the Engine API's, with the JWT, as geth) or alone (--ws). The
// calls themselves run in the port's dispatcher (dispatch.ts): engine_* in one arrival-order FIFO
// shared by every connection, everything else as it arrives; geth's batch and time limits.
// HTTP-level refusals (auth, size, method, host) answer before the body is looked at.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { Logger } from 'pino'
import { ConfigError } from '../util/errors.ts'
import { createDispatcher, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, errorResponse, type DispatcherOptions } from './dispatch.ts'
import { RpcCode } from './errors.ts'
import { DEFAULT_JWT_MAX_SKEW_SECONDS, verifyJwt } from './jwt.ts'
import type { MethodTable } from './types.ts'
import { attachWebSocket, type WebSocketEndpoint, type WebSocketOptions } from './ws.ts'

export { DEFAULT_MAX_BATCH, DEFAULT_MAX_BATCH_RESPONSE_BYTES, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './dispatch.ts'

export interface RpcServerOptions extends Omit<DispatcherOptions, 'logger'> {
  host: string
  /** 0 picks a free port; the actual one is on the returned server. */
  port: number
  /** When set, every request needs `Authorization: Bearer <HS256 JWT>` (Engine API). */
  jwtSecret?: Uint8Array
  /** Allowed `iat` distance from our clock, seconds (default 60, the spec's). */
  jwtMaxSkewSeconds?: number
  logger: Logger
  /** Default 15 MB; larger bodies get HTTP 413 (and larger WebSocket messages close the connection). */
  maxBodyBytes?: number
  /** Allowed browser origins (`*` for any); absent: no CORS headers, OPTIONS gets 405. */
  cors?: string[]
  /** Allowed Host header names (`*` for any; IP addresses always pass, like geth); absent: no check. */
  vhosts?: string[]
  /** Accept WebSocket upgrades (JSON-RPC over WebSocket, subscriptions), after the JWT check when there is one. */
  websocket?: WebSocketOptions
  /** false: a WebSocket-only port (--ws): plain HTTP requests get 404, as geth's. Default true. */
  http?: boolean
  /** Clock in milliseconds since the epoch (tests); default Date.now. */
  now?: () => number
  /** Static pages answered to GET by path (e.g. the parallelism page at /parallax); absent: GET is refused. */
  pages?: ReadonlyMap<string, StaticPage>
}

export interface StaticPage {
  contentType: string
  body: string
}

export interface RpcServer {
  host: string
  port: number
  url: string
  /**
   * Also accept WebSocket upgrades here, serving `methods` (geth's --ws.port equal to --http.port:
   * one listener, each protocol with its own namespaces); same limits, its own dispatcher.
   */
  acceptWebSocket(ws: WebSocketOptions, methods: MethodTable): void
  close(): Promise<void>
}

const JSON_TYPES = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest'])
const CLOSE_GRACE_MS = 2000

export function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const log = opts.logger
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const maxSkew = opts.jwtMaxSkewSeconds ?? DEFAULT_JWT_MAX_SKEW_SECONDS
  const now = opts.now ?? Date.now
  const cors = opts.cors !== undefined && opts.cors.length > 0 ? new Set(opts.cors) : undefined
  const vhosts = opts.vhosts !== undefined ? new Set(opts.vhosts.map((h) => h.toLowerCase())) : undefined
  let closing = false
  const dispatcher = createDispatcher({ ...opts, logger: log })
  const dispatch = (parsed: unknown): Promise<string | undefined> => dispatcher.dispatch(parsed)

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
    if (opts.http === false) return refuse(res, 404, RpcCode.InvalidRequest, 'not found: this port serves JSON-RPC over WebSocket only', headers)
    const page = req.method === 'GET' ? opts.pages?.get(new URL(req.url ?? '/', 'http://x').pathname) : undefined
    if (page !== undefined) {
      if (!hostAllowed(req)) return refuse(res, 403, RpcCode.InvalidRequest, 'invalid host specified', headers)
      if (res.headersSent || res.destroyed) return
      res.writeHead(200, { ...headers, 'Content-Type': page.contentType, 'Content-Length': Buffer.byteLength(page.body), 'Cache-Control': 'no-cache' })
      return void res.end(page.body)
    }
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
      void dispatch(parsed).then((body) => send(res, 200, body ?? '', headers))
    })
  }

  const server = createServer({ keepAlive: true }, onRequest)
  server.keepAliveTimeout = 60_000
  // geth's HTTP read timeout: a request body still arriving after the time limit is dropped.
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  if (requestTimeoutMs > 0) server.requestTimeout = requestTimeoutMs
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
    log.debug({ err }, 'RPC client error')
  })
  const sockets: WebSocketEndpoint[] = []
  const acceptWebSocket = (ws: WebSocketOptions, methods?: MethodTable): void => {
    const d = methods === undefined ? dispatcher : createDispatcher({ ...opts, methods, logger: log })
    sockets.push(attachWebSocket(server, ws, { dispatcher: d, authorize: authFailure, maxPayload: maxBody, logger: log }))
  }
  if (opts.websocket !== undefined) acceptWebSocket(opts.websocket)

  return new Promise<RpcServer>((resolve, reject) => {
    const onListenError = (err: Error) => reject(new ConfigError(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }))
    server.once('error', onListenError)
    server.listen(opts.port, opts.host, () => {
      server.off('error', onListenError)
      server.on('error', (err) => log.error({ err }, 'RPC server error'))
      const addr = server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port
      const url = `${opts.http === false ? 'ws' : 'http'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`
      // debug: the node logs each server's start once at info, with its role and namespaces.
      log.debug({ endpoint: url, auth: opts.jwtSecret !== undefined, websocket: sockets.length > 0 }, opts.http === false ? 'WebSocket server started' : 'HTTP server started')
      let closed: Promise<void> | undefined
      resolve({
        host: opts.host,
        port,
        url,
        acceptWebSocket,
        close: () => {
          closed ??= new Promise<void>((done) => {
            closing = true
            for (const ws of sockets) ws.close()
            // Idle keep-alive sockets go now; busy ones once their response is out (Connection: close).
            const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
            force.unref()
            server.close(() => {
              clearTimeout(force)
              log.info({ endpoint: url }, opts.http === false ? 'WebSocket server stopped' : 'HTTP server stopped')
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

/** The name part of a Host header: `example.com:8545` → `example.com`, `[::1]:8545` → `::1`. */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end > 0 ? host.slice(1, end) : host
  }
  const colon = host.indexOf(':')
  return colon >= 0 && host.indexOf(':', colon + 1) < 0 ? host.slice(0, colon) : host
}
