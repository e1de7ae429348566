// txDecodeCommon (src/util/tx-common.ts): transactions of every type decoded with it are the ones
// decoded with the plain Common (hash, sender, gas, every transaction param), and updateParams with
// other params still merges them.
import t from 'tap'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createAccessList2930Tx, createBlob4844Tx, createEOACode7702Tx, createFeeMarket1559Tx, createLegacyTx, createTxFromBlockBodyData, createTxFromRLP, paramsTx, type TypedTransaction } from '@ethereumjs/tx'
import { RLP } from '@ethereumjs/rlp'
import { commonForFixtureNetwork } from '../../../config/index.ts'
import { parallaxCryptoWithKzg } from '../../../src/exec/crypto.ts'
import { txDecodeCommon } from '../../../src/util/tx-common.ts'

const key = hexToBytes('0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8')
const to = `0x${'11'.repeat(20)}` as const
const hex = (s: string): `0x${string}` => `0x${s}`

t.test('every transaction type decodes to the same transaction', async (t) => {
  const common = commonForFixtureNetwork('Prague', parallaxCryptoWithKzg())
  const fast = txDecodeCommon(common)
  const base = { nonce: 7n, gasLimit: 100_000n, to, value: 5n, data: hex('0102000304') }
  const fee = { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n }
  const accessList = [{ address: to, storageKeys: [hex('00'.repeat(31) + '01')] }]
  const signed: TypedTransaction[] = [
    createLegacyTx({ ...base, gasPrice: 10n ** 10n }, { common }).sign(key),
    createAccessList2930Tx({ ...base, gasPrice: 10n ** 10n, accessList }, { common }).sign(key),
    createFeeMarket1559Tx({ ...base, ...fee, accessList }, { common }).sign(key),
    createBlob4844Tx({ ...base, ...fee, maxFeePerBlobGas: 10n ** 9n, blobVersionedHashes: [hex('01' + '22'.repeat(31))] }, { common }).sign(key),
    createEOACode7702Tx({ ...base, ...fee, authorizationList: [{ chainId: '0x1', address: to, nonce: '0x0', yParity: '0x1', r: hex('33'.repeat(32)), s: hex('44'.repeat(32)) }] }, { common }).sign(key),
  ]
  const paramNames = [...new Set(Object.values(paramsTx).flatMap((p) => Object.keys(p)))]
  t.ok(paramNames.length > 10, `${paramNames.length} transaction params compared`)
  for (const tx of signed) {
    const bytes = tx.serialize()
    const plain = createTxFromRLP(bytes, { common })
    // Both decoders the node uses: from the network encoding (payloads) and from block body data (workers).
    const viaRlp = createTxFromRLP(bytes, { common: fast })
    const viaBody = createTxFromBlockBodyData(bytes[0]! >= 0xc0 ? (RLP.decode(bytes) as Uint8Array[]) : bytes, { common: fast })
    for (const [label, got] of [['rlp', viaRlp], ['body', viaBody]] as const) {
      const what = `type ${tx.type} (${label})`
      t.equal(bytesToHex(got.hash()), bytesToHex(plain.hash()), `${what}: hash`)
      t.equal(got.getSenderAddress().toString(), plain.getSenderAddress().toString(), `${what}: sender`)
      t.equal(got.getIntrinsicGas(), plain.getIntrinsicGas(), `${what}: intrinsic gas`)
      t.equal(got.getDataGas(), plain.getDataGas(), `${what}: data gas`)
      // (param() throws for a param of an EIP not active at this fork: compared as the error.)
      const value = (c: TypedTransaction['common'], n: string) => {
        try {
          return String(c.param(n))
        } catch (err) {
          return `throws ${(err as Error).message}`
        }
      }
      t.same(paramNames.map((n) => value(got.common, n)), paramNames.map((n) => value(plain.common, n)), `${what}: every transaction param`)
      t.equal(got.common.hardfork(), plain.common.hardfork(), `${what}: hardfork`)
    }
  }
})

t.test('other params are still merged', async (t) => {
  const fast = txDecodeCommon(commonForFixtureNetwork('Prague'))
  const copy = fast.copy()
  copy.updateParams(paramsTx) // skipped: already there
  t.equal(copy.param('txGas'), 21000n)
  copy.updateParams({ 1: { txGas: 1234 } })
  t.equal(copy.param('txGas'), 1234n, 'a different params object goes through the library')
})
