// LevelKV specifics: persistence across reopen, one big batch seen whole after reopen, getSync, and
// all-or-nothing batches under kill -9 (a child process is SIGKILLed while or after writing a batch).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import type { BatchOp } from '../../../src/db/interface.ts'
import { prefixEnd, u64be } from '../../../src/db/keys.ts'
import { StorageError } from '../../../src/db/errors.ts'
import { LevelKV } from '../../../src/db/level.ts'
import { REPO_ROOT } from '../../helpers/fixtures.ts'

const tmpRoot = mkdtempSync(join(tmpdir(), 'parallax-level-'))
t.teardown(() => rmSync(tmpRoot, { recursive: true, force: true }))
let n = 0
const freshDir = (): string => join(tmpRoot, `db-${n++}`)

const PFX = Uint8Array.of(0x42)
const k = (i: number): Uint8Array => Uint8Array.from([...PFX, ...u64be(i)])
const v = (i: number): Uint8Array => new TextEncoder().encode(`value-${i}-${'x'.repeat(i % 50)}`)

async function countPrefix(kv: LevelKV, prefix: Uint8Array): Promise<number> {
  let c = 0
  for await (const _ of kv.keys({ gte: prefix, lt: prefixEnd(prefix) })) c++
  return c
}

t.test('writes survive close and reopen', async (t) => {
  const dir = freshDir()
  const kv = await LevelKV.open(dir)
  await kv.put(k(1), v(1))
  await kv.put(k(2), v(2))
  await kv.del(k(2))
  await kv.close()
  const again = await LevelKV.open(dir)
  t.same(await again.get(k(1)), v(1))
  t.equal(await again.get(k(2)), undefined)
  t.same(again.getSync(k(1)), v(1), 'getSync reads the same')
  t.equal(again.getSync(k(2)), undefined, 'getSync of a missing key is undefined')
  await again.close()
})

t.test('a failed read is a StorageError, synchronous or not (never mistaken for an invalid block)', async (t) => {
  const kv = await LevelKV.open(freshDir())
  await kv.close()
  await t.rejects(kv.get(k(1)), StorageError)
  t.throws(() => kv.getSync(k(1)), StorageError)
})

t.test('one batch of many ops, then reopen: every op is there', async (t) => {
  const dir = freshDir()
  const N = 10_000
  const kv = await LevelKV.open(dir, { sync: true })
  await kv.put(k(N + 5), v(0)) // deleted by the batch below
  const ops: BatchOp[] = []
  for (let i = 0; i < N; i++) ops.push({ type: 'put', key: k(i), value: v(i) })
  for (let i = 0; i < N; i += 10) ops.push({ type: 'del', key: k(i) }) // every 10th put is undone
  ops.push({ type: 'del', key: k(N + 5) })
  await kv.batch(ops)
  await kv.close()

  const again = await LevelKV.open(dir)
  t.equal(await countPrefix(again, PFX), N - N / 10, 'count after reopen')
  let wrong = 0
  for (let i = 0; i < N; i++) {
    const got = again.getSync(k(i))
    const want = i % 10 === 0 ? undefined : bytesToHex(v(i))
    if ((got === undefined ? undefined : bytesToHex(got)) !== want) wrong++
  }
  t.equal(wrong, 0, 'every value (and every delete) as written')
  t.same(await again.get(k(1)), v(1), 'async get agrees')
  t.equal(await again.get(k(N + 5)), undefined, 'pre-existing key deleted in the batch')
  await again.close()
})

t.test('a batch is all-or-nothing when the process is killed (SIGKILL)', async (t) => {
  const N = 10_000
  // The child is plain ESM over classic-level, opened exactly as LevelKV opens it (LevelKV.batch is a
  // pass-through to ClassicLevel.batch): a tsx child would cost ~1.4 s of start-up per run.
  const classicLevelUrl = import.meta.resolve('classic-level')
  const child = join(tmpRoot, 'crash-child.mjs')
  writeFileSync(
    child,
    `const { ClassicLevel } = await import(${JSON.stringify(classicLevelUrl)})
const [dir, mode] = process.argv.slice(2)
const kv = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view' })
await kv.open({ createIfMissing: true })
await kv.put(Uint8Array.of(0x41), Uint8Array.of(1))
const ops = []
for (let i = 0; i < ${N}; i++) {
  const key = new Uint8Array(9); key[0] = 0x42; new DataView(key.buffer).setBigUint64(1, BigInt(i))
  ops.push({ type: 'put', key, value: new TextEncoder().encode('v' + i + 'y'.repeat(64)) })
}
if (mode === 'sync') {
  void kv.batch(ops)
  process.kill(process.pid, 'SIGKILL')
} else if (mode === 'after') {
  await kv.batch(ops)
  process.stdout.write('committed\\n')
  process.kill(process.pid, 'SIGKILL')
} else {
  void kv.batch(ops)
  const delay = Number(mode)
  if (delay === 0) setImmediate(() => process.kill(process.pid, 'SIGKILL'))
  else setTimeout(() => process.kill(process.pid, 'SIGKILL'), delay)
}
`,
  )
  const outcomes: string[] = []
  for (const mode of ['after', 'sync', '0', '2']) {
    const dir = freshDir()
    const res = spawnSync(process.execPath, [child, dir, mode], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    })
    t.equal(res.signal, 'SIGKILL', `child (${mode}) was killed, not exited (stderr: ${res.stderr.slice(0, 300)})`)
    const kv = await LevelKV.open(dir)
    t.same(await kv.get(Uint8Array.of(0x41)), Uint8Array.of(1), `write before the batch survived (${mode})`)
    const count = await countPrefix(kv, PFX)
    t.ok(count === 0 || count === N, `batch is all or nothing after kill (${mode}): found ${count} of ${N}`)
    if (mode === 'after') t.equal(count, N, 'a batch that resolved before the kill is all there')
    outcomes.push(`${mode}:${count === N ? 'all' : 'none'}`)
    await kv.close()
  }
  t.comment(`kill -9 outcomes: ${outcomes.join(' ')}`)
})

t.test('stage: written behind, readable at once, landed in order', async (t) => {
  const kv = await LevelKV.open(freshDir())
  await kv.put(k(2), v(2))
  const a = kv.stage!([
    { type: 'put', key: k(1), value: v(1) },
    { type: 'del', key: k(2) },
  ])
  const b = kv.stage!([{ type: 'put', key: k(1), value: v(11) }])
  // Nothing is in LevelDB yet (the batch is issued from a later turn of the event loop) ...
  t.equal(kv.db.getSync(k(1)), undefined, 'not in LevelDB while staged')
  t.same(kv.db.getSync(k(2)), v(2), 'the staged delete has not reached LevelDB either')
  // ... but reads through the store see the staged writes, the newest batch winning.
  t.same(kv.getSync(k(1)), v(11), 'getSync sees the newest staged value')
  t.same(await kv.get(k(1)), v(11), 'get sees it too')
  t.equal(kv.getSync(k(2)), undefined, 'a staged delete reads as missing')
  t.equal(await kv.get(k(2)), undefined)
  // A plain batch is ordered after the staged ones and resolves once all of them are in LevelDB.
  await kv.batch([{ type: 'put', key: k(3), value: v(3) }])
  t.same(kv.db.getSync(k(1)), v(11), 'both staged batches landed before the plain one, in order')
  t.equal(kv.db.getSync(k(2)), undefined)
  t.same(kv.db.getSync(k(3)), v(3))
  t.ok((await a) >= 0 && (await b) >= 0, 'each stage resolves with its time to land')
  await kv.settled()
  t.equal(await countPrefix(kv, PFX), 2, 'keys() lists what landed')
  // keys() waits for staged batches: a key only staged is listed.
  void kv.stage!([{ type: 'put', key: k(4), value: v(4) }])
  t.equal(await countPrefix(kv, PFX), 3, 'keys() waits for what is staged')
  // close() writes what is staged first.
  void kv.stage!([{ type: 'put', key: k(5), value: v(5) }])
  const dir = kv.db.location
  await kv.close()
  const again = await LevelKV.open(dir)
  t.same(await again.get(k(5)), v(5), 'a batch staged just before close() is on disk')
  await again.close()
})

t.test('stage: a batch that fails fails every later write (reads no longer match the disk)', async (t) => {
  const dir = freshDir()
  const kv = await LevelKV.open(dir)
  const staged = kv.stage!([{ type: 'put', key: k(1), value: v(1) }])
  // LevelDB goes away under the staged batch (as a disk error would): it fails when it is issued.
  await kv.db.close()
  await t.rejects(staged, StorageError, 'the stage rejects with a StorageError')
  await t.rejects(kv.settled(), StorageError, 'settled() rejects')
  await t.rejects(kv.batch([{ type: 'put', key: k(2), value: v(2) }]), StorageError, 'a later batch is refused')
  t.throws(() => kv.stage!([{ type: 'put', key: k(3), value: v(3) }]), StorageError, 'a later stage is refused at once (its caller must not answer as if it were stored)')
  const again = await LevelKV.open(dir)
  t.equal(await again.get(k(1)), undefined, 'the failed batch is not there')
  t.equal(await again.get(k(2)), undefined, 'nor anything after it')
  await again.close()
})

t.test('with sync (fsync per batch) nothing is written behind: no stage, callers use batch', async (t) => {
  const kv = await LevelKV.open(freshDir(), { sync: true })
  t.equal(kv.stage, undefined)
  await kv.close()
})

t.test('staged batches under kill -9: what landed is a prefix of them, each one whole', async (t) => {
  const BATCHES = 30
  const PER = 400
  const levelUrl = new URL('../../../src/db/level.ts', import.meta.url).href
  const child = join(tmpRoot, 'stage-child.mts')
  writeFileSync(
    child,
    `const { LevelKV } = await import(${JSON.stringify(levelUrl)})
const [dir, at] = process.argv.slice(2)
const kv = await LevelKV.open(dir)
for (let b = 0; b < ${BATCHES}; b++) {
  const ops = []
  for (let i = 0; i < ${PER}; i++) {
    const key = new Uint8Array(9); key[0] = 0x42; new DataView(key.buffer).setBigUint64(1, BigInt(b * ${PER} + i))
    ops.push({ type: 'put', key, value: new TextEncoder().encode('v' + b + 'y'.repeat(64)) })
  }
  // Killed as batch "at" lands (the next one may be on its way), or after a delay ("+ms").
  void kv.stage!(ops).then(() => { if (String(b) === at) process.kill(process.pid, 'SIGKILL') })
}
if (at.startsWith('+')) setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(at.slice(1)))
`,
  )
  const seen: number[] = []
  for (const at of ['0', '7', '20', '+0', '+10']) {
    const dir = freshDir()
    const res = spawnSync(process.execPath, ['--import', 'tsx', child, dir, at], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 })
    t.equal(res.signal, 'SIGKILL', `child (${at}) was killed (stderr: ${res.stderr.slice(0, 300)})`)
    const kv = await LevelKV.open(dir)
    const landed: number[] = []
    for (let b = 0; b < BATCHES; b++) {
      let c = 0
      for (let i = 0; i < PER; i++) if (kv.getSync(k(b * PER + i)) !== undefined) c++
      t.ok(c === 0 || c === PER, `batch ${b} whole or absent (${c} of ${PER}, kill at ${at})`)
      if (c === PER) landed.push(b)
    }
    t.same(landed, [...Array(landed.length).keys()], `the batches that landed are the first ${landed.length} (kill at ${at})`)
    if (!at.startsWith('+')) {
      t.ok(landed.length > Number(at), `batch ${at} had landed when the child was killed`)
      t.ok(landed.length < BATCHES, `killed before every batch landed (kill at ${at}: ${landed.length})`)
    }
    seen.push(landed.length)
    await kv.close()
  }
  t.comment(`batches landed before kill -9: ${seen.join(', ')} of ${BATCHES}`)
})
