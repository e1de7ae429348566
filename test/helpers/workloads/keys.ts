// Seeded randomness and deterministic keys for workload generators: the same seed gives the same
// accounts, the same transactions and byte-identical signatures (RFC 6979, no extra entropy; native
// libsecp256k1 when the addon loads, @noble/curves otherwise: both give the same bytes).
import { createRequire } from 'node:module'
import { Address, bytesToHex, concatBytes, utf8ToBytes } from '@ethereumjs/util'
import type { PrefixedHexString } from '@ethereumjs/util'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'

interface NativeSecp {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number }
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array
}

function loadNative(): NativeSecp | undefined {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp
  } catch {
    return undefined
  }
}
const native = loadNative()

export const keccak = (b: Uint8Array): Uint8Array => keccak_256(b)

/** A small fast PRNG (mulberry32 over a seed mixed with a label): reproducible across runs and machines. */
export class Rng {
  private state: number

  constructor(seed: number | bigint, label = '') {
    const h = keccak(utf8ToBytes(`parallax-rng:${seed.toString()}:${label}`))
    this.state = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  bigint(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n
    const r = (BigInt(Math.floor(this.next() * 2 ** 26)) << 26n) | BigInt(Math.floor(this.next() * 2 ** 26))
    return lo + (r % span)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list')
    return items[Math.floor(this.next() * items.length)]!
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const tmp = items[i]!
      items[i] = items[j]!
      items[j] = tmp
    }
    return items
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256)
    return out
  }
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** A private key derived from (seed, label, index); always a valid secp256k1 scalar. */
export function deriveKey(seed: number | bigint, label: string, index: number): Uint8Array {
  for (let attempt = 0; ; attempt++) {
    const k = keccak(concatBytes(utf8ToBytes(`parallax-key:${seed.toString()}:${label}:${index}:${attempt}`)))
    const v = BigInt(bytesToHex(k))
    if (v !== 0n && v < SECP256K1_N) return k
  }
}

/** An address derived from (seed, label, index) with no key behind it (recipients, contracts). */
export function deriveAddress(seed: number | bigint, label: string, index: number): Address {
  return new Address(keccak(utf8ToBytes(`parallax-addr:${seed.toString()}:${label}:${index}`)).subarray(12))
}

export function addressOfKey(key: Uint8Array): Address {
  const pub = native !== undefined ? native.publicKeyCreate(key, false) : secp256k1.getPublicKey(key, false)
  return new Address(keccak(pub.subarray(1)).subarray(12))
}

/** Deterministic ECDSA signature of a 32-byte hash: y-parity and r, s as bigint. */
export function signHash(msgHash: Uint8Array, key: Uint8Array): { yParity: bigint; r: bigint; s: bigint } {
  if (native !== undefined) {
    const { signature, recid } = native.ecdsaSign(msgHash, key)
    return {
      yParity: BigInt(recid),
      r: BigInt(bytesToHex(signature.subarray(0, 32))),
      s: BigInt(bytesToHex(signature.subarray(32, 64))),
    }
  }
  const sig = secp256k1.Signature.fromBytes(
    secp256k1.sign(msgHash, key, { prehash: false, format: 'recovered', extraEntropy: false }),
    'recovered',
  )
  return { yParity: BigInt(sig.recovery ?? 0), r: sig.r, s: sig.s }
}

/** An externally owned account with a key and the next nonce the generator will use. */
export class Signer {
  readonly key: Uint8Array
  readonly address: Address
  nonce: bigint

  constructor(key: Uint8Array, nonce = 0n) {
    this.key = key
    this.address = addressOfKey(key)
    this.nonce = nonce
  }

  static derive(seed: number | bigint, label: string, index: number): Signer {
    return new Signer(deriveKey(seed, label, index))
  }

  get hex(): PrefixedHexString {
    return this.address.toString()
  }
}
