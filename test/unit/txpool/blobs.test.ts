import t from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { isBlob4844Tx } from '@ethereumjs/tx'
import type { Blob4844Tx } from '@ethereumjs/tx'
import { bytesToHex, equalsBytes, hexToBytes } from '@ethereumjs/util'
import type { PrefixedHexString } from '@ethereumjs/util'
import { loadKzg } from '../../../src/exec/crypto.ts'
import { TxPoolReason as R } from '../../../src/txpool/index.ts'
import { GWEI, blobTx, devCommon, makeBlob, makePool, raw, rejection, signedTx } from './helpers.ts'

const BLOBS = [makeBlob(1), makeBlob(2)]
const osaka = devCommon({ osakaTime: 0n })

const wrapper = (tx: Blob4844Tx): Uint8Array => tx.serializeNetworkWrapper()
const vhs = (tx: Blob4844Tx): Uint8Array[] => tx.blobVersionedHashes.map((h) => hexToBytes(h))

/** Re-encodes a network-form blob transaction after editing its RLP list. */
function tamperWrapper(tx: Blob4844Tx, edit: (outer: unknown[]) => void): Uint8Array {
  const outer = RLP.decode(wrapper(tx).subarray(1)) as unknown[]
  edit(outer)
  return new Uint8Array([3, ...RLP.encode(outer as Uint8Array[])])
}

t.test('a blob transaction in network form is accepted, its blobs are served', async (t) => {
  const kzg = loadKzg()
  const { pool } = makePool()
  const tx = blobTx({ blobs: BLOBS }) as Blob4844Tx
  const hash = await pool.add(wrapper(tx))
  t.ok(equalsBytes(hash, tx.hash()), 'hash of the canonical transaction')
  const pooled = pool.get(hash)
  t.ok(pooled !== undefined && isBlob4844Tx(pooled) && pooled.blobs === undefined, 'the pool holds the canonical form')
  t.same(pool.pending(7n, 1n).map((x) => bytesToHex(x.hash())), [bytesToHex(hash)])
  t.same(pool.pending(7n, 11n), [], 'not executable while the blob base fee is above its blob fee cap')

  const unknown = new Uint8Array(32).fill(1)
  const v1 = pool.getBlobs([...vhs(tx), unknown])
  t.equal(v1[2], null, 'unknown versioned hash: null')
  for (let i = 0; i < 2; i++) {
    t.equal(bytesToHex(v1[i]!.blob), tx.blobs![i], `blob ${i}`)
    t.equal(bytesToHex(v1[i]!.proof), tx.kzgProofs![i], `proof ${i}`)
  }
  const v2 = pool.getBlobsAndCellProofs([vhs(tx)[1]!, unknown])
  t.equal(v2[1], null)
  const proofs = v2[0]!.proofs
  t.equal(proofs.length, 128, '128 cell proofs')
  t.equal(pool.getBlobsAndCellProofs([vhs(tx)[1]!])[0]!.proofs, proofs, 'computed once, then cached')
  const cells = kzg.computeCells(tx.blobs![1]!)
  t.ok(
    kzg.verifyCellKzgProofBatch(
      cells.map(() => tx.kzgCommitments![1]!),
      cells.map((_, i) => i),
      cells,
      proofs.map((p) => bytesToHex(p)),
    ),
    'the cell proofs verify',
  )
  t.equal(bytesToHex(pool.getCommitment(vhs(tx)[0]!)!), tx.kzgCommitments![0], 'getCommitment')
  t.equal(pool.getCommitment(unknown), undefined)
  const bundle = pool.blobsBundle(hash, false)!
  t.same(bundle.commitments.map((c) => bytesToHex(c)), tx.kzgCommitments)
  t.equal(pool.blobsBundle(hash, true)!.proofs.length, 256)
})

t.test('blob transaction rejections', async (t) => {
  const { pool, state } = makePool()
  const tx = blobTx({ blobs: BLOBS }) as Blob4844Tx
  const cases: [string, () => Promise<unknown>, string, string][] = [
    ['canonical form (no sidecar)', () => pool.add(raw(tx)), R.InvalidBlobTx, 'missing sidecar in blob transaction'],
    [
      'proofs swapped',
      () => pool.add(tamperWrapper(tx, (o) => (o[3] = [(o[3] as Uint8Array[])[1]!, (o[3] as Uint8Array[])[0]!]))),
      R.KzgVerification,
      'KZG verification error: invalid blob proof',
    ],
    [
      'commitments swapped',
      () => pool.add(tamperWrapper(tx, (o) => (o[2] = [(o[2] as Uint8Array[])[1]!, (o[2] as Uint8Array[])[0]!]))),
      R.InvalidBlobTx,
      `blob 0: computed hash ${tx.blobVersionedHashes[1]} mismatches transaction one ${tx.blobVersionedHashes[0]}`,
    ],
    ['one blob missing', () => pool.add(tamperWrapper(tx, (o) => (o[1] = [(o[1] as Uint8Array[])[0]!]))), R.InvalidBlobTx, 'invalid number of 1 blobs compared to 2 blob hashes'],
    ['create', () => pool.add(tamperWrapper(tx, (o) => ((o[0] as unknown[])[5] = new Uint8Array()))), R.InvalidBlobTx, 'blob transaction of type create'],
    ['blobless', () => pool.add(tamperWrapper(tx, (o) => ((o[0] as unknown[])[10] = []))), R.InvalidBlobTx, 'blobless blob transaction'],
    [
      'cell-proof sidecar before Osaka',
      () => pool.add(wrapper(blobTx({ blobs: [BLOBS[0]!], common: osaka }) as Blob4844Tx)),
      R.InvalidBlobTx,
      'unexpected sidecar version, want: 0, got: 1',
    ],
    [
      'blob gas counts against the balance',
      async () => {
        state.set(1, { balance: 21000n * 100n * GWEI + 2n * 131072n * 10n - 1n })
        return pool.add(wrapper(blobTx({ key: 1, blobs: BLOBS }) as Blob4844Tx))
      },
      R.InsufficientFunds,
      'insufficient funds for gas * price + value: balance 2100000002621439, tx cost 2100000002621440, overshot 1',
    ],
  ]
  for (const [name, run, reason, message] of cases) {
    const r = await rejection(run()).catch((e: unknown) => ({ reason: 'none', message: String(e) }))
    t.equal(r.reason, reason, `${name}: reason`)
    t.equal(r.message, message, `${name}: message`)
  }

  const limited = makePool({ limits: { maxBlobsPerTx: 1, minBlobFee: 20n } }).pool
  t.match(await rejection(limited.add(wrapper(tx))), { reason: R.BlobLimit, message: 'transaction blob limit exceeded: blob count 2, limit 1' })
  t.match(await rejection(limited.add(wrapper(blobTx({ blobs: [BLOBS[0]!] }) as Blob4844Tx))), {
    reason: R.GasPriceTooLow,
    message: 'transaction gas price below minimum: blob fee cap 10, minimum needed 20',
  })
})

t.test('blob replacement needs every fee cap bumped by 100%; old blobs are released', async (t) => {
  const { pool } = makePool()
  const first = blobTx({ blobs: [BLOBS[0]!], fee: 100n * GWEI, tip: 10n * GWEI, blobFee: 10n }) as Blob4844Tx
  await pool.add(wrapper(first))
  const half = blobTx({ blobs: [BLOBS[1]!], fee: 150n * GWEI, tip: 15n * GWEI, blobFee: 15n }) as Blob4844Tx
  t.match(await rejection(pool.add(wrapper(half))), { reason: R.ReplaceUnderpriced })
  const double = blobTx({ blobs: [BLOBS[1]!], fee: 200n * GWEI, tip: 20n * GWEI, blobFee: 20n }) as Blob4844Tx
  await pool.add(wrapper(double))
  t.equal(pool.getBlobs(vhs(first))[0], null, 'the replaced transaction\'s blob is gone')
  t.not(pool.getBlobs(vhs(double))[0], null)
})

t.test('included blob transactions keep their sidecar for a reorg', async (t) => {
  const { pool, state } = makePool({ limits: { limboDepth: 2n } })
  const tx = blobTx({ blobs: [BLOBS[0]!] }) as Blob4844Tx
  const hash = await pool.add(wrapper(tx))
  state.number = 2n
  state.set(0, { nonce: 1n })
  await pool.onNewHead([pool.get(hash)!], [])
  t.equal(pool.get(hash), undefined, 'included: out of the pool')
  t.not(pool.getBlobs(vhs(tx))[0], null, 'its blob is still served')

  state.set(0, { nonce: 0n })
  await pool.onNewHead([], [pool.get(hash) ?? tx])
  t.ok(pool.get(hash), 'reorged out: back in the pool')
  t.equal(pool.blobsBundle(hash, false)?.blobs.length, 1, 'with its blobs')

  state.set(0, { nonce: 1n })
  await pool.onNewHead([tx], [])
  for (const n of [3n, 4n, 5n]) {
    state.number = n
    await pool.onNewHead([], [])
  }
  t.equal(pool.getBlobs(vhs(tx))[0], null, 'after the limbo depth the sidecar is gone')
  state.set(0, { nonce: 0n })
  await pool.onNewHead([], [tx])
  t.equal(pool.get(hash), undefined, 'a reorged-out blob transaction without sidecar is not re-pooled')
})

t.test('Osaka: cell-proof sidecars; blob proofs computed on request; EIP-7825 gas cap', async (t) => {
  const kzg = loadKzg()
  const { pool } = makePool({ common: osaka })
  const tx = blobTx({ blobs: [BLOBS[0]!], common: osaka }) as Blob4844Tx
  t.equal(tx.networkWrapperVersion, 1)
  t.equal(tx.kzgProofs!.length, 128)
  await pool.add(wrapper(tx))
  const [item] = pool.getBlobs(vhs(tx))
  t.ok(kzg.verifyBlobProofBatch([tx.blobs![0]!], [tx.kzgCommitments![0]!], [bytesToHex(item!.proof) as PrefixedHexString]), 'the computed blob proof verifies')
  t.same(pool.getBlobsAndCellProofs(vhs(tx))[0]!.proofs.map((p) => bytesToHex(p)), tx.kzgProofs, 'cell proofs as submitted')
  const legacy = blobTx({ key: 1, blobs: [BLOBS[1]!] }) as Blob4844Tx
  await pool.add(wrapper(legacy))
  t.equal(pool.getBlobsAndCellProofs(vhs(legacy))[0]!.proofs.length, 128, 'a version-0 sidecar is accepted in Osaka, cell proofs computed')
  // signed under Prague's rules (ethereumjs refuses to build it under Osaka's)
  t.match(await rejection(pool.add(raw(signedTx({ key: 2, gas: 20_000_000n })))), {
    reason: R.GasLimitTooHigh,
    message: 'transaction gas limit too high (cap: 16777216, tx: 20000000)',
  })
})
