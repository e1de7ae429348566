// state_test fixtures (execution-spec-tests state_tests, ethereum/tests GeneralStateTests): every
// transaction of every case, under every fork it lists, as a one-transaction block on a store built
// from `pre` (test/helpers/state-test-runner.ts). The node's sequential executor seals each block
// and must reach the fixture's state root and logs hash. For every 4th case (every case with
// PARALLAX_STATE_TESTS=all) the pre-state goes into a LevelDB instead of memory and each sealed
// block is imported again the way newPayload does through the parallel executor (one worker,
// minTxs 1, so a one-transaction block really runs in parallel mode), which must give the same.
//
// `npm test` also leaves out VMTests/vmPerformance (23 runs of 3-18 s each, loops of EXP and
// arithmetic: minutes on a 2-core machine). PARALLAX_STATE_TESTS=all (`npm run test:state-all`)
// runs everything through both executors. Prints pass counts per folder.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { LevelKV } from '../../src/db/level.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { ParallelExecutor } from '../../src/exec/parallel.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { foundSuites, jsonFiles } from '../helpers/fixtures.ts'
import { stateRunId, stateTestRuns, type StateTestCase } from '../helpers/state-test-case.ts'
import { holdsSystemContract, openPreState, runStateTestRun, type StateRunResult } from '../helpers/state-test-runner.ts'
import { recordCase, threw } from '../helpers/case-result.ts'
import { KNOWN_STATE_FAILURES } from './known-failures.ts'

const SUITES = ['fselmo-fixtures_eest/state_tests', 'ethereum-tests/GeneralStateTests']
/** Folders `npm test` leaves out (see the header); PARALLAX_STATE_TESTS=all runs them. */
const SLOW_FOLDERS = ['VMTests/vmPerformance']
const all = process.env['PARALLAX_STATE_TESTS'] === 'all'
/** Every how many cases one also runs through the parallel executor (LevelDB store). */
const PARALLEL_EVERY = all ? 1 : 4

const seal = new SequentialExecutor()
const parallel = new ParallelExecutor({ workers: 1, minTxs: 1 })
t.teardown(() => parallel.close())

/** A fresh LevelDB the parallel executor's workers open too. */
async function levelStore(): Promise<{ kv: LevelKV; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'parallax-state-test-'))
  const kv = await LevelKV.open(dir, { multithreading: true })
  await parallel.retarget(dir)
  return {
    kv,
    close: async () => {
      await kv.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

interface Counts {
  pass: number
  fail: number
  /** Valid runs handed to the parallel executor, and those it ran in parallel mode (not fallen back). */
  toParallel: number
  parallel: number
  skipped: number
}

for (const { rel, loc } of foundSuites(SUITES)) {
  t.test(`${rel} (${loc.source})`, async (t) => {
    const perFolder = new Map<string, Counts>()
    const files = jsonFiles(loc.path)
    t.ok(files.length > 0, 'suite has fixture files')
    const started = performance.now()
    let caseIndex = 0
    for (const file of files) {
      const folder = relative(loc.path, dirname(file)) || '.'
      const counts = perFolder.get(folder) ?? { pass: 0, fail: 0, toParallel: 0, parallel: 0, skipped: 0 }
      perFolder.set(folder, counts)
      const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StateTestCase>
      const slow = !all && SLOW_FOLDERS.some((f) => folder === f || folder.startsWith(`${f}/`))
      for (const [name, tc] of Object.entries(cases)) {
        const caseId = `${relative(loc.path, file)}::${name}`
        const runs = stateTestRuns(tc)
        if (slow) {
          counts.skipped += runs.length
          continue
        }
        t.notOk(holdsSystemContract(tc), `${caseId}: pre holds no system contract (a block would run its call)`)
        // every 4th case that has a valid transaction (refusals never reach the parallel executor's own path)
        const withParallel = runs.some((r) => r.post.expectException === undefined) && caseIndex++ % PARALLEL_EVERY === 0
        // one pre-state per fork: a store the runs only read (executors never commit)
        for (const fork of new Set(runs.map((r) => r.fork))) {
          const store = withParallel ? await levelStore() : { kv: new MemoryKV(), close: async () => undefined }
          try {
            const pre = await openPreState(tc, fork, store.kv)
            const check = withParallel ? parallel : undefined
            for (const run of runs.filter((r) => r.fork === fork)) {
              const res: StateRunResult = await runStateTestRun(tc, run, pre, { seal, ...(check !== undefined ? { check } : {}) }).catch(threw)
              if (check !== undefined && run.post.expectException === undefined) counts.toParallel++
              if (res.checkedBy === 'parallel') counts.parallel++
              recordCase(t, stateRunId(caseId, run), res, KNOWN_STATE_FAILURES, counts)
            }
          } finally {
            await store.close()
          }
        }
      }
    }
    let total = 0
    let parallelRuns = 0
    let toParallel = 0
    for (const [folder, c] of perFolder) {
      total += c.pass + c.fail
      parallelRuns += c.parallel
      toParallel += c.toParallel
      const skipped = c.skipped > 0 ? `, ${c.skipped} left out (slow; PARALLAX_STATE_TESTS=all runs them)` : ''
      t.comment(`${rel}/${folder}: ${c.pass} passed, ${c.fail} failed${skipped}`)
    }
    t.comment(`${rel}: ${total} runs in ${((performance.now() - started) / 1000).toFixed(1)} s, ${parallelRuns} of them also imported through the parallel executor in parallel mode`)
    t.equal(parallelRuns, toParallel, 'the parallel executor ran every valid block it was given in parallel mode (none fell back)')
  })
}

// The runner must be able to fail: the first valid transaction of a suite, with its expected state
// root, logs hash or refusal changed, must not pass.
t.test('a wrong expectation fails', async (t) => {
  const found = foundSuites(SUITES)[0]
  if (found === undefined) return
  for (const file of jsonFiles(found.loc.path)) {
    const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StateTestCase>
    for (const tc of Object.values(cases)) {
      const run = stateTestRuns(tc).find((r) => r.post.expectException === undefined)
      if (run === undefined) continue
      const pre = await openPreState(tc, run.fork, new MemoryKV())
      t.ok((await runStateTestRun(tc, run, pre, { seal })).pass, 'the run as given passes')
      const flip = (hex: string): string => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`
      for (const [what, post] of [
        ['state root', { ...run.post, hash: flip(run.post.hash) }],
        ['logs hash', { ...run.post, logs: flip(run.post.logs) }],
        ['refusal', { ...run.post, expectException: 'TransactionException.INTRINSIC_GAS_TOO_LOW' }],
      ] as const) {
        const res = await runStateTestRun(tc, { ...run, post }, pre, { seal })
        t.notOk(res.pass, `a wrong ${what} fails: ${res.detail.slice(0, 120)}`)
      }
      return
    }
  }
})
