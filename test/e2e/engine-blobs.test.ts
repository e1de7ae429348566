// Blob transactions through the Engine API: sent with their sidecar via eth_sendRawTransaction,
// served by engine_getBlobsV1 (Prague) / V2 (Osaka, cell proofs), included by the builder with the
// right blobsBundle (V1 proofs for getPayloadV4, 128 cell proofs per blob for getPayloadV5), and the
// payload is VALID when sent back with its versioned hashes.
import t from 'tap'
import { createBlob4844Tx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { devGenesisJson, startHarness, DEV_KEYS, randomHash, type Hex } from '../helpers/engine-harness.ts'

const hx = (v: Uint8Array | string): Hex => (typeof v === 'string' ? (v as Hex) : (bytesToHex(v) as Hex))

interface Bundle { commitments: Hex[]; proofs: Hex[]; blobs: Hex[] }

for (const fork of ['prague', 'osaka'] as const) {
  t.test(`blob transaction round trip (${fork})`, async (t) => {
    const g = devGenesisJson()
    if (fork === 'osaka') g.config['osakaTime'] = 0
    const h = await startHarness(g)
    try {
      const tx = createBlob4844Tx(
        {
          nonce: 0n, to: `0x${'11'.repeat(20)}`, gasLimit: 21000n, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n,
          maxFeePerBlobGas: 10n ** 9n, chainId: 1337n, blobsData: ['parallax blob test'],
        },
        { common: h.common },
      ).sign(DEV_KEYS[2]!)
      const hash = (await h.rpc.call('eth_sendRawTransaction', [bytesToHex(tx.serializeNetworkWrapper())])) as Hex
      t.equal(hash, bytesToHex(tx.hash()), 'accepted with its sidecar')
      const vh = hx(tx.blobVersionedHashes[0]!)
      if (fork === 'prague') {
        const blobs = (await h.rpc.call('engine_getBlobsV1', [[vh, randomHash()]])) as ({ blob: Hex; proof: Hex } | null)[]
        t.equal(blobs[0]?.blob, hx(tx.blobs![0]!), 'getBlobsV1 serves the blob')
        t.equal(blobs[1], null, 'and null for an unknown hash')
      } else {
        const blobs = (await h.rpc.call('engine_getBlobsV2', [[vh]])) as { blob: Hex; proofs: Hex[] }[] | null
        t.equal(blobs?.[0]?.proofs.length, 128, 'getBlobsV2 serves 128 cell proofs')
        t.equal(await h.rpc.call('engine_getBlobsV2', [[vh, randomHash()]]), null, 'V2 is all-or-nothing')
      }
      const { env, built } = await h.engine.build(h.genesis, { timestamp: h.genesis.timestamp + 12n, prevRandao: randomHash() })
      t.equal(env.payload.transactions.length, 1, 'the builder included the blob tx')
      const bundle = (built as unknown as { blobsBundle: Bundle }).blobsBundle
      t.equal(bundle.commitments.length, 1)
      t.equal(bundle.blobs.length, 1)
      t.equal(bundle.proofs.length, fork === 'osaka' ? 128 : 1, fork === 'osaka' ? 'cell proofs (BlobsBundleV2)' : 'one proof per blob (BlobsBundleV1)')
      t.equal(bundle.commitments[0], hx(tx.kzgCommitments![0]!))
      t.equal(env.payload.blobGasUsed, '0x20000', 'blobGasUsed is one blob')
      const params = [env.payload, [vh], env.parentBeaconBlockRoot, env.executionRequests ?? []]
      const st = (await h.rpc.call('engine_newPayloadV4', params)) as { status: string; validationError: string | null }
      t.equal(st.status, 'VALID', st.validationError ?? 'VALID')
      const wrong = (await h.rpc.call('engine_newPayloadV4', [env.payload, [randomHash()], env.parentBeaconBlockRoot, env.executionRequests ?? []])) as { status: string; latestValidHash: string | null }
      t.equal(wrong.status, 'INVALID', 'wrong versioned hashes → INVALID')
      t.equal(wrong.latestValidHash, null)
    } finally {
      await h.close()
    }
  })
}
