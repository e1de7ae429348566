import { readFileSync } from 'node:fs'
import { runEngineCase } from './test/helpers/engine-runner.ts'
import { inProcessNode } from './test/helpers/engine-node.ts'
import { usesStaleSystemContracts } from './test/helpers/blockchain-runner.ts'
let pass = 0, fail = 0
for (const f of process.argv.slice(2)) {
  const cases = JSON.parse(readFileSync(f, 'utf8'))
  for (const [name, tc] of Object.entries(cases) as [string, any][]) {
    if (usesStaleSystemContracts(tc)) continue
    const node = await inProcessNode(tc)
    try {
      const r = await runEngineCase(tc, node.rpc)
      if (r.pass) pass++; else { fail++; console.log('FAIL', name.slice(-80), r.detail.slice(0, 300)) }
    } finally { await node.close() }
  }
}
console.log(pass, 'passed', fail, 'failed')
