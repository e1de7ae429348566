// JSON-RPC error codes, and the ONE place where internal errors become JSON-RPC errors.
import { ParallaxError } from '../util/errors.ts'

export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  /** geth: execution reverted (eth_call / eth_estimateGas), with the revert data. */
  ExecutionReverted: 3,
  /** geth's generic server error (e.g. txpool rejections, missing state). */
  Server: -32000,
  /** geth: the HTTP request time limit passed ("request timed out"). */
  Timeout: -32002,
  /** geth: a batch's responses passed --rpc.batch-response-max-size ("response too large"). */
  ResponseTooLarge: -32003,
  /** EIP-1474 "limit exceeded": too many filters or subscriptions, a slow subscriber dropped, a filter's unpolled changes overflowed. */
  LimitExceeded: -32005,
  /** EIP-1474 "method not supported": a method Parallax knows but refuses (the message says why). */
  Unsupported: -32004,
  // Engine API (execution-apis src/engine/common.md)
  UnknownPayload: -38001,
  InvalidForkchoiceState: -38002,
  InvalidPayloadAttributes: -38003,
  TooLargeRequest: -38004,
  UnsupportedFork: -38005,
} as const
export type RpcCode = (typeof RpcCode)[keyof typeof RpcCode]

/** An error to send as a JSON-RPC error object. */
export class RpcError extends ParallaxError {
  readonly rpcCode: number
  readonly data: unknown
  constructor(rpcCode: number, message: string, data?: unknown) {
    super(`RPC_${rpcCode}`, message)
    this.rpcCode = rpcCode
    this.data = data
  }
}

/** Bad parameters: the message names the field (e.g. `params[0].blockHash: expected 32 bytes`). */
export class InvalidParamsError extends RpcError {
  constructor(message: string) {
    super(RpcCode.InvalidParams, message)
  }
}

/** A known method that Parallax will not serve; the message says why and what to do instead. */
export class UnsupportedMethodError extends RpcError {
  constructor(method: string, why: string) {
    super(RpcCode.Unsupported, `${method} is not supported: ${why}`)
  }
}

export interface RpcErrorObject {
  code: number
  message: string
  data?: unknown
}

/** Maps anything thrown by a handler to a JSON-RPC error object. */
export function toRpcError(err: unknown): RpcErrorObject {
  if (err instanceof RpcError) {
    return err.data === undefined ? { code: err.rpcCode, message: err.message } : { code: err.rpcCode, message: err.message, data: err.data }
  }
  if (err instanceof ParallaxError) return { code: RpcCode.Server, message: err.message }
  return { code: RpcCode.Internal, message: err instanceof Error ? err.message : 'internal error' }
}
