// The Prometheus scrape endpoint (--metrics): GET /metrics, and /debug/metrics/prometheus (geth's
// path, so dashboards and scrape configs written for geth work unchanged). Everything else is 404.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { ConfigError } from '../util/errors.ts'
import type { Metrics } from './metrics.ts'

export const METRICS_PATHS: readonly string[] = ['/metrics', '/debug/metrics/prometheus']

export interface MetricsServerOptions {
  addr: string
  /** 0 picks a free port; the actual one is on the returned server. */
  port: number
  metrics: Metrics
  logger: Logger
}

export interface MetricsServer {
  url: string
  port: number
  close(): Promise<void>
}

export function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, logger: log } = opts
  const paths = new Set(METRICS_PATHS)

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!
    if (!paths.has(path)) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' })
    let body: string
    try {
      body = await metrics.text()
    } catch (err) {
      log.error({ err }, 'Failed to collect metrics')
      return send(res, 500, 'text/plain; charset=utf-8', 'failed to collect metrics\n')
    }
    send(res, 200, metrics.contentType, req.method === 'HEAD' ? undefined : body, { 'Content-Length': String(Buffer.byteLength(body)) })
  }

  const server = createServer((req, res) => {
    // The request body (if any) is never read; drain it so keep-alive connections stay usable.
    req.resume()
    void handle(req, res)
  })
  server.keepAliveTimeout = 5000

  return new Promise((resolve, reject) => {
    const onListenError = (err: Error): void => reject(new ConfigError(`cannot listen on ${opts.addr}:${opts.port}: ${err.message}`, { cause: err }))
    server.once('error', onListenError)
    server.listen(opts.port, opts.addr, () => {
      server.off('error', onListenError)
      server.on('error', (err) => log.error({ err }, 'Metrics server error'))
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : opts.port
      const url = `http://${opts.addr.includes(':') ? `[${opts.addr}]` : opts.addr}:${port}`
      log.debug({ endpoint: `${url}/metrics` }, 'Metrics server started') // the node logs it at info
      let closed: Promise<void> | undefined
      resolve({
        url,
        port,
        close: () => {
          closed ??= new Promise<void>((done) => {
            server.close(() => {
              log.info({ endpoint: `${url}/metrics` }, 'Metrics server stopped')
              done()
            })
            server.closeAllConnections()
          })
          return closed
        },
      })
    })
  })
}

function send(res: ServerResponse, status: number, contentType: string, body: string | undefined, extra: Record<string, string> = {}): void {
  const headers: Record<string, string> = { 'Content-Type': contentType, 'Cache-Control': 'no-store', ...extra }
  if (body !== undefined && headers['Content-Length'] === undefined) headers['Content-Length'] = String(Buffer.byteLength(body))
  res.writeHead(status, headers)
  res.end(body)
}
