// Differential run of the blockchain_test fixtures: every block goes through the sequential and the
// parallel executor (2 workers, every block in parallel, random worker delays), and the two outcomes
// (or the two rejections) must be identical. The chain itself runs on the sequential outcome, so this
// checks the parallel executor, not the fixtures (test/spec/blockchain.test.ts does that).
// PARALLAX_PARALLEL_FIXTURES=N limits the run to every k-th file so that about N files run.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { LevelKV } from '../../src/db/level.ts'
import type { ExecutionOutcome } from '../../src/exec/outcome.ts'
import { ParallelExecutor } from '../../src/exec/parallel.ts'
import { diffOutcomes } from '../../src/exec/parallel-compare.ts'
import { errorMessage, SequentialExecutor, type ExecuteRequest, type Executor } from '../../src/exec/sequential.ts'
import { runBlockchainCase, usesStaleSystemContracts, type BlockchainTestCase } from '../helpers/blockchain-runner.ts'
import { jsonFiles, locateSuite, reportMissing } from '../helpers/fixtures.ts'

const SUITES = ['fselmo-fixtures_eest/blockchain_tests', 'ethereum-tests/BlockchainTests']

/** Runs both executors on every block; returns the sequential result (or rethrows its error). */
class Differential implements Executor {
  readonly kind = 'sequential' as const
  readonly mismatches: string[] = []
  blocks = 0
  parallelBlocks = 0
  reexecutions = 0
  private readonly seq = new SequentialExecutor()
  readonly par: ParallelExecutor
  label = ''

  constructor(par: ParallelExecutor) {
    this.par = par
  }

  async execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
    this.blocks++
    const s = await this.seq.execute(req).then(
      (o) => ({ ok: true as const, o }),
      (e: unknown) => ({ ok: false as const, e }),
    )
    const p = await this.par.execute(req).then(
      (o) => ({ ok: true as const, o }),
      (e: unknown) => ({ ok: false as const, e }),
    )
    const where = `${this.label} block ${req.block.header.number}`
    if (s.ok && p.ok) {
      if (p.o.executor === 'parallel') this.parallelBlocks++
      this.reexecutions += p.o.reexecutions
      const d = diffOutcomes(s.o, p.o)
      if (d.length > 0) this.mismatches.push(`${where}: ${d.join(', ')}`)
    } else if (s.ok !== p.ok) {
      this.mismatches.push(`${where}: sequential ${s.ok ? 'ok' : `threw ${errorMessage(s.e)}`}, parallel ${p.ok ? 'ok' : `threw ${errorMessage(p.e)}`}`)
    } else if (!s.ok && !p.ok && (s.e as Error).constructor !== (p.e as Error).constructor) {
      this.mismatches.push(`${where}: different errors: ${errorMessage(s.e)} / ${errorMessage(p.e)}`)
    }
    if (s.ok) return s.o
    throw s.e
  }
}

const limit = Number(process.env['PARALLAX_PARALLEL_FIXTURES'] ?? 0)

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
    const fallbacks = new Map<string, number>()
    const par = new ParallelExecutor({
      workers: 2,
      minTxs: 1,
      workerDelayMs: 1,
      onFallback: (r) => {
        const k = r.replace(/\(.*\)/, '').slice(0, 60)
        fallbacks.set(k, (fallbacks.get(k) ?? 0) + 1)
      },
    })
    const diff = new Differential(par)
    t.teardown(() => par.close())
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
          await par.retarget(dir)
          await runBlockchainCase(tc, { kv, executor: diff }).catch(() => undefined)
        } finally {
          await kv.close()
          await rm(dir, { recursive: true, force: true })
        }
      }
    }
    t.comment(`${cases} cases, ${diff.blocks} blocks, ${diff.parallelBlocks} executed in parallel, ${diff.reexecutions} re-executions`)
    for (const [r, n] of fallbacks) t.comment(`fallback ×${n}: ${r}`)
    t.same(diff.mismatches, [], 'every block: parallel outcome identical to sequential')
    t.ok(diff.parallelBlocks > 0, 'some blocks ran in parallel')
  })
}
