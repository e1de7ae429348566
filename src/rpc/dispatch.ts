// Runs parsed JSON-RPC bodies (one call or a batch) for any transport (HTTP POST, WebSocket
// messages). Two lanes: ordered methods (engine_* by default) run one at a time in arrival order, one
// FIFO per dispatcher, shared by every connection and transport of a port, a batch's ordered entries
// back to back (the Engine API relies on in-order processing); every other call runs as soon as it
// arrives, never behind the FIFO, a batch's entries a few at a time. Limits like geth's: entries per
// batch, batch response size (-32003 "response too large"), and a time limit per request (-32002
// "request timed out" for what has not answered by then).
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import { runBatch, type BatchCall, type BatchEntry } from './batch.ts'
import { RpcCode, toRpcError, type RpcErrorObject } from './errors.ts'
import type { MethodTable, RpcHandler } from './types.ts'

/** geth's request body limit (HTTP body, WebSocket message). */
export const DEFAULT_MAX_BODY_BYTES = 15 * 1024 * 1024
export const DEFAULT_MAX_BATCH = 1000
/** geth --rpc.batch-response-max-size. */
export const DEFAULT_MAX_BATCH_RESPONSE_BYTES = 25_000_000
/** geth's HTTP write timeout: what has not answered by then gets "request timed out". */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
export const isEngineMethod = (method: string): boolean => method.startsWith('engine_')

export interface DispatcherOptions {
  methods: MethodTable
  logger: Logger
  /** Default 1000 entries (0 = no limit); larger batches get geth's one-entry `[{id of the first call, -32600 "batch too large"}]`. */
  maxBatch?: number
  /** Default 25 MB; once a batch's responses pass it, the entries not yet answered get -32003 "response too large" (0 = no limit). */
  maxBatchResponseBytes?: number
  /** Default 30 s; calls of a request still running then are answered -32002 "request timed out" (0 = no limit). */
  requestTimeoutMs?: number
  /** Methods that run in the one arrival-order FIFO (default: engine_*); the others never wait for it. */
  ordered?: (method: string) => boolean
  /** Called after every executed call of a known method. */
  onCall?: (method: string, ms: number, ok: boolean) => void
}

export interface Dispatcher {
  /**
   * The serialized response to a parsed body (undefined: nothing to send). `local` holds methods of
   * one connection (eth_subscribe on a WebSocket), looked up before the shared table. Never throws.
   */
  dispatch(parsed: unknown, local?: MethodTable): Promise<string | undefined>
}

export type Id = string | number | null

interface Call extends BatchCall {
  id: Id
  handler: RpcHandler
  params: unknown[]
}

/** A validated call, or the ready error response for an invalid entry (undefined: say nothing). */
type Entry = BatchEntry<Call>

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const log = opts.logger
  const maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH
  const maxBatchResponse = opts.maxBatchResponseBytes ?? DEFAULT_MAX_BATCH_RESPONSE_BYTES
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const ordered = opts.ordered ?? isEngineMethod
  // The FIFO: each job starts when the previous one has settled.
  let tail: Promise<unknown> = Promise.resolve()
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job)
    tail = run.catch(() => undefined)
    return run
  }

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

  function validate(raw: unknown, local: MethodTable | undefined): Entry {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return invalid(null, 'invalid request: expected an object')
    const req = raw as Record<string, unknown>
    const rawId = req['id']
    const notification = !('id' in req) || rawId === undefined
    if (!notification && rawId !== null && typeof rawId !== 'string' && typeof rawId !== 'number') return invalid(null, 'invalid request: id must be a string, number or null')
    const id: Id = notification ? null : (rawId as Id)
    if (req['jsonrpc'] !== '2.0') return invalid(id, 'invalid request: jsonrpc must be "2.0"')
    const method = req['method']
    if (typeof method !== 'string') return invalid(id, 'invalid request: method must be a string')
    const handler = local?.get(method) ?? opts.methods.get(method)
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

  async function dispatch(parsed: unknown, local?: MethodTable): Promise<string | undefined> {
    if (!Array.isArray(parsed)) {
      const entry = validate(parsed, local)
      if ('response' in entry) return entry.response
      const { expired, cancel } = requestTimer()
      const r = await Promise.race([run(entry.call), expired]).finally(cancel)
      if (r !== 'timeout') return r
      return entry.call.notification ? undefined : errorResponse(entry.call.id, RpcCode.Timeout, 'request timed out')
    }
    if (parsed.length === 0) return errorResponse(null, RpcCode.InvalidRequest, 'empty batch')
    if (maxBatch > 0 && parsed.length > maxBatch) return `[${errorResponse(firstCallId(parsed), RpcCode.InvalidRequest, 'batch too large')}]`
    const responses = await runBatch(
      parsed.map((raw) => validate(raw, local)),
      {
        execute,
        enqueue,
        ordered,
        maxResponseBytes: maxBatchResponse,
        timer: requestTimer,
        refusal: (call, code, message) => (call.notification ? undefined : errorResponse(call.id, code, message)),
      },
    )
    const out = responses.filter((r): r is string => r !== undefined)
    return out.length === 0 ? undefined : `[${out.join(',')}]`
  }

  return {
    dispatch: (parsed, local) =>
      dispatch(parsed, local).catch((err: unknown) => {
        // dispatch catches handler errors itself; this is a bug of ours.
        log.error({ err }, 'RPC dispatch failed')
        return errorResponse(null, RpcCode.Internal, 'internal error')
      }),
  }
}

export function errorResponse(id: Id, code: number, message: string): string {
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
