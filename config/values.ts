// Field parsers for genesis JSON: quantities (hex, decimal or JSON number), byte strings, addresses.
// Every failure is a GenesisError that names the field.
import { hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { GenesisError } from './errors.ts'

export const MAX_UINT64 = (1n << 64n) - 1n
export const MAX_UINT256 = (1n << 256n) - 1n

const HEX_QUANTITY = /^0[xX][0-9a-fA-F]+$/
const DEC_QUANTITY = /^[0-9]+$/
const HEX_DIGITS = /^[0-9a-fA-F]*$/

/** A short rendering of an offending value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = typeof value === 'bigint' ? value.toString() : JSON.stringify(value)
  if (text === undefined) return typeof value
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null
}

/** An unsigned integer given as a hex string, a decimal string or a JSON number. */
export function parseQuantity(value: unknown, field: string, max: bigint = MAX_UINT256): bigint {
  let out: bigint
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) {
      throw new GenesisError(field, `expected a non-negative integer, got ${describe(value)}`)
    }
    if (!Number.isSafeInteger(value)) {
      throw new GenesisError(field, `${describe(value)} is above 2^53 and lost precision as a JSON number; write it as a string`)
    }
    out = BigInt(value)
  } else if (typeof value === 'string' && (HEX_QUANTITY.test(value) || DEC_QUANTITY.test(value))) {
    out = BigInt(value)
  } else {
    throw new GenesisError(field, `expected a number, got ${describe(value)}`)
  }
  if (out > max) throw new GenesisError(field, `${describe(value)} is out of range (max ${max})`)
  return out
}

export function parseUint64(value: unknown, field: string): bigint {
  return parseQuantity(value, field, MAX_UINT64)
}

export function optionalQuantity(value: unknown, field: string, max: bigint = MAX_UINT256): bigint | undefined {
  return isAbsent(value) ? undefined : parseQuantity(value, field, max)
}

function hexBody(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new GenesisError(field, `expected a hex string, got ${describe(value)}`)
  const body = value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value
  if (!HEX_DIGITS.test(body)) throw new GenesisError(field, `expected a hex string, got ${describe(value)}`)
  return body
}

/** A hex byte string, `0x` optional; with `length`, exactly that many bytes. */
export function parseBytes(value: unknown, field: string, length?: number): Uint8Array {
  const body = hexBody(value, field)
  if (body.length % 2 !== 0) throw new GenesisError(field, `odd number of hex digits in ${describe(value)}`)
  const bytes = hexToBytes(`0x${body}`)
  if (length !== undefined && bytes.length !== length) {
    throw new GenesisError(field, `expected ${length} bytes, got ${bytes.length} in ${describe(value)}`)
  }
  return bytes
}

export function parseAddress(value: unknown, field: string): Uint8Array {
  return parseBytes(value, field, 20)
}

/**
 * A storage slot or value: up to 32 bytes of hex (`0x` optional, odd digit counts allowed),
 * left-padded to 32 bytes, as geth's genesis storage reader does.
 */
export function parseWord(value: unknown, field: string): Uint8Array {
  let body = hexBody(value, field)
  if (body.length > 64) throw new GenesisError(field, `more than 32 bytes in ${describe(value)}`)
  if (body.length % 2 !== 0) body = `0${body}`
  return setLengthLeft(hexToBytes(`0x${body}`), 32)
}

export function parseBool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new GenesisError(field, `expected true or false, got ${describe(value)}`)
  return value
}

export function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GenesisError(field, `expected an object, got ${describe(value)}`)
  }
  return value as Record<string, unknown>
}
