// decodePoolTx's field checks that geth's RLP decoding makes (found by the transaction_test
// fixtures, test/spec/transaction.test.ts; the raw transactions below are from ethereum/tests
// TransactionTests and execution-spec-tests transaction_tests, MIT): a `to` of the wrong size, a
// value with a leading zero, an access-list address of the wrong size and an authorization nonce
// above 2^64-1 are malformed (`rlp: ...`), not a bad signature or an ethereumjs constructor error;
// a high-s signature is valid before Homestead (EIP-2); an RLP fault is reported before an unknown
// transaction type, as geth decodes before its pool checks the type.
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { commonForFixtureNetwork } from '../../../config/index.ts'
import { parallaxCryptoWithKzg } from '../../../src/exec/crypto.ts'
import { decodePoolTx } from '../../../src/txpool/decode.ts'
import { TxPoolError, TxPoolReason } from '../../../src/txpool/index.ts'

const decode = (raw: string, fork: string) =>
  decodePoolTx(hexToBytes(raw as `0x${string}`), {
    common: commonForFixtureNetwork(fork, parallaxCryptoWithKzg()),
    blockGasLimit: 30_000_000n,
    maxTxSize: 128 * 1024,
    maxBlobsPerTx: 6,
    minTip: 0n,
    minBlobFee: 0n,
    isKnown: () => false,
  })

function refusal(raw: string, fork: string): TxPoolError | undefined {
  try {
    decode(raw, fork)
    return undefined
  } catch (err) {
    return err instanceof TxPoolError ? err : undefined
  }
}

const HIGH_S = '0xf85f800182520894095e7baea6a6c7c4c2dfeb977efac326af552d870b801ba048b55bfa915ac795c431978d8a6a992b628d557da5ff759b307d495a36649353a0fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140'
const TO_21_BYTES = '0xf860800182520895b94f5374fce5edbc8e2a8697c15331677e6ebf0b1c0a801ca098ff921201554726367d2be8c804a7ff89ccf285ebc57dff8ae4c44b9c19ac4aa08887321be575c8095f789dd4c743dfe42c1820f9231f98a962b210e3ac2452a3'
const VALUE_LEADING_ZERO = '0xf861800182520894095e7baea6a6c7c4c2dfeb977efac326af552d87820001801ba048b55bfa915ac795c431978d8a6a992b628d557da5ff759b307d495a36649353a01fffd310ac743f371de3b9f7f9cb56c0b28ad43601b4ab949f53faa07bd2c804'
const ACCESS_LIST_ADDRESS_21 = '0x01f8be018001826a4094095e7baea6a6c7c4c2dfeb977efac326af552d878080f85cf85a95b94f5374fce5edbc8e2a8697c15331677e6ebf0b1cf842a00000000000000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000180a05cbd172231fc0735e0fb994dd5b1a4939170a260b36f0427a8a80866b063b948a07c230f7f578dd61785c93361b9871c0706ebfa6d06e3f4491dc9558c5202ed36'
const FEE_CAP_LEADING_ZERO = '0x02f88701808477359400a100ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff82520894095e7baea6a6c7c4c2dfeb977efac326af552d878080c080a05cbd172231fc0735e0fb994dd5b1a4939170a260b36f0427a8a80866b063b948a07c230f7f578dd61785c93361b9871c0706ebfa6d06e3f4491dc9558c5202ed36'
const AUTH_NONCE_2_256 = '0x04f8e201808007830186a09400000000000000000000000000000000000000008080c0f87df87b80940000000000000000000000000000000000000001a101000000000000000000000000000000000000000000000000000000000000000080a05a22e11991d1a2f33c4b13e9531e3feee3a62d53a80183a714dfbafea983f4dda05f2ace3be60c6b0be95d1d326d955028c9c62f9ad345642eff18b33a58406cae80a0eb4777755592ad7f544bfab10ad8232b9fd9a78f8df9bc6961e82ac386009b67a035c3ae5a2747d16eadd6391ea075402cbd7dc84905328f88ae4e7f48014f9b8c'

t.test('a high-s signature is valid in Frontier, invalid from Homestead on (EIP-2)', async (t) => {
  t.equal(decode(HIGH_S, 'Frontier').sender.toString(), '0x474869ba435affa1f45aaada48520880921c0887')
  t.equal(refusal(HIGH_S, 'Homestead')?.reason, TxPoolReason.InvalidSender)
})

t.test('fields geth cannot RLP-decode are malformed, with an rlp: message', async (t) => {
  for (const [name, raw, fork, text] of [
    ['to of 21 bytes', TO_21_BYTES, 'Berlin', 'rlp: input string too long for common.Address'],
    ['value with a leading zero', VALUE_LEADING_ZERO, 'Berlin', 'rlp: non-canonical integer (leading zero bytes) for value'],
    ['access-list address of 21 bytes', ACCESS_LIST_ADDRESS_21, 'Berlin', 'rlp: input string too long for common.Address'],
    ['authorization nonce of 2^256', AUTH_NONCE_2_256, 'Prague', 'rlp: input string too long for authorizationList[0].nonce'],
  ] as const) {
    const err = refusal(raw, fork)
    t.equal(err?.reason, TxPoolReason.Malformed, `${name}: malformed`)
    t.ok(err?.message.startsWith(text), `${name}: ${err?.message}`)
  }
})

t.test('an RLP fault comes before "transaction type not supported" (geth decodes first)', async (t) => {
  const err = refusal(FEE_CAP_LEADING_ZERO, 'Berlin')
  t.equal(err?.reason, TxPoolReason.Malformed)
  t.ok(err?.message.startsWith('rlp: input string too long for maxFeePerGas'), String(err?.message))
})
