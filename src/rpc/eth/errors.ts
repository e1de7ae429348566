// The errors the eth_* methods answer with, with geth's codes and messages. They are RpcErrors, so
// src/rpc/errors.ts `toRpcError` maps them like every other JSON-RPC error.
import { bytesToHex } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { InvalidParamsError, RpcCode, RpcError } from '../errors.ts'

/** geth's JSON-RPC error codes beyond the standard ones (internal/ethapi/errors.go). */
export const GethCode = {
  ClientLimitExceeded: -38026,
} as const

/** A geth error without its own code: -32000 and geth's message. */
export class ServerError extends RpcError {
  constructor(message: string) {
    super(RpcCode.Server, message)
  }
}

/** geth's `invalid argument N: ...` for a positional parameter that failed to decode. */
export class InvalidArgumentError extends InvalidParamsError {
  readonly index: number
  constructor(index: number, detail: string) {
    super(`invalid argument ${index}: ${detail}`)
    this.index = index
  }
}

/** Go's time.Duration text for whole milliseconds: 5s, 1.5s, 300ms, 2m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${ms / 1000}s`
  const m = Math.floor(ms / 60_000)
  return `${m}m${(ms - m * 60_000) / 1000}s`
}

/** geth --rpc.evmtimeout: the EVM was stopped at the call's deadline. */
export class ExecutionTimeoutError extends ServerError {
  constructor(timeoutMs: number) {
    super(`execution aborted (timeout = ${goDuration(timeoutMs)})`)
  }
}

export class ClientLimitError extends RpcError {
  constructor(message: string) {
    super(GethCode.ClientLimitExceeded, message)
  }
}

const REVERT_SELECTOR = keccak_256(new TextEncoder().encode('Error(string)')).subarray(0, 4)
const PANIC_SELECTOR = keccak_256(new TextEncoder().encode('Panic(uint256)')).subarray(0, 4)

const PANIC_REASONS: ReadonlyMap<bigint, string> = new Map([
  [0x00n, 'generic panic'],
  [0x01n, 'assert(false)'],
  [0x11n, 'arithmetic underflow or overflow'],
  [0x12n, 'division or modulo by zero'],
  [0x21n, 'enum overflow'],
  [0x22n, 'invalid encoded storage byte array accessed'],
  [0x31n, 'out-of-bounds array access; popping on an empty array'],
  [0x32n, 'out-of-bounds access of an array or bytesN'],
  [0x41n, 'out of memory'],
  [0x51n, 'uninitialized function'],
])

const startsWith = (data: Uint8Array, sel: Uint8Array): boolean => sel.every((b, i) => data[i] === b)
const word = (data: Uint8Array, at: number): bigint | undefined =>
  at + 32 <= data.length ? BigInt(bytesToHex(data.subarray(at, at + 32))) : undefined

/** The reason in ABI-encoded revert data (`Error(string)` or `Panic(uint256)`), like geth's abi.UnpackRevert. */
export function decodeRevertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined
  const body = data.subarray(4)
  if (startsWith(data, REVERT_SELECTOR)) {
    const offset = word(body, 0)
    if (offset === undefined || offset > BigInt(body.length)) return undefined
    const len = word(body, Number(offset))
    if (len === undefined) return undefined
    const start = Number(offset) + 32
    if (BigInt(start) + len > BigInt(body.length)) return undefined
    const bytes = body.subarray(start, start + Number(len))
    try {
      return new TextDecoder('utf-8', { fatal: false }).decode(bytes)
    } catch {
      return undefined
    }
  }
  if (startsWith(data, PANIC_SELECTOR)) {
    const code = word(body, 0)
    if (code === undefined) return undefined
    return PANIC_REASONS.get(code) ?? `unknown panic code: 0x${code.toString(16)}`
  }
  return undefined
}

/** geth's revertError: code 3, `execution reverted[: reason]`, the revert data as hex. */
export class RevertError extends RpcError {
  constructor(data: Uint8Array) {
    const reason = decodeRevertReason(data)
    super(RpcCode.ExecutionReverted, reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`, bytesToHex(data))
  }
}
