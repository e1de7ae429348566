import t from 'tap'
import { ecrecover, hexToBytes, bytesToHex } from '@ethereumjs/util'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { nativeEcrecover, nativeSecp256k1 } from '../../../src/exec/crypto.ts'

const pk = hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')

t.ok(nativeSecp256k1, 'the native secp256k1 addon loads')

for (let i = 0; i < 8; i++) {
  const msg = new Uint8Array(32).fill(i + 1)
  const sig = secp256k1.sign(msg, pk, { prehash: false, format: 'recovered' } as never) as unknown as Uint8Array
  const parity = BigInt(sig[0]!)
  const r = sig.slice(1, 33)
  const s = sig.slice(33)
  const want = bytesToHex(ecrecover(msg, parity + 27n, r, s))
  t.equal(bytesToHex(nativeEcrecover(msg, parity + 27n, r, s)), want, `legacy v=27/28 (#${i})`)
  t.equal(bytesToHex(nativeEcrecover(msg, parity, r, s)), want, `typed tx y-parity 0/1 (#${i})`)
  t.equal(bytesToHex(nativeEcrecover(msg, parity + 35n + 2n * 1337n, r, s, 1337n)), want, `EIP-155 v (#${i})`)
}
t.throws(() => nativeEcrecover(new Uint8Array(32), 29n, new Uint8Array(32).fill(1), new Uint8Array(32).fill(1)), 'bad v rejected')
