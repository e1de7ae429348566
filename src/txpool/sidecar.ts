// Blob sidecars of blob transactions in network form: shape checks, the versioned hashes, and KZG
// verification of the proofs (blob proofs for version 0, cell proofs for version 1 / EIP-7594).
import { CELLS_PER_EXT_BLOB, bytesToHex, computeVersionedHash, hexToBytes } from '@ethereumjs/util'
import type { KZG } from '@ethereumjs/util'
import { TxPoolMessage as M, TxPoolReason as R, txPoolError } from './errors.ts'

export const BLOB_SIZE = 131072
export const KZG_COMMITMENT_SIZE = 48
export const KZG_PROOF_SIZE = 48
/** The version byte of a versioned hash of a KZG commitment (EIP-4844). */
export const VERSIONED_HASH_VERSION_KZG = 1

export interface BlobSidecar {
  /** 0: one blob proof per blob (EIP-4844); 1: CELLS_PER_EXT_BLOB cell proofs per blob (EIP-7594). */
  version: 0 | 1
  blobs: Uint8Array[]
  commitments: Uint8Array[]
  /** Version 0: one per blob. Version 1: CELLS_PER_EXT_BLOB per blob, blob by blob. */
  proofs: Uint8Array[]
}

/** The sidecar lists of a network-form blob transaction (`[tx, (version,) blobs, commitments, proofs]`). */
export function parseSidecar(version: 0 | 1, blobs: unknown, commitments: unknown, proofs: unknown): BlobSidecar {
  return {
    version,
    blobs: byteList(blobs, 'blobs', BLOB_SIZE),
    commitments: byteList(commitments, 'commitments', KZG_COMMITMENT_SIZE),
    proofs: byteList(proofs, 'proofs', KZG_PROOF_SIZE),
  }
}

function byteList(value: unknown, name: string, size: number): Uint8Array[] {
  if (!Array.isArray(value)) throw txPoolError(R.InvalidBlobTx, `invalid blob sidecar: ${name} is not a list`)
  return value.map((item: unknown, i) => {
    if (!(item instanceof Uint8Array)) throw txPoolError(R.InvalidBlobTx, `invalid blob sidecar: ${name}[${i}] is a list`)
    if (item.length !== size) {
      throw txPoolError(R.InvalidBlobTx, `invalid blob sidecar: ${name}[${i}] is ${item.length} bytes, want ${size}`)
    }
    return item
  })
}

/** The versioned hash of a KZG commitment: 0x01 ‖ sha256(commitment)[1:]. */
export function versionedHash(commitment: Uint8Array): Uint8Array {
  return hexToBytes(computeVersionedHash(bytesToHex(commitment), VERSIONED_HASH_VERSION_KZG))
}

/**
 * Checks the sidecar against the transaction's versioned hashes, then the KZG proofs. Throws
 * TxPoolError (geth's messages) on any mismatch.
 */
export function verifySidecar(sidecar: BlobSidecar, hashes: readonly string[], kzg: KZG): void {
  const n = hashes.length
  if (sidecar.blobs.length !== n) throw txPoolError(R.InvalidBlobTx, `invalid number of ${sidecar.blobs.length} blobs compared to ${n} blob hashes`)
  if (sidecar.commitments.length !== n) {
    throw txPoolError(R.InvalidBlobTx, `invalid number of ${sidecar.commitments.length} blob commitments compared to ${n} blob hashes`)
  }
  const wantProofs = sidecar.version === 0 ? n : n * CELLS_PER_EXT_BLOB
  if (sidecar.proofs.length !== wantProofs) {
    throw txPoolError(R.InvalidBlobTx, `invalid number of ${sidecar.proofs.length} blob proofs expected ${wantProofs}`)
  }
  for (let i = 0; i < n; i++) {
    const computed = bytesToHex(versionedHash(sidecar.commitments[i]!))
    if (computed !== hashes[i]!.toLowerCase()) {
      throw txPoolError(R.InvalidBlobTx, `blob ${i}: computed hash ${computed} mismatches transaction one ${hashes[i]}`)
    }
  }
  let ok: boolean
  try {
    const blobs = sidecar.blobs.map((b) => bytesToHex(b))
    const commitments = sidecar.commitments.map((c) => bytesToHex(c))
    const proofs = sidecar.proofs.map((p) => bytesToHex(p))
    if (sidecar.version === 0) {
      ok = kzg.verifyBlobProofBatch(blobs, commitments, proofs)
    } else {
      const cells: string[] = []
      const cellCommitments: string[] = []
      const indices: number[] = []
      blobs.forEach((blob, i) => {
        const blobCells = kzg.computeCells(blob)
        for (let j = 0; j < CELLS_PER_EXT_BLOB; j++) {
          cells.push(blobCells[j]!)
          cellCommitments.push(commitments[i]!)
          indices.push(j)
        }
      })
      ok = kzg.verifyCellKzgProofBatch(cellCommitments, indices, cells, proofs)
    }
  } catch (err) {
    throw txPoolError(R.KzgVerification, M.kzg, `invalid blob proof: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!ok) throw txPoolError(R.KzgVerification, M.kzg, 'invalid blob proof')
}
