// EIP-712 digests against viem's hashTypedData (an independent implementation) over the type
// shapes dapps use, and malformed requests refused naming the field.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { hashTypedData, type TypedDataDefinition } from 'viem'
import { encodeType, typedDataDigest, typedDataJSON } from '../../../src/rpc/typed-data.ts'

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)))

const CASES: { name: string; def: TypedDataDefinition }[] = [
  {
    name: 'nested struct, struct array, bytes32, uint256',
    def: {
      domain: { name: 'Ether Mail', version: '1', chainId: 1n, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' },
      types: {
        Person: [{ name: 'name', type: 'string' }, { name: 'wallets', type: 'address[]' }],
        Mail: [{ name: 'from', type: 'Person' }, { name: 'to', type: 'Person[]' }, { name: 'contents', type: 'string' }, { name: 'tag', type: 'bytes32' }],
      },
      primaryType: 'Mail',
      message: {
        from: { name: 'Cow', wallets: ['0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826', '0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF'] },
        to: [{ name: 'Bob', wallets: [] }, { name: 'Eve', wallets: ['0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB'] }],
        contents: 'Hello',
        tag: `0x${'11'.repeat(32)}`,
      },
    },
  },
  {
    name: 'signed integers, bool, dynamic bytes, short bytesN, fixed-size and nested arrays, salt',
    def: {
      domain: { name: 'X', salt: `0x${'22'.repeat(32)}` },
      types: { Order: [{ name: 'delta', type: 'int256' }, { name: 'small', type: 'int8' }, { name: 'ok', type: 'bool' }, { name: 'blob', type: 'bytes' }, { name: 'id', type: 'bytes4' }, { name: 'grid', type: 'uint16[2][]' }] },
      primaryType: 'Order',
      message: { delta: -123456789n, small: -1, ok: true, blob: '0x0102030405', id: '0xdeadbeef', grid: [[1, 2], [3, 65535]] },
    },
  },
  {
    name: 'the domain alone (primaryType EIP712Domain)',
    def: { domain: { name: 'Only', version: '2', chainId: 1337n }, types: {}, primaryType: 'EIP712Domain', message: {} } as unknown as TypedDataDefinition,
  },
]

t.test('digests equal viem\'s', async (t) => {
  for (const c of CASES) {
    const expected = hashTypedData(c.def)
    // As a wallet sends it: JSON (numbers as decimal strings), EIP712Domain inferred here.
    t.equal(bytesToHex(typedDataDigest(typedDataJSON(json(c.def)))), expected, `${c.name} (object)`)
    t.equal(bytesToHex(typedDataDigest(typedDataJSON(JSON.stringify(json(c.def))))), expected, `${c.name} (JSON string)`)
  }
})

t.test('encodeType lists referenced types after the primary one, sorted', async (t) => {
  const types = typedDataJSON(json(CASES[0]!.def)).types
  t.equal(encodeType(types, 'Mail'), 'Mail(Person from,Person[] to,string contents,bytes32 tag)Person(string name,address[] wallets)')
})

t.test('malformed typed data is refused naming the field', async (t) => {
  const base = json(CASES[1]!.def) as { message: Record<string, unknown> }
  const bad = (message: Record<string, unknown>) => () => typedDataDigest(typedDataJSON({ ...base, message: { ...base.message, ...message } }))
  t.throws(bad({ small: 128 }), { message: /Order\.small out of range for int8/, rpcCode: -32602 })
  t.throws(bad({ id: '0x0102030405' }), { message: /Order\.id longer than bytes4/ })
  t.throws(bad({ blob: 'zz' }), { message: /Order\.blob must be 0x-prefixed hex/ })
  t.throws(bad({ grid: 'no' }), { message: /Order\.grid must be an array/ })
  t.throws(() => typedDataJSON('{not json'), { message: /not valid JSON/ })
  t.throws(() => typedDataJSON({ types: {}, primaryType: 'Missing', domain: {}, message: {} }), { message: /primaryType Missing is not in types/ })
})
