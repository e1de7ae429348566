// A small JSON-RPC client for tests: HTTP POST with an optional JWT (HS256, fresh iat each call).
import { createHmac } from 'node:crypto'

export interface RpcReply {
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url')
}

export function makeJwt(secret: Uint8Array, iat = Math.floor(Date.now() / 1000), alg = 'HS256'): string {
  const header = b64url(JSON.stringify({ alg, typ: 'JWT' }))
  const payload = b64url(JSON.stringify({ iat }))
  const sig = createHmac('sha256', Buffer.from(secret)).update(`${header}.${payload}`).digest()
  return `${header}.${payload}.${b64url(sig)}`
}

export class RpcClient {
  private id = 0
  readonly url: string
  readonly secret: Uint8Array | undefined
  constructor(url: string, secret?: Uint8Array) {
    this.url = url
    this.secret = secret
  }
  /** POSTs a body as it is (with the JWT when the client has a secret); the HTTP status and body text. */
  async post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; text: string }> {
    const h = { ...headers }
    if (this.secret !== undefined) h['authorization'] = `Bearer ${makeJwt(this.secret)}`
    const res = await fetch(this.url, { method: 'POST', headers: h, body })
    return { status: res.status, text: await res.text() }
  }
  async raw(method: string, params: unknown[]): Promise<RpcReply> {
    const res = await this.post(JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }))
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`)
    return JSON.parse(res.text) as RpcReply
  }
  /** One JSON-RPC batch; the replies in request order. */
  async batch(calls: { method: string; params: unknown[] }[]): Promise<RpcReply[]> {
    const res = await this.post(JSON.stringify(calls.map((c) => ({ jsonrpc: '2.0', id: ++this.id, method: c.method, params: c.params }))))
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`)
    const replies = JSON.parse(res.text) as (RpcReply & { id: number })[]
    return replies.sort((a, b) => a.id - b.id)
  }
  /** Returns the result; throws on a JSON-RPC error. */
  async call(method: string, params: unknown[]): Promise<unknown> {
    const r = await this.raw(method, params)
    if (r.error !== undefined) throw Object.assign(new Error(`${method}: ${r.error.code} ${r.error.message}`), { rpc: r.error })
    return r.result
  }
}
