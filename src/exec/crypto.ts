// Native secp256k1 (libsecp256k1 through the `secp256k1` addon) for sender recovery, plugged into
// ethereumjs' Common as customCrypto.ecrecover. Falls back to ethereumjs' JS implementation when the
// addon did not load (the package itself then falls back to `elliptic`, which we detect and skip).
import { createRequire } from 'node:module'
import { ecrecover as jsEcrecover, setLengthLeft } from '@ethereumjs/util'
import type { CustomCrypto } from '@ethereumjs/common'

interface NativeSecp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
}

function loadNative(): NativeSecp256k1 | undefined {
  try {
    const require = createRequire(import.meta.url)
    // `secp256k1/bindings` only loads the compiled addon; it throws when there is none.
    return require('secp256k1/bindings') as NativeSecp256k1
  } catch {
    return undefined
  }
}

const native = loadNative()

/** True when native libsecp256k1 is in use. */
export const nativeSecp256k1 = native !== undefined

function recoveryId(v: bigint, chainId?: bigint): number {
  const rec = chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
  if (rec !== 0n && rec !== 1n) throw new Error('Invalid signature v value')
  return Number(rec)
}

/** Same contract as @ethereumjs/util `ecrecover`: 64-byte uncompressed public key (no 0x04 prefix). */
export function nativeEcrecover(
  msgHash: Uint8Array,
  v: bigint,
  r: Uint8Array,
  s: Uint8Array,
  chainId?: bigint,
): Uint8Array {
  if (native === undefined) return jsEcrecover(msgHash, v, r, s, chainId)
  const recid = recoveryId(v, chainId)
  const sig = new Uint8Array(64)
  sig.set(setLengthLeft(r, 32), 0)
  sig.set(setLengthLeft(s, 32), 32)
  const pub = native.ecdsaRecover(sig, recid, msgHash, false)
  return pub.subarray(1)
}

/** customCrypto for every Common Parallax creates. */
export function parallaxCrypto(extra: CustomCrypto = {}): CustomCrypto {
  return native === undefined ? { ...extra } : { ecrecover: nativeEcrecover, ...extra }
}
