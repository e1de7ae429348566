// JSON-RPC over WebSocket (the `ws` package does the framing): the --ws port, and upgrades on the
// Engine API port after the same JWT check as its HTTP requests (as geth). Each text message is one
// call or a batch, run by the port's dispatcher with the same limits as HTTP (message size = body
// size, batch entries, batch response size, request time limit); answers go out as they finish, and
// a connection has at most MAX_IN_FLIGHT messages running (reading pauses beyond that). With a
// subscription hub, eth_subscribe/eth_unsubscribe work per connection. Origins are checked as geth's
// --ws.origins: no Origin header passes (not a browser), `*` passes all, an empty list means geth's
// default (localhost, and this host's name).
import type { IncomingMessage, Server } from 'node:http'
import { hostname } from 'node:os'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { errorResponse, type Dispatcher } from './dispatch.ts'
import { RpcCode } from './errors.ts'
import type { SubscriptionHub } from './subscriptions.ts'

/** Messages of one connection running at once; reading pauses beyond it. */
export const MAX_IN_FLIGHT = 64
/** Unsent bytes past which a connection that keeps sending requests but never reads is closed. */
const HARD_BUFFER_LIMIT = 64 * 1024 * 1024

export interface WebSocketOptions {
  /** Allowed browser origins (--ws.origins); absent: any (the JWT guards the Engine API port). */
  origins?: string[]
  /** eth_subscribe support; absent: "notifications not supported". */
  subscriptions?: SubscriptionHub
}

export interface WebSocketDeps {
  dispatcher: Dispatcher
  /** Why the upgrade request is refused (bad JWT), or undefined. */
  authorize: (req: IncomingMessage) => string | undefined
  maxPayload: number
  logger: Logger
}

export interface WebSocketEndpoint {
  /** Closes every connection (code 1001, going away). */
  close(): void
}

export function attachWebSocket(server: Server, opts: WebSocketOptions, deps: WebSocketDeps): WebSocketEndpoint {
  const log = deps.logger
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayload, perMessageDeflate: false })
  const originAllowed = opts.origins === undefined ? () => true : originCheck(opts.origins)

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: number, text: string, reason: string): void => {
      log.debug({ reason, origin: req.headers.origin }, 'Refused WebSocket connection')
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`)
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return reject(400, 'Bad Request', 'unsupported upgrade')
    if (!originAllowed(req.headers.origin)) return reject(403, 'Forbidden', 'origin not allowed')
    const authError = deps.authorize(req)
    if (authError !== undefined) return reject(401, 'Unauthorized', authError)
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws))
  })

  function serve(ws: WebSocket): void {
    const session = opts.subscriptions?.connect({ send: (text) => ws.send(text), buffered: () => ws.bufferedAmount })
    let inFlight = 0
    let paused = false
    const reply = (text: string | undefined): void => {
      if (text !== undefined && ws.readyState === ws.OPEN) {
        if (ws.bufferedAmount > HARD_BUFFER_LIMIT) {
          log.warn({ buffered: ws.bufferedAmount }, 'Closed a WebSocket client that does not read its responses')
          ws.terminate()
          return
        }
        ws.send(text)
      }
      session?.activate()
    }
    ws.on('message', (data: RawData) => {
      let parsed: unknown
      try {
        parsed = JSON.parse(rawText(data))
      } catch {
        return reply(errorResponse(null, RpcCode.ParseError, 'parse error'))
      }
      inFlight++
      if (inFlight >= MAX_IN_FLIGHT && !paused) {
        paused = true
        ws.pause()
      }
      void deps.dispatcher.dispatch(parsed, session?.methods).then((text) => {
        inFlight--
        if (paused && inFlight < MAX_IN_FLIGHT / 2) {
          paused = false
          ws.resume()
        }
        reply(text)
      })
    })
    ws.on('error', (err) => log.debug({ err }, 'WebSocket connection error'))
    ws.on('close', () => session?.close())
  }

  return {
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down')
      // A client that does not answer the close handshake is cut off.
      const force = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate()
      }, 1000)
      force.unref()
      wss.close()
    },
  }
}

/** A message's text; binary frames are read as text too, as geth does. */
function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data as ArrayBuffer).toString('utf8')
}

interface OriginRule {
  scheme?: string
  host: string
  port?: string
}

function parseRule(rule: string): OriginRule | undefined {
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(rule.trim())
  if (m === null) return undefined
  return { ...(m[1] !== undefined ? { scheme: m[1].toLowerCase() } : {}), host: m[2]!.toLowerCase(), ...(m[3] !== undefined ? { port: m[3] } : {}) }
}

/** geth's wsHandshakeValidator: a rule without scheme or port matches any scheme or port. */
export function originCheck(allowed: string[]): (origin: string | undefined) => boolean {
  const list = allowed.map((o) => o.trim()).filter((o) => o !== '')
  if (list.includes('*')) return () => true
  const rules = (list.length > 0 ? list : ['http://localhost', `http://${hostname()}`]).map(parseRule).filter((r): r is OriginRule => r !== undefined)
  return (origin) => {
    if (origin === undefined) return true
    const o = parseRule(origin)
    if (o === undefined) return false
    return rules.some((r) => r.host === o.host && (r.scheme === undefined || r.scheme === o.scheme) && (r.port === undefined || r.port === o.port))
  }
}
