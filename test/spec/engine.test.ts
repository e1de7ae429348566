// blockchain_test_engine fixtures replayed against the Engine API over HTTP with a JWT. Every case
// runs against an in-process node (real HTTP server, real JWT); a sample (every Nth case, N from
// PARALLAX_ENGINE_PROCESS_EVERY, default 25; 1 = all) also runs against a real `parallax node`
// process. Prints `N passed, N failed` per fork.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { jsonFiles, locateSuite, reportMissing } from '../helpers/fixtures.ts'
import { usesStaleSystemContracts } from '../helpers/blockchain-runner.ts'
import { runEngineCase, type EngineTestCase } from '../helpers/engine-runner.ts'
import { inProcessNode, processNode, type TestNode } from '../helpers/engine-node.ts'
import { KNOWN_ENGINE_FAILURES } from './known-failures.ts'

const rel = 'fselmo-fixtures_eest/blockchain_tests_engine'
const every = Number(process.env['PARALLAX_ENGINE_PROCESS_EVERY'] ?? 25)

const loc = locateSuite(rel)
if (loc === undefined) reportMissing(rel)
else {
  t.test(`${rel} (${loc.source})`, async (t) => {
    const perFork = new Map<string, { pass: number; fail: number; stale: number }>()
    let index = 0
    for (const file of jsonFiles(loc.path)) {
      for (const [name, tc] of Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, EngineTestCase>)) {
        const c = perFork.get(tc.network) ?? { pass: 0, fail: 0, stale: 0 }
        perFork.set(tc.network, c)
        if (usesStaleSystemContracts(tc)) {
          c.stale++
          continue
        }
        const id = `${relative(loc.path, file)}::${name}`
        const modes: ['in-process' | 'process', (tc: EngineTestCase) => Promise<TestNode>][] = [['in-process', inProcessNode]]
        if (index++ % every === 0) modes.push(['process', processNode])
        for (const [mode, start] of modes) {
          let res
          const node = await start(tc)
          try {
            res = await runEngineCase(tc, node.rpc)
          } catch (err) {
            res = { pass: false, detail: `threw: ${(err as Error).stack ?? String(err)}` }
          } finally {
            await node.close()
          }
          const known = KNOWN_ENGINE_FAILURES.get(id)
          if (known !== undefined) {
            t.notOk(res.pass, `${id} [${mode}] is a known failure (${known})`)
            c.fail++
            continue
          }
          if (res.pass) c.pass++
          else c.fail++
          t.ok(res.pass, `${id} [${mode}]`, res.pass ? {} : { detail: res.detail })
        }
      }
    }
    for (const [fork, c] of perFork) {
      t.comment(`engine ${fork}: ${c.pass} passed, ${c.fail} failed${c.stale > 0 ? `, ${c.stale} left out (pre-mainnet system contracts)` : ''}`)
    }
  })
}
