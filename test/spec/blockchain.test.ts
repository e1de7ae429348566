// blockchain_test fixtures (execution-spec-tests and ethereum/tests BlockchainTests) imported block
// by block through the real store, chain and sequential executor. Prints pass counts per folder.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { relative, dirname } from 'node:path'
import { jsonFiles, locateSuite, reportMissing } from '../helpers/fixtures.ts'
import { runBlockchainCase, usesStaleSystemContracts, type BlockchainTestCase } from '../helpers/blockchain-runner.ts'
import { KNOWN_FAILURES } from './known-failures.ts'

const SUITES = ['fselmo-fixtures_eest/blockchain_tests', 'ethereum-tests/BlockchainTests']

for (const rel of SUITES) {
  const loc = locateSuite(rel)
  if (loc === undefined) {
    reportMissing(rel)
    continue
  }
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
        let res
        try {
          res = await runBlockchainCase(tc)
        } catch (err) {
          res = { pass: false, detail: `threw: ${(err as Error).stack ?? String(err)}` }
        }
        const known = KNOWN_FAILURES.get(id)
        if (known !== undefined) {
          // A known failure must still fail: when it starts passing, remove it from the list.
          t.notOk(res.pass, `${id} is a known failure (${known})`)
          counts.fail++
          continue
        }
        if (res.pass) counts.pass++
        else counts.fail++
        t.ok(res.pass, id, res.pass ? {} : { detail: res.detail })
      }
    }
    for (const [folder, c] of perFolder) {
      t.comment(`${rel}/${folder}: ${c.pass} passed, ${c.fail} failed${c.stale > 0 ? `, ${c.stale} left out (pre-mainnet system contracts)` : ''}`)
    }
  })
}
