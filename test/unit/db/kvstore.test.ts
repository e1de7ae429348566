// The KVStore contract, run against both implementations: MemoryKV and LevelKV (LevelDB in a temp dir).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import type { KVStore } from '../../../src/db/interface.ts'
import { LevelKV } from '../../../src/db/level.ts'
import { MemoryKV } from '../../../src/db/memory.ts'

const tmpRoot = mkdtempSync(join(tmpdir(), 'parallax-kv-'))
t.teardown(() => rmSync(tmpRoot, { recursive: true, force: true }))
let n = 0

const impls: { name: string; open: () => Promise<KVStore> }[] = [
  { name: 'MemoryKV', open: async () => new MemoryKV() },
  { name: 'LevelKV', open: () => LevelKV.open(join(tmpRoot, `kv-${n++}`)) },
]

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs)
const hex = (k: Uint8Array): string => bytesToHex(k)
async function collect(it: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = []
  for await (const k of it) out.push(hex(k))
  return out
}

for (const impl of impls) {
  t.test(impl.name, async (t) => {
    t.test('get of a missing key is undefined', async (t) => {
      const kv = await impl.open()
      t.equal(await kv.get(b(1, 2, 3)), undefined)
      await kv.close()
    })

    t.test('put / get / overwrite / del', async (t) => {
      const kv = await impl.open()
      await kv.put(b(1), b(0xaa))
      t.same(await kv.get(b(1)), b(0xaa))
      await kv.put(b(1), b(0xbb, 0xcc))
      t.same(await kv.get(b(1)), b(0xbb, 0xcc), 'overwrite replaces')
      await kv.del(b(1))
      t.equal(await kv.get(b(1)), undefined, 'deleted')
      await kv.del(b(9))
      t.equal(await kv.get(b(9)), undefined, 'deleting a missing key is fine')
      await kv.put(b(2), new Uint8Array(0))
      const empty = await kv.get(b(2))
      t.ok(empty !== undefined && empty.length === 0, 'an empty value is stored, distinct from a missing one')
      await kv.close()
    })

    t.test('keys are distinct by every byte (no prefix collisions)', async (t) => {
      const kv = await impl.open()
      await kv.put(b(1), b(1))
      await kv.put(b(1, 0), b(2))
      await kv.put(b(0, 1), b(3))
      t.same(await kv.get(b(1)), b(1))
      t.same(await kv.get(b(1, 0)), b(2))
      t.same(await kv.get(b(0, 1)), b(3))
      await kv.close()
    })

    t.test('batch applies puts and dels in order', async (t) => {
      const kv = await impl.open()
      await kv.put(b(5), b(5))
      await kv.batch([
        { type: 'put', key: b(1), value: b(1) },
        { type: 'put', key: b(2), value: b(2) },
        { type: 'del', key: b(5) },
        { type: 'put', key: b(3), value: b(3) },
        { type: 'del', key: b(3) }, // put then del of one key: deleted
        { type: 'del', key: b(4) },
        { type: 'put', key: b(4), value: b(4) }, // del then put: present
      ])
      t.same(await kv.get(b(1)), b(1))
      t.same(await kv.get(b(2)), b(2))
      t.equal(await kv.get(b(3)), undefined)
      t.same(await kv.get(b(4)), b(4))
      t.equal(await kv.get(b(5)), undefined)
      await kv.batch([])
      t.same(await kv.get(b(1)), b(1), 'an empty batch changes nothing')
      await kv.close()
    })

    t.test('keys(range) is [gte, lt), in ascending byte order', async (t) => {
      const kv = await impl.open()
      const keys = [b(0x01), b(0x02, 0xff), b(0x02), b(0x02, 0x00), b(0x02, 0x10, 0x01), b(0x03), b(0x02, 0x01)]
      for (const k of keys) await kv.put(k, b(0))
      t.same(await collect(kv.keys({ gte: b(0x02), lt: b(0x03) })), ['0x02', '0x0200', '0x0201', '0x021001', '0x02ff'])
      t.same(await collect(kv.keys({ gte: b(0x02, 0x01), lt: b(0x02, 0xff) })), ['0x0201', '0x021001'], 'upper bound excluded')
      t.same(await collect(kv.keys({ gte: b(0x00), lt: b(0xff) })), [
        '0x01', '0x02', '0x0200', '0x0201', '0x021001', '0x02ff', '0x03',
      ])
      t.same(await collect(kv.keys({ gte: b(0x04), lt: b(0x05) })), [], 'empty range')
      await kv.del(b(0x02, 0x01))
      t.same(await collect(kv.keys({ gte: b(0x02, 0x01), lt: b(0x02, 0xff) })), ['0x021001'], 'deleted keys gone')
      await kv.close()
    })
  })
}
