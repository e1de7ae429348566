// Blobs of pooled blob transactions, by versioned hash, for engine_getBlobsV1/V2 and for the payload
// builder's blobs bundle. Proofs of the other kind (blob proof from a version-1 sidecar, cell proofs
// from a version-0 one) are computed on first request and kept. Sidecars of included transactions
// wait in a limbo for a while, so a reorg can put their transactions back into the pool.
import { CELLS_PER_EXT_BLOB, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { KZG, PrefixedHexString } from '@ethereumjs/util'
import type { BlobSidecar } from './sidecar.ts'

interface BlobEntry {
  blob: Uint8Array
  commitment: Uint8Array
  proof?: Uint8Array
  cellProofs?: Uint8Array[]
  /** Pool transactions and limbo entries holding this blob. */
  refs: number
}

interface LimboEntry {
  versionedHashes: PrefixedHexString[]
  includedAt: bigint
}

/** engine_getBlobsV1 item. */
export interface BlobAndProof {
  blob: Uint8Array
  proof: Uint8Array
}

/** engine_getBlobsV2 item: the blob and its CELLS_PER_EXT_BLOB cell proofs. */
export interface BlobAndCellProofs {
  blob: Uint8Array
  proofs: Uint8Array[]
}

/** What a built payload carries beside the block (engine_getPayloadV3+ `blobsBundle`). */
export interface BlobsBundle {
  blobs: Uint8Array[]
  commitments: Uint8Array[]
  /** One blob proof per blob, or CELLS_PER_EXT_BLOB cell proofs per blob. */
  proofs: Uint8Array[]
}

export class BlobStore {
  private readonly blobs = new Map<PrefixedHexString, BlobEntry>()
  private readonly limbo = new Map<PrefixedHexString, LimboEntry>()

  constructor(private readonly kzg: () => KZG | undefined) {}

  /** Number of distinct blobs held (pool and limbo). */
  get size(): number {
    return this.blobs.size
  }

  /** Takes a reference on each blob of a verified sidecar. */
  add(versionedHashes: readonly PrefixedHexString[], sidecar: BlobSidecar): void {
    versionedHashes.forEach((vh, i) => {
      const entry = this.blobs.get(vh)
      if (entry !== undefined) {
        entry.refs++
        return
      }
      const fresh: BlobEntry = { blob: sidecar.blobs[i]!, commitment: sidecar.commitments[i]!, refs: 1 }
      if (sidecar.version === 0) fresh.proof = sidecar.proofs[i]!
      else fresh.cellProofs = sidecar.proofs.slice(i * CELLS_PER_EXT_BLOB, (i + 1) * CELLS_PER_EXT_BLOB)
      this.blobs.set(vh, fresh)
    })
  }

  /** Drops a reference on each blob; blobs nobody holds are forgotten. */
  release(versionedHashes: readonly PrefixedHexString[]): void {
    for (const vh of versionedHashes) {
      const entry = this.blobs.get(vh)
      if (entry === undefined) continue
      if (--entry.refs <= 0) this.blobs.delete(vh)
    }
  }

  /** An included transaction's blobs move to the limbo (its references move with them). */
  toLimbo(txHash: PrefixedHexString, versionedHashes: readonly PrefixedHexString[], includedAt: bigint): void {
    const prev = this.limbo.get(txHash)
    if (prev !== undefined) this.release(prev.versionedHashes)
    this.limbo.set(txHash, { versionedHashes: [...versionedHashes], includedAt })
  }

  /** Whether the limbo holds the blobs of `txHash`. */
  inLimbo(txHash: PrefixedHexString): boolean {
    return this.limbo.has(txHash)
  }

  /** Takes a transaction out of the limbo; its blob references pass to the caller. */
  takeFromLimbo(txHash: PrefixedHexString): boolean {
    const entry = this.limbo.get(txHash)
    if (entry === undefined) return false
    this.limbo.delete(txHash)
    return true
  }

  /** Forgets limbo entries included before `oldest`. */
  pruneLimbo(oldest: bigint): void {
    for (const [hash, entry] of this.limbo) {
      if (entry.includedAt >= oldest) continue
      this.limbo.delete(hash)
      this.release(entry.versionedHashes)
    }
  }

  has(versionedHash: PrefixedHexString): boolean {
    return this.blobs.has(versionedHash)
  }

  /** The KZG commitment of a held blob. */
  getCommitment(versionedHash: Uint8Array): Uint8Array | undefined {
    return this.blobs.get(bytesToHex(versionedHash))?.commitment
  }

  /** engine_getBlobsV1: blob and blob proof per versioned hash, null where unknown. */
  getBlobs(versionedHashes: readonly Uint8Array[]): (BlobAndProof | null)[] {
    return versionedHashes.map((vh) => {
      const entry = this.blobs.get(bytesToHex(vh))
      return entry === undefined ? null : { blob: entry.blob, proof: this.blobProof(entry) }
    })
  }

  /** engine_getBlobsV2: blob and its cell proofs per versioned hash, null where unknown. */
  getBlobsAndCellProofs(versionedHashes: readonly Uint8Array[]): (BlobAndCellProofs | null)[] {
    return versionedHashes.map((vh) => {
      const entry = this.blobs.get(bytesToHex(vh))
      return entry === undefined ? null : { blob: entry.blob, proofs: this.cellProofs(entry) }
    })
  }

  /** The bundle of one transaction's blobs, undefined when one is missing. */
  bundle(versionedHashes: readonly PrefixedHexString[], cellProofs: boolean): BlobsBundle | undefined {
    const out: BlobsBundle = { blobs: [], commitments: [], proofs: [] }
    for (const vh of versionedHashes) {
      const entry = this.blobs.get(vh)
      if (entry === undefined) return undefined
      out.blobs.push(entry.blob)
      out.commitments.push(entry.commitment)
      if (cellProofs) out.proofs.push(...this.cellProofs(entry))
      else out.proofs.push(this.blobProof(entry))
    }
    return out
  }

  private requireKzg(): KZG {
    const kzg = this.kzg()
    if (kzg === undefined) throw new Error('blob proofs need a KZG library (customCrypto.kzg)')
    return kzg
  }

  private blobProof(entry: BlobEntry): Uint8Array {
    entry.proof ??= hexToBytes(this.requireKzg().computeBlobProof(bytesToHex(entry.blob), bytesToHex(entry.commitment)) as PrefixedHexString)
    return entry.proof
  }

  private cellProofs(entry: BlobEntry): Uint8Array[] {
    entry.cellProofs ??= this.requireKzg()
      .computeCellsAndProofs(bytesToHex(entry.blob))[1]
      .map((p) => hexToBytes(p as PrefixedHexString))
    return entry.cellProofs
  }
}
