// Seeded mutants of an honest engine_newPayload call: one to three edits of the payload's fields
// (hashes, numbers, hex case, lengths, transactions, withdrawals, extra or missing fields) or of the
// other params (versioned hashes, beacon root, requests). `sameBlock` tells whether a mutant still
// describes the honest block byte for byte (hex case, quantity spelling and unknown extra fields do
// not change the bytes): only such a mutant may be VALID.
import type { Rng } from '../helpers/workloads/keys.ts'
import { randomValue } from './rpc-bodies.ts'

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
export type NewPayloadParams = Json[]

const QUANTITIES = new Set(['blockNumber', 'gasLimit', 'gasUsed', 'timestamp', 'baseFeePerGas', 'blobGasUsed', 'excessBlobGas', 'index', 'validatorIndex', 'amount'])

const clone = <T extends Json>(v: T): T => JSON.parse(JSON.stringify(v)) as T

function mutateHex(rng: Rng, s: string): Json {
  const body = s.slice(2)
  switch (rng.int(0, 8)) {
    case 0: { // flip one nibble
      if (body.length === 0) return '0x00'
      const i = rng.int(0, body.length - 1)
      const c = ((parseInt(body[i]!, 16) + rng.int(1, 15)) % 16).toString(16)
      return `0x${body.slice(0, i)}${c}${body.slice(i + 1)}`
    }
    case 1: return `0X${body}`
    case 2: return `0x${body.toUpperCase()}`
    case 3: return `0x${body.slice(0, Math.max(0, body.length - 2))}` // a byte short
    case 4: return `0x${body}00` // a byte long
    case 5: return `0x${body.slice(1)}` // odd length
    case 6: return body // no prefix
    case 7: return `0x${'0'.repeat(body.length)}`
    default: return rng.pick([null, 0, '', '0x', `0x${body}g`, [s]])
  }
}

function mutateQuantity(rng: Rng, s: string): Json {
  let n: bigint
  try {
    n = BigInt(s)
  } catch {
    return '0x0'
  }
  switch (rng.int(0, 7)) {
    case 0: return `0x${(n + 1n).toString(16)}`
    case 1: return `0x${(n > 0n ? n - 1n : 0n).toString(16)}`
    case 2: return `0x0${n.toString(16)}` // leading zero (invalid quantity)
    case 3: return `0x${'f'.repeat(rng.pick([16, 17, 64, 65]))}`
    case 4: return Number(n) // a JSON number
    case 5: return `-0x${n.toString(16)}`
    case 6: return `0x${n.toString(16).toUpperCase()}`
    default: return n.toString(10)
  }
}

function mutateValue(rng: Rng, key: string, v: Json): Json {
  if (typeof v === 'string' && /^0x/i.test(v)) return QUANTITIES.has(key) ? mutateQuantity(rng, v) : mutateHex(rng, v)
  if (Array.isArray(v)) {
    const a = [...v]
    switch (rng.int(0, 6)) {
      case 0: a.pop(); return a
      case 1: if (a.length > 0) a.push(a[0]!); return a // duplicate
      case 2: if (a.length > 1) [a[0], a[a.length - 1]] = [a[a.length - 1]!, a[0]!]; return a // reorder
      case 3: if (a.length > 0) { const i = rng.int(0, a.length - 1); a[i] = mutateValue(rng, key, a[i]!) } return a
      case 4: a.push(randomValue(rng) as Json); return a
      case 5: return []
      default: return rng.pick([{}, '0x', null])
    }
  }
  if (typeof v === 'object' && v !== null) return mutateObject(rng, v)
  return randomValue(rng) as Json
}

function mutateObject(rng: Rng, o: { [k: string]: Json }): Json {
  const out = { ...o }
  const keys = Object.keys(out)
  const r = rng.int(0, 9)
  if (r === 0 && keys.length > 0) delete out[rng.pick(keys)]
  else if (r === 1) out[rng.pick(['extra', 'blockAccessList', 'slotNumber', 'withdrawals', '__proto__x'])] = randomValue(rng) as Json
  else if (r === 2 && keys.length > 0) out[rng.pick(keys)] = null
  else if (keys.length > 0) {
    const k = rng.pick(keys)
    out[k] = mutateValue(rng, k, out[k]!)
  }
  return out
}

/** One mutant of the honest params ([payload, versionedHashes, beaconRoot, requests] from V3 on). */
export function mutateNewPayload(rng: Rng, honest: NewPayloadParams): NewPayloadParams {
  let params = clone(honest)
  const edits = rng.int(1, 3)
  for (let e = 0; e < edits; e++) {
    const i = rng.chance(0.75) ? 0 : rng.int(0, params.length) // sometimes one past the end: an extra param
    if (i >= params.length) params = [...params, randomValue(rng) as Json]
    else params[i] = i === 0 ? mutateObject(rng, params[0] as { [k: string]: Json }) : mutateValue(rng, 'param', params[i]!)
  }
  return params
}

/** Canonical form for comparison: lower-case hex, quantities as numbers, only the honest keys. */
function normal(v: Json, shape: Json, key = ''): Json {
  if (typeof v === 'string' && /^0x/i.test(v)) {
    const h = `0x${v.slice(2).toLowerCase()}`
    if (QUANTITIES.has(key) && /^0x(0|[1-9a-f][0-9a-f]*)$/.test(h)) return BigInt(h).toString(16)
    return h
  }
  if (Array.isArray(v)) return v.map((x, i) => normal(x, Array.isArray(shape) ? (shape[i] ?? null) : null, key))
  if (typeof v === 'object' && v !== null && typeof shape === 'object' && shape !== null && !Array.isArray(shape)) {
    const out: { [k: string]: Json } = {}
    for (const k of Object.keys(shape)) if (k in v) out[k] = normal(v[k]!, shape[k]!, k)
    return out
  }
  return v
}

/** Does `mutant` describe exactly the honest block (and params)? */
export function sameBlock(mutant: NewPayloadParams, honest: NewPayloadParams): boolean {
  if (mutant.length !== honest.length) return false
  return JSON.stringify(normal(mutant, honest)) === JSON.stringify(normal(honest, honest))
}
