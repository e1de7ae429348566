// EIP-712 typed structured data: the digest eth_signTypedData_v4 signs,
// keccak256(0x19 0x01 ‖ hashStruct(EIP712Domain, domain) ‖ hashStruct(primaryType, message)).
// Decoding happens here too: a malformed request is an InvalidParamsError naming the field.
import { concatBytes, hexToBytes, setLengthLeft, setLengthRight } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { InvalidParamsError } from './errors.ts'

export interface TypedField {
  name: string
  type: string
}

export interface TypedData {
  types: Record<string, TypedField[]>
  primaryType: string
  domain: Record<string, unknown>
  message: Record<string, unknown>
}

const DOMAIN_FIELDS: readonly TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
]

/** Reads eth_signTypedData_v4's second parameter: the typed data as an object or as a JSON string. */
export function typedDataJSON(v: unknown): TypedData {
  let obj = v
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v)
    } catch {
      throw new InvalidParamsError('typed data: not valid JSON')
    }
  }
  if (typeof obj !== 'object' || obj === null) throw new InvalidParamsError('typed data: expected an object')
  const o = obj as Record<string, unknown>
  const types = o['types']
  if (typeof types !== 'object' || types === null) throw new InvalidParamsError('typed data: types missing')
  const out: Record<string, TypedField[]> = {}
  for (const [name, fields] of Object.entries(types)) {
    if (!Array.isArray(fields)) throw new InvalidParamsError(`typed data: types.${name} must be an array`)
    out[name] = fields.map((f: unknown, i) => {
      const field = f as Partial<TypedField> | null
      if (typeof field?.name !== 'string' || typeof field.type !== 'string') throw new InvalidParamsError(`typed data: types.${name}[${i}] needs a name and a type`)
      return { name: field.name, type: field.type }
    })
  }
  const primaryType = o['primaryType']
  if (typeof primaryType !== 'string') throw new InvalidParamsError('typed data: primaryType missing')
  const domain = (o['domain'] ?? {}) as Record<string, unknown>
  const message = (o['message'] ?? {}) as Record<string, unknown>
  if (typeof domain !== 'object' || typeof message !== 'object') throw new InvalidParamsError('typed data: domain and message must be objects')
  if (out['EIP712Domain'] === undefined) out['EIP712Domain'] = DOMAIN_FIELDS.filter((f) => domain[f.name] !== undefined)
  if (primaryType !== 'EIP712Domain' && out[primaryType] === undefined) throw new InvalidParamsError(`typed data: primaryType ${primaryType} is not in types`)
  return { types: out, primaryType, domain, message }
}

/** The 32-byte digest a signer signs for `data`. */
export function typedDataDigest(data: TypedData): Uint8Array {
  const parts = [Uint8Array.of(0x19, 0x01), hashStruct(data.types, 'EIP712Domain', data.domain)]
  if (data.primaryType !== 'EIP712Domain') parts.push(hashStruct(data.types, data.primaryType, data.message))
  return keccak_256(concatBytes(...parts))
}

export function hashStruct(types: Record<string, TypedField[]>, type: string, value: Record<string, unknown>): Uint8Array {
  return keccak_256(encodeData(types, type, value))
}

/** `Name(type name,...)` of `type`, then the struct types it references, sorted by name. */
export function encodeType(types: Record<string, TypedField[]>, type: string): string {
  const deps = [...dependencies(types, type, new Set())].filter((t) => t !== type).sort()
  return [type, ...deps].map((t) => `${t}(${types[t]!.map((f) => `${f.type} ${f.name}`).join(',')})`).join('')
}

function dependencies(types: Record<string, TypedField[]>, type: string, found: Set<string>): Set<string> {
  const base = baseType(type)
  if (found.has(base) || types[base] === undefined) return found
  found.add(base)
  for (const f of types[base]!) dependencies(types, f.type, found)
  return found
}

/** `Mail[2][]` → `Mail`. */
function baseType(type: string): string {
  const i = type.indexOf('[')
  return i < 0 ? type : type.slice(0, i)
}

function encodeData(types: Record<string, TypedField[]>, type: string, value: Record<string, unknown>): Uint8Array {
  const fields = types[type]
  if (fields === undefined) throw new InvalidParamsError(`typed data: unknown type ${type}`)
  const parts: Uint8Array[] = [keccak_256(new TextEncoder().encode(encodeType(types, type)))]
  for (const f of fields) parts.push(encodeValue(types, f.type, value[f.name], `${type}.${f.name}`))
  return concatBytes(...parts)
}

function encodeValue(types: Record<string, TypedField[]>, type: string, v: unknown, where: string): Uint8Array {
  if (type.endsWith(']')) {
    if (!Array.isArray(v)) throw new InvalidParamsError(`typed data: ${where} must be an array`)
    const inner = type.slice(0, type.lastIndexOf('['))
    return keccak_256(concatBytes(...v.map((e, i) => encodeValue(types, inner, e, `${where}[${i}]`))))
  }
  if (types[type] !== undefined) {
    if (typeof v !== 'object' || v === null) throw new InvalidParamsError(`typed data: ${where} must be an object`)
    return hashStruct(types, type, v as Record<string, unknown>)
  }
  if (type === 'string') {
    if (typeof v !== 'string') throw new InvalidParamsError(`typed data: ${where} must be a string`)
    return keccak_256(new TextEncoder().encode(v))
  }
  if (type === 'bytes') return keccak_256(bytesOf(v, where))
  if (type === 'bool') {
    if (typeof v !== 'boolean' && v !== 'true' && v !== 'false') throw new InvalidParamsError(`typed data: ${where} must be a boolean`)
    return setLengthLeft(Uint8Array.of(v === true || v === 'true' ? 1 : 0), 32)
  }
  if (type === 'address') {
    const b = bytesOf(v, where)
    if (b.length !== 20) throw new InvalidParamsError(`typed data: ${where} must be a 20-byte address`)
    return setLengthLeft(b, 32)
  }
  const fixed = /^bytes(\d+)$/.exec(type)
  if (fixed !== null) {
    const b = bytesOf(v, where)
    if (b.length > Number(fixed[1])) throw new InvalidParamsError(`typed data: ${where} longer than ${type}`)
    return setLengthRight(b, 32)
  }
  const int = /^(u?)int(\d*)$/.exec(type)
  if (int !== null) {
    const bits = BigInt(int[2] === '' ? 256 : Number(int[2]))
    let n = integerOf(v, where)
    const signed = int[1] === ''
    const min = signed ? -(1n << (bits - 1n)) : 0n
    const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n
    if (n < min || n > max) throw new InvalidParamsError(`typed data: ${where} out of range for ${type}`)
    if (n < 0n) n += 1n << 256n
    return hexToBytes(`0x${n.toString(16).padStart(64, '0')}`)
  }
  throw new InvalidParamsError(`typed data: ${where} has unknown type ${type}`)
}

function bytesOf(v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw new InvalidParamsError(`typed data: ${where} must be 0x-prefixed hex bytes`)
  return hexToBytes(v as `0x${string}`)
}

function integerOf(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^(-?\d+|0x[0-9a-fA-F]+)$/.test(v)) return BigInt(v)
  throw new InvalidParamsError(`typed data: ${where} must be an integer (number, decimal or 0x string)`)
}
