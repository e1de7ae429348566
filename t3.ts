import { readFileSync } from 'node:fs'
import { runBlockchainCase } from './test/helpers/blockchain-runner.ts'
const f = process.argv[2]!
const cases = JSON.parse(readFileSync(f, 'utf8'))
for (const [name, tc] of Object.entries(cases)) {
  const r = await runBlockchainCase(tc as never)
  console.log(r.pass, name.slice(-60), r.detail.slice(0, 400))
}
