// transaction_test fixtures (ethereum/tests TransactionTests, execution-spec-tests
// transaction_tests): every raw transaction under every fork it lists, through the transaction
// pool's decoding and admission (what eth_sendRawTransaction does), see
// test/helpers/transaction-test-runner.ts. Prints pass counts per folder.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { foundSuites, jsonFiles } from '../helpers/fixtures.ts'
import { recordCase, threw } from '../helpers/case-result.ts'
import { runTransactionTest, type TransactionTestCase } from '../helpers/transaction-test-runner.ts'
import { KNOWN_TX_FAILURES } from './known-failures.ts'

const SUITES = ['fselmo-fixtures_eest/transaction_tests', 'ethereum-tests/TransactionTests']

for (const { rel, loc } of foundSuites(SUITES)) {
  t.test(`${rel} (${loc.source})`, async (t) => {
    const perFolder = new Map<string, { pass: number; fail: number; valid: number; invalid: number }>()
    const files = jsonFiles(loc.path)
    t.ok(files.length > 0, 'suite has fixture files')
    for (const file of files) {
      const folder = relative(loc.path, dirname(file)) || '.'
      const counts = perFolder.get(folder) ?? { pass: 0, fail: 0, valid: 0, invalid: 0 }
      perFolder.set(folder, counts)
      const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, TransactionTestCase>
      for (const [name, tc] of Object.entries(cases)) {
        for (const [fork, want] of Object.entries(tc.result)) {
          const id = `${relative(loc.path, file)}::${name}::${fork}`
          if (want.exception === undefined) counts.valid++
          else counts.invalid++
          const res = await runTransactionTest(tc, fork).catch(threw)
          recordCase(t, id, res, KNOWN_TX_FAILURES, counts)
        }
      }
    }
    for (const [folder, c] of perFolder) {
      t.comment(`${rel}/${folder}: ${c.pass} passed, ${c.fail} failed (${c.valid} valid, ${c.invalid} invalid)`)
    }
  })
}

// The runner must be able to fail: a valid transaction with another expected sender or hash, or
// expected to be refused, must not pass.
t.test('a wrong expectation fails', async (t) => {
  const found = foundSuites(SUITES).at(-1)
  if (found === undefined) return
  for (const file of jsonFiles(found.loc.path)) {
    const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, TransactionTestCase>
    for (const tc of Object.values(cases)) {
      const valid = Object.entries(tc.result).find(([, r]) => r.exception === undefined && r.sender !== undefined)
      if (valid === undefined) continue
      const [fork, want] = valid
      t.ok((await runTransactionTest(tc, fork)).pass, 'the case as given passes')
      for (const [what, wrong] of [
        ['sender', { ...want, sender: '0x0000000000000000000000000000000000000001' }],
        ['hash', { ...want, hash: `0x${'00'.repeat(32)}` }],
        ['refusal', { exception: 'TransactionException.INTRINSIC_GAS_TOO_LOW' }],
      ] as const) {
        const res = await runTransactionTest({ ...tc, result: { [fork]: wrong } }, fork)
        t.notOk(res.pass, `a wrong ${what} fails: ${res.detail.slice(0, 120)}`)
      }
      return
    }
  }
})
