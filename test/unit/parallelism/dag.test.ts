// The DAG of hand-made blocks with known dependencies, matched exactly: a chain through one storage
// slot, a fan-in on one key (credits to an account that then sends), independent transfers, and a
// contract reading the fee recipient's balance (which every earlier transaction credited).
import t from 'tap'
import { Address } from '@ethereumjs/util'
import { blockReport, recordBlock } from '../../../src/parallelism/block.ts'
import { criticalPath, dependencies, hotKeys, parseKey, pathStats } from '../../../src/parallelism/dag.ts'
import { setupBenchBlock } from '../../bench/setup.ts'
import { AllocBuilder, coinbaseReaderRuntime, counterRuntime, deriveAddress, signedTx, Signer, type Workload, type WorkloadParams } from '../../helpers/workloads/index.ts'

const ETH = 10n ** 18n
const COUNTER = deriveAddress(7, 'dag-counter', 0)
const READER = deriveAddress(7, 'dag-reader', 0)
const COINBASE = deriveAddress(7, 'dag-coinbase', 0)
const fresh = (i: number): Address => deriveAddress(7, 'dag-fresh', i)

function handMade(p: WorkloadParams): Workload & { signers: Signer[] } {
  const signers = Array.from({ length: 11 }, (_, i) => Signer.derive(7, 'dag-sender', i))
  const alloc = new AllocBuilder()
  for (const s of signers) alloc.fund(s.address, 10n * ETH)
  alloc.contract(COUNTER, counterRuntime()).contract(READER, coinbaseReaderRuntime())
  const c = p.common
  const txs = [
    // 0-2: a chain through the counter's slot 0
    signedTx(c, signers[0]!, { to: COUNTER, gasLimit: 100_000n }),
    signedTx(c, signers[1]!, { to: COUNTER, gasLimit: 100_000n }),
    signedTx(c, signers[2]!, { to: COUNTER, gasLimit: 100_000n }),
    // 3-5: credits to signer 7; 6: signer 7 sends (fan-in on its balance)
    signedTx(c, signers[3]!, { to: signers[7]!.address, value: 1n, gasLimit: 21_000n }),
    signedTx(c, signers[4]!, { to: signers[7]!.address, value: 2n, gasLimit: 21_000n }),
    signedTx(c, signers[5]!, { to: signers[7]!.address, value: 3n, gasLimit: 21_000n }),
    signedTx(c, signers[7]!, { to: fresh(0), value: 5n, gasLimit: 21_000n }),
    // 7-8: independent transfers
    signedTx(c, signers[8]!, { to: fresh(1), value: 1n, gasLimit: 21_000n }),
    signedTx(c, signers[9]!, { to: fresh(2), value: 1n, gasLimit: 21_000n }),
    // 9: reads BALANCE(COINBASE): every earlier transaction's fee credit
    signedTx(c, signers[10]!, { to: READER, gasLimit: 100_000n }),
  ]
  return { name: 'dag/hand-made', description: 'hand-made dependencies', alloc: alloc.alloc, txs, coinbase: COINBASE, estimatedGas: 0n, signers }
}

t.test('pure DAG functions on hand-written sets', async (t) => {
  const txs = [
    { reads: ['0xa.s1'], writes: ['0xa.s1'], gas: 10 },
    { reads: ['0xa.s1'], writes: ['0xa.s1'], gas: 20 },
    { reads: ['0xb.b'], writes: ['0xc.b'], gas: 5 },
    { reads: ['0xa.s1', '0xc.b'], writes: [], gas: 1 },
  ]
  t.same(dependencies(txs), [
    { from: 0, to: 1, keys: ['0xa.s1'] },
    { from: 0, to: 3, keys: ['0xa.s1'] },
    { from: 1, to: 3, keys: ['0xa.s1'] },
    { from: 2, to: 3, keys: ['0xc.b'] },
  ])
  const cp = criticalPath(txs, txs.map((x) => x.gas))
  t.equal(cp.stats.criticalPath, 31, '10 + 20 + 1')
  t.equal(cp.chain, 3)
  t.equal(cp.txsWithDeps, 2)
  t.equal(cp.stats.bound['p2'], 36 / 31)
  t.same(pathStats(100, 10).bound, { p2: 2, p4: 4, p8: 8, p16: 10 })
  t.same(hotKeys(dependencies(txs), 5), [
    { key: '0xa.s1', contract: '0xa', slot: '1', dependents: 2 },
    { key: '0xc.b', contract: '0xc', slot: 'balance', dependents: 1 },
  ])
  t.same(parseKey('0xab.n'), { address: '0xab', field: 'nonce' })
})

t.test('hand-made block: chain, fan-in, independent transfers, coinbase read', async (t) => {
  let w: ReturnType<typeof handMade> | undefined
  const bb = await setupBenchBlock((p) => (w = handMade(p)), 30_000_000n)
  t.teardown(() => bb.close())
  const req = bb.request()
  const rec = await recordBlock(req, false)
  const r = blockReport(req.block, rec, undefined, { keys: true })
  const k = (a: Address, f: string): string => `${a.toString()}.${f}`
  const cb = k(COINBASE, 'b')
  const slot0 = k(COUNTER, `s0x${'00'.repeat(31)}00`)
  const edges = r.transactions.flatMap((tx) => tx.dependsOn.map((d) => [d.tx, tx.index, d.keys] as const))
  const s7b = k(w!.signers[7]!.address, 'b')
  t.same(edges, [
    [0, 1, [slot0]],
    [0, 2, [slot0]],
    [1, 2, [slot0]],
    [3, 6, [s7b]],
    [4, 6, [s7b]],
    [5, 6, [s7b]],
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => [i, 9, [cb]] as const),
  ])
  t.equal(r.dependencies, 15)
  t.equal(r.txsWithDeps, 4, 'transactions 1, 2, 6 and 9')
  const g = r.transactions.map((x) => x.gasUsed)
  t.equal(r.criticalPath.gas, g[0]! + g[1]! + g[2]! + g[9]!, 'the counter chain, then the coinbase reader')
  t.equal(r.criticalPath.txs, 4)
  const total = g.reduce((a, b) => a + b, 0)
  t.equal(r.gasUsed, total)
  t.equal(Number(bb.gasUsed), total, 'gas used as the header says')
  t.equal(r.bounds.p2, total / Math.max(r.criticalPath.gas, total / 2))
  t.equal(r.bounds.p16, total / r.criticalPath.gas)
  t.same(r.hotKeys[0], { key: slot0, contract: COUNTER.toString(), slot: `0x${'00'.repeat(32)}`, dependents: 2 }, 'hottest first: each key counts the transactions that waited on it')
  t.same(r.hotKeys.slice(1).map((h) => [h.key, h.dependents]), [[cb, 1], [s7b, 1]].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)))
  t.same(r.transactions[7]!.dependsOn, [], 'independent transfer')
  t.same(r.transactions[8]!.dependsOn, [], 'independent transfer')
  const tx9 = r.transactions[9]!
  t.equal(tx9.to, READER.toString())
  t.equal(tx9.from, w!.signers[10]!.address.toString())
  t.ok(tx9.reads.keys!.includes(cb), 'the coinbase balance is read')
  // slot 0 = the coinbase's balance; slot 1 = SELFBALANCE stays 0: unchanged, so not written
  t.same(tx9.writes.keys, [k(READER, `s0x${'00'.repeat(32)}`), cb, k(w!.signers[10]!.address, 'b'), k(w!.signers[10]!.address, 'n')].sort())
  t.equal(tx9.writes.slots, 1)
  t.equal(tx9.writes.accounts, 2, 'the sender and the coinbase')
  t.equal(r.source, 'reexecution')
  t.equal(r.achieved, null)
  t.equal(tx9.execution, null)
  const noKeys = blockReport(req.block, rec, undefined, { keys: false })
  t.equal(noKeys.transactions[9]!.reads.keys, undefined, 'keys only on request')
})
