// Cross-check of the bench's two block builders: for small blocks of every workload and a few random
// mixes (Prague), the runBlock-assembled block must be the very block buildOnParent builds (same
// hash), and the sequential executor must accept it. `node --import tsx test/bench/check-builders.ts`
import { bytesToHex } from '@ethereumjs/util'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { generateWorkload, WORKLOAD_NAMES } from '../helpers/workloads/named.ts'
import type { Workload, WorkloadParams } from '../helpers/workloads/named.ts'
import { randomBlockMix } from '../helpers/workloads/random-mix.ts'
import { diffPrints, headerPrint, rootPrint } from './measure.ts'
import { setupBenchBlock } from './setup.ts'

type Gen = (p: WorkloadParams) => Workload
const cases: [string, Gen, bigint][] = WORKLOAD_NAMES.map((n): [string, Gen, bigint] => [n, (p) => generateWorkload(n, p), 600_000n])
for (const seed of [1, 2, 3]) {
  cases.push([
    `randomBlockMix(${seed})`,
    (p) => {
      const m = randomBlockMix(seed, { common: p.common })
      return { name: `mix-${seed}`, description: 'random mix', alloc: m.alloc, txs: m.txs, coinbase: m.coinbase, estimatedGas: 0n }
    },
    0n,
  ])
}

let failed = 0
for (const [name, gen, gas] of cases) {
  const a = await setupBenchBlock(gen, gas, { builder: 'runBlock' })
  const b = await setupBenchBlock(gen, gas, { builder: 'buildOnParent' })
  const same = bytesToHex(a.block.hash()) === bytesToHex(b.block.hash())
  const out = await new SequentialExecutor().execute(a.request())
  const diff = diffPrints(rootPrint(out), headerPrint(a))
  const ok = same && diff.length === 0
  if (!ok) failed++
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${a.txCount} txs, runBlock ${a.timings.buildMs.toFixed(0)} ms vs buildOnParent ${b.timings.buildMs.toFixed(0)} ms${same ? '' : ' — different blocks'}${diff.length > 0 ? ` — executor disagrees: ${diff.join(', ')}` : ''}\n`)
  await a.close()
  await b.close()
}
process.exit(failed === 0 ? 0 : 1)
