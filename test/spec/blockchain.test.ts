// blockchain_test fixtures (execution-spec-tests and ethereum/tests BlockchainTests) imported block
// by block through the real store, chain and sequential executor. Prints pass counts per folder.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { relative, dirname } from 'node:path'
import { foundSuites, jsonFiles } from '../helpers/fixtures.ts'
import { runBlockchainCase, usesStaleSystemContracts, type BlockchainTestCase } from '../helpers/blockchain-runner.ts'
import { recordCase, threw } from '../helpers/case-result.ts'
import { KNOWN_FAILURES } from './known-failures.ts'

const SUITES = ['fselmo-fixtures_eest/blockchain_tests', 'ethereum-tests/BlockchainTests']

for (const { rel, loc } of foundSuites(SUITES)) {
  t.test(`${rel} (${loc.source})`, async (t) => {
    const perFolder = new Map<string, { pass: number; fail: number; stale: number }>()
    const files = jsonFiles(loc.path)
    t.ok(files.length > 0, 'suite has fixture files')
    for (const file of files) {
      const folder = relative(loc.path, dirname(file)) || '.'
      const counts = perFolder.get(folder) ?? { pass: 0, fail: 0, stale: 0 }
      perFolder.set(folder, counts)
      const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, BlockchainTestCase>
      for (const [name, tc] of Object.entries(cases)) {
        if (usesStaleSystemContracts(tc)) {
          counts.stale++
          continue
        }
        const id = `${relative(loc.path, file)}::${name}`
        const res = await runBlockchainCase(tc).catch(threw)
        recordCase(t, id, res, KNOWN_FAILURES, counts)
      }
    }
    for (const [folder, c] of perFolder) {
      t.comment(`${rel}/${folder}: ${c.pass} passed, ${c.fail} failed${c.stale > 0 ? `, ${c.stale} left out (pre-mainnet system contracts)` : ''}`)
    }
  })
}
