// The key-prefix table and its helpers.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { key, metaKey, MetaKey, Prefix, prefixEnd, readU64be, u64be } from '../../../src/db/keys.ts'

const lex = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b)

t.test('prefix bytes are distinct, single bytes, never 0x00', async (t) => {
  const values = Object.values(Prefix)
  t.equal(new Set(values).size, values.length, 'no prefix number is used twice')
  for (const [name, v] of Object.entries(Prefix)) t.ok(Number.isInteger(v) && v > 0 && v < 0xff, `${name} = ${v}`)
  const metas = Object.values(MetaKey)
  t.equal(new Set(metas).size, metas.length, 'meta names distinct')
})

t.test('key() and metaKey()', async (t) => {
  t.equal(bytesToHex(key(Prefix.Header, Uint8Array.of(0xaa, 0xbb))), '0x05aabb')
  t.equal(bytesToHex(key(Prefix.TxLookup, Uint8Array.of(1), Uint8Array.of(2, 3))), '0x0d010203', 'parts concatenated')
  t.equal(bytesToHex(key(Prefix.Canonical)), '0x08', 'no parts: the prefix alone')
  t.equal(bytesToHex(metaKey(MetaKey.Head)), '0x0a68656164', "Meta ‖ ascii 'head'")
})

t.test('u64be / readU64be', async (t) => {
  t.equal(bytesToHex(u64be(0)), '0x0000000000000000')
  t.equal(bytesToHex(u64be(1)), '0x0000000000000001')
  t.equal(bytesToHex(u64be(0x0102030405n)), '0x0000000102030405')
  t.equal(bytesToHex(u64be(2n ** 64n - 1n)), '0xffffffffffffffff')
  t.equal(bytesToHex(u64be(Number.MAX_SAFE_INTEGER)), '0x001fffffffffffff', 'number input')
  for (const n of [0n, 1n, 255n, 256n, 65_535n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]) t.equal(readU64be(u64be(n)), n, `round trip ${n}`)
  // A view into a larger buffer at an offset (as when the number sits inside a longer key or value).
  const big = new Uint8Array(20)
  big.set(u64be(123456789n), 5)
  t.equal(readU64be(big.subarray(5, 13)), 123456789n, 'reads a subarray at its byteOffset')
})

t.test('u64be keys sort like the numbers (canonical index order)', async (t) => {
  const nums = [0n, 1n, 9n, 10n, 255n, 256n, 1000n, 2n ** 32n, 2n ** 40n + 7n, 2n ** 64n - 1n]
  const shuffled = [...nums].reverse().map((n) => u64be(n))
  shuffled.sort(lex)
  t.same(shuffled.map(readU64be), nums)
})

t.test('prefixEnd', async (t) => {
  t.equal(bytesToHex(prefixEnd(Uint8Array.of(0x01))), '0x02')
  t.equal(bytesToHex(prefixEnd(Uint8Array.of(0x01, 0x02))), '0x0103')
  t.equal(bytesToHex(prefixEnd(Uint8Array.of(0x01, 0xff))), '0x02', 'trailing 0xff carries')
  t.equal(bytesToHex(prefixEnd(Uint8Array.of(0x01, 0xfe, 0xff, 0xff))), '0x01ff')
  const input = Uint8Array.of(0x07, 0xff)
  prefixEnd(input)
  t.equal(bytesToHex(input), '0x07ff', 'input not mutated')
  const end = prefixEnd(Uint8Array.of(0xff))
  t.ok(lex(end, Uint8Array.of(0xff)) > 0, 'all-0xff prefix: end is still above the prefix')

  // Property: for prefix p, every key starting with p is in [p, end), and keys after p's block are >= end.
  const prefixes = [Uint8Array.of(0x01), Uint8Array.of(0x0a, 0x68), Uint8Array.of(0x05, 0xff), Uint8Array.of(0x00, 0xff, 0xff)]
  for (const p of prefixes) {
    const e = prefixEnd(p)
    const inside = [p, Uint8Array.from([...p, 0x00]), Uint8Array.from([...p, 0xff, 0xff, 0xff]), Uint8Array.from([...p, ...new Uint8Array(40).fill(0xff)])]
    t.ok(inside.every((k) => lex(k, p) >= 0 && lex(k, e) < 0), `keys under ${bytesToHex(p)} are inside [p, end)`)
    const next = Uint8Array.from(p)
    let i = next.length - 1
    while (next[i] === 0xff) next[i--] = 0
    next[i]!++
    t.ok(lex(next, e) >= 0, `first key after the ${bytesToHex(p)} block (${bytesToHex(next)}) is >= end`)
  }
})
