// Adapter from c-kzg (bytes in, bytes out) to the hex-string KZG interface ethereumjs expects.
import { createRequire } from 'node:module'
import type { KZG } from '@ethereumjs/util'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'

interface CKzg {
  loadTrustedSetup(precompute: number, filePath?: string): void
  blobToKzgCommitment(blob: Uint8Array): Uint8Array
  computeBlobKzgProof(blob: Uint8Array, commitment: Uint8Array): Uint8Array
  verifyKzgProof(commitment: Uint8Array, z: Uint8Array, y: Uint8Array, proof: Uint8Array): boolean
  verifyBlobKzgProofBatch(blobs: Uint8Array[], commitments: Uint8Array[], proofs: Uint8Array[]): boolean
  computeCells(blob: Uint8Array): Uint8Array[]
  computeCellsAndKzgProofs(blob: Uint8Array): [Uint8Array[], Uint8Array[]]
  recoverCellsAndKzgProofs(indices: number[], cells: Uint8Array[]): [Uint8Array[], Uint8Array[]]
  verifyCellKzgProofBatch(commitments: Uint8Array[], indices: number[], cells: Uint8Array[], proofs: Uint8Array[]): boolean
}

const b = (hex: string): Uint8Array => hexToBytes(hex.startsWith('0x') ? (hex as `0x${string}`) : `0x${hex}`)
const h = (bytes: Uint8Array): string => bytesToHex(bytes)

export function createKzg(): KZG {
  const ckzg = createRequire(import.meta.url)('c-kzg') as CKzg
  ckzg.loadTrustedSetup(0)
  return {
    blobToKzgCommitment: (blob) => h(ckzg.blobToKzgCommitment(b(blob))),
    computeBlobProof: (blob, commitment) => h(ckzg.computeBlobKzgProof(b(blob), b(commitment))),
    verifyProof: (commitment, z, y, proof) => ckzg.verifyKzgProof(b(commitment), b(z), b(y), b(proof)),
    verifyBlobProofBatch: (blobs, commitments, proofs) =>
      ckzg.verifyBlobKzgProofBatch(blobs.map(b), commitments.map(b), proofs.map(b)),
    computeCells: (blob) => ckzg.computeCells(b(blob)).map(h),
    computeCellsAndProofs: (blob) => {
      const [cells, proofs] = ckzg.computeCellsAndKzgProofs(b(blob))
      return [cells.map(h), proofs.map(h)]
    },
    recoverCellsAndProofs: (indices, cells) => {
      const [c, p] = ckzg.recoverCellsAndKzgProofs(indices, cells.map(b))
      return [c.map(h), p.map(h)]
    },
    verifyCellKzgProofBatch: (commitments, indices, cells, proofs) =>
      ckzg.verifyCellKzgProofBatch(commitments.map(b), indices, cells.map(b), proofs.map(b)),
  }
}
