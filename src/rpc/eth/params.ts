// Parameter decoding for the eth_* methods with geth's error messages (its rpc package, hexutil and
// encoding/json), so a client sees the same -32602 text from Parallax as from geth. Pure functions.
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { InvalidParamsError } from '../errors.ts'
import { InvalidArgumentError } from './errors.ts'

export type Hex = `0x${string}`

/** A block tag or number (geth's rpc.BlockNumber). */
export type BlockTag = 'earliest' | 'latest' | 'pending' | 'finalized' | 'safe'
export type BlockNumber = BlockTag | bigint

/** geth's rpc.BlockNumberOrHash (EIP-1898). Exactly one of `number` / `hash` is set. */
export interface BlockNumberOrHash {
  number?: BlockNumber
  hash?: Uint8Array
  requireCanonical: boolean
}

export const LATEST: BlockNumberOrHash = { number: 'latest', requireCanonical: false }

const TAGS: ReadonlySet<string> = new Set(['earliest', 'latest', 'pending', 'finalized', 'safe'])
const MAX_INT64 = (1n << 63n) - 1n

// ---- hexutil's errors ----
export const HexErr = {
  EmptyString: 'empty hex string',
  Syntax: 'invalid hex string',
  MissingPrefix: 'hex string without 0x prefix',
  OddLength: 'hex string of odd length',
  EmptyNumber: 'hex string "0x"',
  LeadingZero: 'hex number with leading zero digits',
  Uint64Range: 'hex number > 64 bits',
  Big256Range: 'hex number > 256 bits',
} as const

/** Where a value sits, for encoding/json's messages: a top-level argument or a field of a Go struct. */
export interface Where {
  /** Go struct name and JSON field name, e.g. `TransactionArgs` / `gas`. */
  struct?: string
  field?: string
}

/** A decoding failure before it is tied to an argument index. */
export class DecodeError extends Error {}

/** encoding/json's UnmarshalTypeError text. */
function typeError(value: string, goType: string, where: Where = {}): DecodeError {
  const into = where.struct !== undefined && where.field !== undefined ? `Go struct field ${where.struct}.${where.field}` : 'Go value'
  return new DecodeError(`json: cannot unmarshal ${value} into ${into} of type ${goType}`)
}

/** The JSON kind name encoding/json uses for a value of the wrong kind. */
export function jsonKind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'object') return 'object'
  if (typeof v === 'boolean') return 'bool'
  return typeof v
}

const isHexDigits = (s: string): boolean => /^[0-9a-fA-F]*$/.test(s)
const has0x = (s: string): boolean => s.length >= 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')

/** hexutil.DecodeUint64 (plain string, not JSON). */
export function decodeUint64Text(s: string): bigint {
  if (s.length === 0) throw new DecodeError(HexErr.EmptyString)
  if (!has0x(s)) throw new DecodeError(HexErr.MissingPrefix)
  const raw = s.slice(2)
  if (raw.length === 0) throw new DecodeError(HexErr.EmptyNumber)
  if (raw.length > 1 && raw[0] === '0') throw new DecodeError(HexErr.LeadingZero)
  if (!isHexDigits(raw)) throw new DecodeError(HexErr.Syntax)
  if (raw.length > 16) throw new DecodeError(HexErr.Uint64Range)
  return BigInt(`0x${raw}`)
}

/** hexutil number JSON (Uint64, Uint, Big): `bits` bounds it; empty string decodes as 0 like geth. */
function quantityJSON(v: unknown, goType: string, bits: 64 | 256, where: Where): bigint {
  if (typeof v !== 'string') throw typeError('non-string', goType, where)
  if (v.length === 0) return 0n
  if (!has0x(v)) throw typeError(HexErr.MissingPrefix, goType, where)
  const raw = v.slice(2)
  if (raw.length === 0) throw typeError(HexErr.EmptyNumber, goType, where)
  if (raw.length > 1 && raw[0] === '0') throw typeError(HexErr.LeadingZero, goType, where)
  if (raw.length > bits / 4) throw typeError(bits === 64 ? HexErr.Uint64Range : HexErr.Big256Range, goType, where)
  if (!isHexDigits(raw)) throw typeError(HexErr.Syntax, goType, where)
  return BigInt(`0x${raw}`)
}

export const uint64JSON = (v: unknown, where: Where = {}): bigint => quantityJSON(v, 'hexutil.Uint64', 64, where)
export const uintJSON = (v: unknown, where: Where = {}): bigint => quantityJSON(v, 'hexutil.Uint', 64, where)
export const bigJSON = (v: unknown, where: Where = {}): bigint => quantityJSON(v, '*hexutil.Big', 256, where)
export const u256JSON = (v: unknown, where: Where = {}): bigint => quantityJSON(v, 'hexutil.U256', 256, where)

/** hexutil.Bytes JSON. */
export function bytesJSON(v: unknown, where: Where = {}): Uint8Array {
  const goType = 'hexutil.Bytes'
  if (typeof v !== 'string') throw typeError('non-string', goType, where)
  if (v.length === 0) return new Uint8Array()
  if (!has0x(v)) throw typeError(HexErr.MissingPrefix, goType, where)
  const raw = v.slice(2)
  if (raw.length % 2 !== 0) throw typeError(HexErr.OddLength, goType, where)
  if (!isHexDigits(raw)) throw typeError(HexErr.Syntax, goType, where)
  return hexToBytes(`0x${raw}`)
}

/** Fixed-size hex text (hexutil.UnmarshalFixedText): errors are NOT wrapped as type errors. */
function fixedText(s: string, size: number, typeName: string): Uint8Array {
  let raw = s
  if (raw.length > 0) {
    if (has0x(raw)) raw = raw.slice(2)
    else throw new DecodeError(HexErr.MissingPrefix)
    if (raw.length % 2 !== 0) throw new DecodeError(HexErr.OddLength)
  }
  if (raw.length / 2 !== size) throw new DecodeError(`hex string has length ${raw.length}, want ${size * 2} for ${typeName}`)
  if (!isHexDigits(raw)) throw new DecodeError(HexErr.Syntax)
  return hexToBytes(`0x${raw}`)
}

/** Fixed-size hex JSON (common.Address, common.Hash): errors wrapped as encoding/json type errors. */
function fixedJSON(v: unknown, size: number, goType: string, where: Where): Uint8Array {
  if (typeof v !== 'string') throw typeError('non-string', goType, where)
  try {
    return fixedText(v, size, goType)
  } catch (err) {
    throw typeError((err as Error).message, goType, where)
  }
}

export const addressJSON = (v: unknown, where: Where = {}): Uint8Array => fixedJSON(v, 20, 'common.Address', where)
export const hashJSON = (v: unknown, where: Where = {}): Uint8Array => fixedJSON(v, 32, 'common.Hash', where)

export function boolJSON(v: unknown, where: Where = {}): boolean {
  if (v === null) return false
  if (typeof v !== 'boolean') throw typeError(jsonKind(v), 'bool', where)
  return v
}

/** rpc.BlockNumber: a tag or a hex number (JSON strings; other JSON is read as raw text, like geth). */
export function blockNumberJSON(v: unknown): BlockNumber {
  const text = typeof v === 'string' ? v : JSON.stringify(v)
  if (TAGS.has(text)) return text as BlockTag
  const n = decodeUint64Text(text)
  if (n > MAX_INT64) throw new DecodeError('block number larger than int64')
  return n
}

/** rpc.BlockNumberOrHash: a tag, a hex number, a 32-byte hash, or `{blockNumber | blockHash, requireCanonical}`. */
export function blockNumberOrHashJSON(v: unknown): BlockNumberOrHash {
  if (v === null) throw new DecodeError('must specify either BlockHash or BlockNumber')
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    const where = { struct: 'erased' }
    let number: BlockNumber | undefined
    let hash: Uint8Array | undefined
    if (o['blockNumber'] !== undefined && o['blockNumber'] !== null) number = blockNumberJSON(o['blockNumber'])
    if (o['blockHash'] !== undefined && o['blockHash'] !== null) hash = hashJSON(o['blockHash'], { ...where, field: 'blockHash' })
    const requireCanonical = boolJSON(o['requireCanonical'] ?? null, { ...where, field: 'requireCanonical' })
    if (number !== undefined && hash !== undefined) throw new DecodeError('cannot specify both BlockHash and BlockNumber, choose one or the other')
    if (number === undefined && hash === undefined) throw new DecodeError('must specify either BlockHash or BlockNumber')
    return number !== undefined ? { number, requireCanonical } : { hash: hash!, requireCanonical }
  }
  if (typeof v !== 'string') throw typeError(jsonKind(v), 'string')
  if (TAGS.has(v)) return { number: v as BlockTag, requireCanonical: false }
  if (v.length === 66) return { hash: fixedText(v, 32, 'common.Hash'), requireCanonical: false }
  const n = decodeUint64Text(v)
  if (n > MAX_INT64) throw new DecodeError('blocknumber too high')
  return { number: n, requireCanonical: false }
}

// ---- positional arguments (geth's rpc package) ----

/** geth's argument-count checks: `required` leading non-optional parameters, at most `max`. */
export function checkArity(params: unknown[], required: number, max: number): void {
  if (params.length > max) throw new InvalidParamsError(`too many arguments, want at most ${max}`)
  if (params.length < required) throw new InvalidParamsError(`missing value for required argument ${params.length}`)
}

/** Runs a decoder on argument `i`, turning its failure into `invalid argument i: ...`. */
export function arg<T>(params: unknown[], i: number, decode: (v: unknown) => T): T {
  try {
    return decode(params[i])
  } catch (err) {
    if (err instanceof DecodeError) throw new InvalidArgumentError(i, err.message)
    throw err
  }
}

/** An optional (pointer) argument: absent or null gives undefined. */
export function optArg<T>(params: unknown[], i: number, decode: (v: unknown) => T): T | undefined {
  const v = params[i]
  if (v === undefined || v === null) return undefined
  return arg(params, i, decode)
}

export function toQuantity(n: bigint | number): Hex {
  return `0x${n.toString(16)}`
}

export function toData(b: Uint8Array): Hex {
  return bytesToHex(b)
}
