// The parallel-scavenge switch: off while any parallel block runs (nested and concurrent calls
// share it), back on when the last one ends, also when a block throws.
import t from 'tap'
import { serialScavengeActive, withSerialScavenge } from '../../../src/exec/gc-mode.ts'

t.test('on only inside, shared by overlapping calls, restored after a throw', async (t) => {
  t.equal(serialScavengeActive(), false)
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const a = withSerialScavenge(async () => {
    await gate
    return 'a'
  })
  t.equal(serialScavengeActive(), true, 'inside the first')
  await t.rejects(withSerialScavenge(async () => {
    t.equal(serialScavengeActive(), true, 'inside the second')
    throw new Error('invalid block')
  }), /invalid block/)
  t.equal(serialScavengeActive(), true, 'the first still runs')
  release()
  t.equal(await a, 'a')
  t.equal(serialScavengeActive(), false, 'restored when the last ends')
  // Work that allocates and collects runs normally with the switch off.
  const n = await withSerialScavenge(async () => {
    let s = 0
    for (let i = 0; i < 200_000; i++) s += [i, i + 1].length
    return s
  })
  t.equal(n, 400_000)
})

t.test('released early by the block that holds it (its workers stopped), once', async (t) => {
  let early!: () => void
  const gate = new Promise<void>((r) => (early = r))
  const a = withSerialScavenge(async (release) => {
    t.equal(serialScavengeActive(), true)
    release()
    release() // a second release gives nothing back twice
    t.equal(serialScavengeActive(), false, 'back on after the release')
    await gate
  })
  const b = withSerialScavenge(async (release) => {
    t.equal(serialScavengeActive(), true, 'another block takes it again')
    early()
    await a
    t.equal(serialScavengeActive(), true, 'the first block ending does not give back the second one\'s part')
    release()
    t.equal(serialScavengeActive(), false)
  })
  await b
  t.equal(serialScavengeActive(), false)
})
