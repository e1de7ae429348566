// ethereum/tests RLPTests against @ethereumjs/rlp (what Parallax uses for every wire and disk encoding).
//
// Formats (all files: {name: {in, out}}; `out` is hex, with or without 0x, either case):
//   rlptest.json                  valid: `in` is a string (its UTF-8 bytes), an integer, "#<decimal>" (a
//                                 bigint), or a nested array of those. encode(in) must equal out, and
//                                 decode(out) must give the same tree back and re-encode to out.
//   RandomRLPTests/*.json         `in` is "VALID": decode(out) must succeed and re-encode to out.
//   invalidRLPTest.json           `in` is "INVALID": decode(out) must throw.
//     One known deviation, asserted as such (so a library change shows up here): @ethereumjs/rlp
//     decodes the empty input ("emptyEncoding") to an empty byte string instead of throwing. Code that
//     decodes untrusted bytes must reject a zero-length input itself.
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { RLP, type Input, type NestedUint8Array } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToHex, utf8ToBytes } from '@ethereumjs/util'
import { locateSuite, reportMissing } from '../helpers/fixtures.ts'

const SUITE = 'ethereum-tests/RLPTests'

/** Invalid vectors that @ethereumjs/rlp accepts, with what it returns instead. */
const KNOWN_DEVIATIONS: Record<string, { decodesTo: string; why: string }> = {
  emptyEncoding: {
    decodesTo: '0x',
    why: '@ethereumjs/rlp returns an empty byte string for zero-length input instead of throwing',
  },
}

type JsonIn = string | number | JsonIn[]
interface RlpCase {
  in: JsonIn
  out: string
}
type HexTree = string | HexTree[]

function parseHex(s: string): Uint8Array {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`fixture 'out' is not hex: ${s}`)
  return Uint8Array.from(Buffer.from(h, 'hex'))
}

/** The fixture's `in` as RLP input; strings become their bytes so the encoder never reads them as hex. */
function toInput(v: JsonIn): Input {
  if (Array.isArray(v)) return v.map(toInput)
  if (typeof v === 'number') return BigInt(v)
  if (v.startsWith('#')) return BigInt(v.slice(1))
  return utf8ToBytes(v)
}

/** The tree that decoding `out` must give: integers as minimal big-endian bytes (0 → empty). */
function expectedTree(v: JsonIn): HexTree {
  if (Array.isArray(v)) return v.map(expectedTree)
  if (typeof v === 'number') return bytesToHex(bigIntToUnpaddedBytes(BigInt(v)))
  if (v.startsWith('#')) return bytesToHex(bigIntToUnpaddedBytes(BigInt(v.slice(1))))
  return bytesToHex(utf8ToBytes(v))
}

function toHexTree(d: Uint8Array | NestedUint8Array): HexTree {
  return d instanceof Uint8Array ? bytesToHex(d) : d.map(toHexTree)
}

function listJson(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listJson(p))
    else if (name.endsWith('.json')) out.push(p)
  }
  return out
}

const loc = locateSuite(SUITE)
if (loc === undefined) {
  reportMissing(SUITE)
  t.fail(`${SUITE} not found (test/vendored should always have it)`)
} else {
  const files = listJson(loc.path)
  t.ok(files.length >= 3, `found ${files.length} RLPTests files in ${loc.source} (${loc.path})`)
  const summary: string[] = []

  for (const path of files) {
    const rel = relative(loc.path, path)
    const cases = Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, RlpCase>)
    let passed = 0
    let deviations = 0

    await t.test(rel, async (t) => {
      for (const [name, c] of cases) {
        await t.test(name, async (t) => {
          const out = parseHex(c.out)
          const outHex = bytesToHex(out)
          let ok = true
          if (c.in === 'INVALID') {
            const known = KNOWN_DEVIATIONS[name]
            if (known !== undefined) {
              // Asserted, not skipped: fails the day the library starts rejecting it (then drop the entry).
              ok = t.equal(bytesToHex(RLP.decode(out) as Uint8Array), known.decodesTo, `known deviation: ${known.why}`)
              if (ok) deviations++
              return
            }
            ok = t.throws(() => RLP.decode(out), `decode(${outHex.slice(0, 24)}…) throws`) !== false
          } else if (c.in === 'VALID') {
            let decoded: Uint8Array | NestedUint8Array | undefined
            ok = t.doesNotThrow(() => {
              decoded = RLP.decode(out)
            }, 'decodes') && ok
            if (decoded !== undefined) ok = t.equal(bytesToHex(RLP.encode(decoded)), outHex, 're-encodes to out') && ok
            else ok = false
          } else {
            ok = t.equal(bytesToHex(RLP.encode(toInput(c.in))), outHex, 'encode(in) == out') && ok
            const decoded = RLP.decode(out)
            ok = t.same(toHexTree(decoded), expectedTree(c.in), 'decode(out) == in') && ok
            ok = t.equal(bytesToHex(RLP.encode(decoded)), outHex, 'decode(out) re-encodes to out') && ok
          }
          if (ok) passed++
        })
      }
    })
    const dev = deviations > 0 ? `, ${deviations} known library deviation (asserted as such)` : ''
    summary.push(`# RLPTests ${rel}: ${passed}/${cases.length} passed${dev} (${loc.source})`)
  }
  for (const line of summary) console.log(line)
}
