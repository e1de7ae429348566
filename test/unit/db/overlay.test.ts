// Overlay: the write buffer that makes a block one atomic batch.
import t from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { MemoryKV } from '../../../src/db/memory.ts'
import { Overlay } from '../../../src/db/overlay.ts'

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs)
async function collect(it: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = []
  for await (const k of it) out.push(bytesToHex(k))
  return out
}
async function baseWith(entries: [Uint8Array, Uint8Array][]): Promise<MemoryKV> {
  const kv = new MemoryKV()
  for (const [k, v] of entries) await kv.put(k, v)
  return kv
}

t.test('reads see buffered writes first, then the base', async (t) => {
  const base = await baseWith([[b(1), b(0x10)], [b(2), b(0x20)]])
  const ov = new Overlay(base)
  t.same(await ov.get(b(1)), b(0x10), 'falls through to base')
  ov.put(b(1), b(0x11))
  ov.put(b(3), b(0x33))
  t.same(await ov.get(b(1)), b(0x11), 'buffered write shadows base')
  t.same(await ov.get(b(3)), b(0x33), 'new key visible')
  t.same(await base.get(b(1)), b(0x10), 'base untouched')
  t.equal(await base.get(b(3)), undefined, 'base untouched (new key)')
  t.equal(await ov.get(b(9)), undefined, 'missing everywhere')
})

t.test('deletes mask the base; a put after a delete revives', async (t) => {
  const base = await baseWith([[b(1), b(0x10)], [b(2), b(0x20)]])
  const ov = new Overlay(base)
  ov.del(b(1))
  t.equal(await ov.get(b(1)), undefined, 'deleted key masked')
  t.same(await base.get(b(1)), b(0x10), 'still in base')
  ov.put(b(1), b(0x12))
  t.same(await ov.get(b(1)), b(0x12), 'put after del')
  ov.put(b(2), b(0x21))
  ov.del(b(2))
  t.equal(await ov.get(b(2)), undefined, 'del after put')
})

t.test('keys() merges base and writes, in ascending order, within the range', async (t) => {
  const base = await baseWith([
    [b(0x01, 0x01), b(1)],
    [b(0x01, 0x03), b(1)],
    [b(0x01, 0x05), b(1)],
    [b(0x02), b(1)],
  ])
  const ov = new Overlay(base)
  ov.put(b(0x01, 0x02), b(2)) // new, between base keys
  ov.put(b(0x01, 0x03), b(3)) // overwrite of a base key: listed once
  ov.del(b(0x01, 0x05)) // deleted base key: not listed
  ov.put(b(0x01), b(4)) // the range's lower bound itself
  ov.put(b(0x01, 0xff, 0xff), b(5))
  ov.put(b(0x02, 0x00), b(6)) // outside [0x01, 0x02)
  ov.put(b(0x00, 0xff), b(7)) // outside
  ov.del(b(0x01, 0x09)) // delete of a key nowhere: not listed
  t.same(await collect(ov.keys({ gte: b(0x01), lt: b(0x02) })), ['0x01', '0x0101', '0x0102', '0x0103', '0x01ffff'])
  t.same(await collect(ov.keys({ gte: b(0x00), lt: b(0xff) })), [
    '0x00ff', '0x01', '0x0101', '0x0102', '0x0103', '0x01ffff', '0x02', '0x0200',
  ])
  t.same(await collect(ov.keys({ gte: b(0x03), lt: b(0x04) })), [], 'empty range')
})

t.test('ops() round trip: applying them to the base gives the overlay view', async (t) => {
  const base = await baseWith([[b(1), b(0x10)], [b(2), b(0x20)], [b(3), b(0x30)]])
  const ov = new Overlay(base)
  ov.put(b(1), b(0x11))
  ov.del(b(2))
  ov.put(b(4), b(0x44))
  ov.put(b(5), b(0x55))
  ov.del(b(5))
  ov.del(b(6))
  t.equal(ov.size, 5, 'one entry per touched key')
  const ops = ov.ops()
  t.same(
    ops.map((o) => `${o.type}:${bytesToHex(o.key)}${o.type === 'put' ? `=${bytesToHex(o.value)}` : ''}`).sort(),
    ['del:0x02', 'del:0x05', 'del:0x06', 'put:0x01=0x11', 'put:0x04=0x44'],
    'last write per key wins',
  )
  const view = new Map<string, string>()
  for await (const k of ov.keys({ gte: b(0), lt: b(0xff) })) view.set(bytesToHex(k), bytesToHex((await ov.get(k))!))

  await base.batch(ops)
  const after = new Map<string, string>()
  for await (const k of base.keys({ gte: b(0), lt: b(0xff) })) after.set(bytesToHex(k), bytesToHex((await base.get(k))!))
  t.same([...after], [...view], 'base after commit == overlay before commit')
  t.same([...after], [['0x01', '0x11'], ['0x03', '0x30'], ['0x04', '0x44']])

  ov.clear()
  t.equal(ov.size, 0, 'clear() empties the buffer')
  t.same(ov.ops(), [], 'no ops after clear')
  t.same(await ov.get(b(1)), b(0x11), 'reads now come from the committed base')
})

t.test('an overlay discarded without commit leaves no trace', async (t) => {
  const base = await baseWith([[b(1), b(0x10)]])
  const ov = new Overlay(base)
  ov.put(b(2), b(0x20))
  ov.del(b(1))
  t.same(await collect(base.keys({ gte: b(0), lt: b(0xff) })), ['0x01'])
  t.same(await base.get(b(1)), b(0x10))
})

t.test('overlay over overlay (nested block scopes)', async (t) => {
  const base = await baseWith([[b(1), b(0x10)], [b(2), b(0x20)]])
  const outer = new Overlay(base)
  outer.del(b(1))
  outer.put(b(3), b(0x30))
  const inner = new Overlay(outer)
  inner.put(b(1), b(0x11))
  inner.del(b(3))
  t.same(await inner.get(b(1)), b(0x11))
  t.same(await inner.get(b(2)), b(0x20))
  t.equal(await inner.get(b(3)), undefined)
  t.same(await collect(inner.keys({ gte: b(0), lt: b(0xff) })), ['0x01', '0x02'])
  t.same(await collect(outer.keys({ gte: b(0), lt: b(0xff) })), ['0x02', '0x03'])
})

t.test('ops() give the keys as they were when written, whatever the caller does with its buffer later', async (t) => {
  const ov = new Overlay(new MemoryKV())
  const buf = Uint8Array.of(1, 2, 3)
  ov.put(buf, b(9))
  buf[0] = 7
  ov.del(buf)
  buf[0] = 8
  t.same(
    ov.ops().map((op) => [bytesToHex(op.key), op.type]),
    [
      ['0x010203', 'put'],
      ['0x070203', 'del'],
    ],
  )
  ov.clear()
  t.same(ov.ops(), [], 'clear() forgets the keys too')
})
