// A raw WebSocket subscriber (the `ws` package) for e2e and load checks: sends eth_subscribe calls and
// records what each subscription delivers — heads (number, hash), logs (data, block, removed) and
// subscription errors (a dropped slow subscriber) — in arrival order.
import WebSocket from 'ws'

export interface HeadSeen {
  number: number
  hash: string
}
export interface LogSeen {
  data: string
  blockNumber: number
  blockHash: string
  removed: boolean
}
interface Message {
  id?: number
  result?: unknown
  error?: { code: number; message: string }
  params?: { subscription: string; result?: { number?: string; hash?: string; data?: string; blockNumber?: string; blockHash?: string; removed?: boolean }; error?: { code: number; message: string } }
}

export class WsSubscriber {
  readonly ws: WebSocket
  readonly heads: HeadSeen[] = []
  readonly logs: LogSeen[] = []
  readonly errors: { code: number; message: string }[] = []
  /** Subscription id → kind, once its eth_subscribe was answered. */
  readonly subs = new Map<string, 'newHeads' | 'logs'>()
  private readonly calls = new Map<number, 'newHeads' | 'logs'>()
  private nextId = 1

  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (d) => this.onMessage(JSON.parse(String(d)) as Message))
  }

  static async connect(url: string): Promise<WsSubscriber> {
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return new WsSubscriber(ws)
  }

  /** Sends eth_subscribe; the answer shows up in `subs`. */
  subscribe(kind: 'newHeads' | 'logs', filter?: { address?: string; topics?: string[] }): void {
    const id = this.nextId++
    this.calls.set(id, kind)
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_subscribe', params: kind === 'logs' ? ['logs', filter ?? {}] : ['newHeads'] }))
  }

  /** Subscriptions answered so far. */
  get answered(): number {
    return this.subs.size
  }

  close(): void {
    this.ws.terminate()
  }

  private onMessage(m: Message): void {
    if (m.id !== undefined) {
      const kind = this.calls.get(m.id)
      if (kind !== undefined && typeof m.result === 'string') this.subs.set(m.result, kind)
      else if (m.error !== undefined) this.errors.push(m.error)
      return
    }
    const p = m.params
    if (p === undefined) return
    if (p.error !== undefined) return void this.errors.push(p.error)
    const r = p.result
    const kind = this.subs.get(p.subscription)
    if (r === undefined || kind === undefined) return
    if (kind === 'newHeads') this.heads.push({ number: Number(r.number), hash: r.hash! })
    else this.logs.push({ data: r.data!, blockNumber: Number(r.blockNumber), blockHash: r.blockHash!, removed: r.removed === true })
  }
}

/** Polls `get` every 100 ms until it gives a value; throws after `ms`. */
export async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const v = await get()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
