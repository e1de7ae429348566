// Wire primitives for JSON-RPC: decoding hex QUANTITY / DATA with the field's name in every error,
// and encoding bigint / bytes back. Pure functions; everything inside Parallax is bigint/Uint8Array.
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { InvalidParamsError } from './errors.ts'

export type Hex = `0x${string}`

// The prefix is exactly `0x` (execution-apis' patterns); `0X` is refused here, as a -32602, rather
// than reaching a decoder that throws. Hex digits may be either case, as geth accepts them.
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/
const DATA = /^0x([0-9a-fA-F]{2})*$/

export function describe(v: unknown): string {
  if (v === undefined) return 'missing'
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)
  return typeof v
}

/** A QUANTITY: 0x-prefixed hex, no leading zeros (execution-apis). */
export function quantity(v: unknown, field: string, maxBits = 256): bigint {
  if (typeof v !== 'string' || !QUANTITY.test(v)) throw new InvalidParamsError(`${field}: expected a hex quantity, got ${describe(v)}`)
  const n = BigInt(v)
  if (n >= 1n << BigInt(maxBits)) throw new InvalidParamsError(`${field}: exceeds ${maxBits} bits`)
  return n
}

export function uint64(v: unknown, field: string): bigint {
  return quantity(v, field, 64)
}

/** DATA: 0x-prefixed, even-length hex; `length` in bytes when fixed. */
export function data(v: unknown, field: string, length?: number): Uint8Array {
  if (typeof v !== 'string' || !DATA.test(v)) throw new InvalidParamsError(`${field}: expected hex data, got ${describe(v)}`)
  const b = hexToBytes(v as Hex)
  if (length !== undefined && b.length !== length) throw new InvalidParamsError(`${field}: expected ${length} bytes, got ${b.length}`)
  return b
}

export const hash32 = (v: unknown, field: string): Uint8Array => data(v, field, 32)
export const address = (v: unknown, field: string): Uint8Array => data(v, field, 20)

export function array(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new InvalidParamsError(`${field}: expected an array, got ${describe(v)}`)
  return v
}

export function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidParamsError(`${field}: expected an object, got ${describe(v)}`)
  return v as Record<string, unknown>
}

export function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new InvalidParamsError(`${field}: expected a boolean, got ${describe(v)}`)
  return v
}

/** Present and not null (the Engine API counts `null` as missing). */
export function required(obj: Record<string, unknown>, key: string, field: string): unknown {
  const v = obj[key]
  if (v === undefined || v === null) throw new InvalidParamsError(`${field}.${key}: missing`)
  return v
}

export function toQuantity(n: bigint | number): Hex {
  return `0x${n.toString(16)}`
}

export function toData(b: Uint8Array): Hex {
  return bytesToHex(b)
}
