// Native secp256k1 (libsecp256k1 through the `secp256k1` addon) for sender recovery, plugged into
// ethereumjs' Common as customCrypto.ecrecover. Falls back to ethereumjs' JS implementation when the
// addon did not load (the package itself then falls back to `elliptic`, which we detect and skip).
import { createRequire } from 'node:module'
import { ecrecover as jsEcrecover, setLengthLeft } from '@ethereumjs/util'
import type { CustomCrypto } from '@ethereumjs/common'
import type { KZG } from '@ethereumjs/util'
import { keccak256 } from '../util/keccak.ts'
import { createKzg } from './kzg.ts'

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
  // Typed transactions carry the y-parity (0/1) directly; legacy ones 27/28 or EIP-155's 35+2·chainId.
  const rec = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
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
  return native === undefined ? { keccak256, ...extra } : { keccak256, ecrecover: nativeEcrecover, ...extra }
}

let kzg: KZG | undefined

/**
 * The KZG library for blob transactions and the point-evaluation precompile: c-kzg (native, with
 * the mainnet trusted setup), loaded once per process (~2 s: parsing the setup).
 */
export function loadKzg(): KZG {
  kzg ??= createKzg()
  return kzg
}

/**
 * A KZG whose trusted setup is loaded on first use, so processes that never meet a blob (most
 * imports, the CLI's short commands) do not pay the ~2 s setup.
 */
export const lazyKzg: KZG = {
  blobToKzgCommitment: (...a) => loadKzg().blobToKzgCommitment(...a),
  computeBlobProof: (...a) => loadKzg().computeBlobProof(...a),
  verifyProof: (...a) => loadKzg().verifyProof(...a),
  verifyBlobProofBatch: (...a) => loadKzg().verifyBlobProofBatch(...a),
  computeCells: (...a) => loadKzg().computeCells(...a),
  computeCellsAndProofs: (...a) => loadKzg().computeCellsAndProofs(...a),
  recoverCellsAndProofs: (...a) => loadKzg().recoverCellsAndProofs(...a),
  verifyCellKzgProofBatch: (...a) => loadKzg().verifyCellKzgProofBatch(...a),
}

/** customCrypto with native secp256k1 and KZG (needed to decode and verify blob transactions). */
export function parallaxCryptoWithKzg(): CustomCrypto {
  return parallaxCrypto({ kzg: lazyKzg })
}
