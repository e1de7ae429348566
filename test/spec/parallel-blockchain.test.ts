// Differential run of the blockchain_test fixtures: every block goes through the sequential executor
// and through parallel executors of 1, 2, 4 and 8 workers (every block in parallel, random worker
// delays), and each parallel outcome (or rejection) must be identical to the sequential one. One
// store per case: its blocks run through the five executors in turn (test/helpers/differential.ts)
// and the chain moves on the sequential outcome, so this checks the parallel executor, not the
// fixtures (test/spec/blockchain.test.ts does that). The worker pools live for the whole suite and
// (both suites) are pointed at each case's store in turn (retarget).
// PARALLAX_PARALLEL_FIXTURES=N limits the run to every k-th file so that about N files run.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { LevelKV } from '../../src/db/level.ts'
import { ParallelExecutor } from '../../src/exec/parallel.ts'
import { runBlockchainCase, usesStaleSystemContracts, type BlockchainTestCase } from '../helpers/blockchain-runner.ts'
import { Differential, lane } from '../helpers/differential.ts'
import { jsonFiles, locateSuite, reportMissing } from '../helpers/fixtures.ts'

const SUITES = ['fselmo-fixtures_eest/blockchain_tests', 'ethereum-tests/BlockchainTests']
const WORKERS = [1, 2, 4, 8]

const limit = Number(process.env['PARALLAX_PARALLEL_FIXTURES'] ?? 0)
// Every transaction from speculation (no work sharing): effects at 1 and 4 workers, replayed call
// traces at 2 and 8 (blocks effects cannot take use traces on every lane).
const lanes = WORKERS.map((workers, k) =>
  lane(`${workers} worker${workers > 1 ? 's' : ''}, ${k % 2 === 0 ? 'effects' : 'traces'}`, (onFallback) =>
    new ParallelExecutor({ workers, minTxs: 1, workerDelayMs: 1, share: false, effects: k % 2 === 0, onFallback }),
  ),
)
t.teardown(() => Promise.all(lanes.map((l) => l.executor.close())))
// About 3-4 minutes on a quiet 2-core machine; a shared one can take several times that.
t.setTimeout(1_800_000)

for (const rel of SUITES) {
  const loc = locateSuite(rel)
  if (loc === undefined) {
    reportMissing(rel)
    continue
  }
  t.test(`${rel} (${loc.source}): parallel = sequential`, async (t) => {
    const all = jsonFiles(loc.path)
    const step = limit > 0 ? Math.max(1, Math.floor(all.length / limit)) : 1
    const files = all.filter((_, i) => i % step === 0)
    const diff = new Differential(lanes)
    let cases = 0
    for (const file of files) {
      const tests = JSON.parse(readFileSync(file, 'utf8')) as Record<string, BlockchainTestCase>
      for (const [name, tc] of Object.entries(tests)) {
        if (usesStaleSystemContracts(tc)) continue
        cases++
        diff.label = `${relative(loc.path, file)}::${name}`
        const dir = await mkdtemp(join(tmpdir(), 'parallax-par-fixture-'))
        const kv = await LevelKV.open(dir, { multithreading: true })
        try {
          await Promise.all(lanes.map((l) => l.executor.retarget(dir)))
          await runBlockchainCase(tc, { kv, executor: diff }).catch(() => undefined)
        } finally {
          await kv.close()
          await rm(dir, { recursive: true, force: true })
        }
      }
    }
    t.comment(`${cases} cases, ${diff.blocks} blocks, each through ${lanes.length} parallel executors`)
    for (const line of diff.summary()) t.comment(line)
    t.same(diff.mismatches, [], 'every block: every parallel outcome identical to the sequential one')
    for (const l of lanes) t.ok(diff.stats.get(l)!.parallelRuns > 0, `${l.name}: some blocks ran in parallel`)
  })
}
