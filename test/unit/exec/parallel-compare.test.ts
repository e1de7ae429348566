// diffOutcomes: the field-by-field comparison every differential test relies on must see a
// difference in each field it compares, sealed blocks included (compared by their encoding).
import t from 'tap'
import { createBlock } from '@ethereumjs/block'
import { Common, Mainnet, Hardfork } from '@ethereumjs/common'
import { diffOutcomes } from '../../../src/exec/parallel-compare.ts'
import type { ExecutionOutcome } from '../../../src/exec/outcome.ts'

const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague })

function outcome(over: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    receipts: [],
    gasUsed: 0n,
    logsBloom: new Uint8Array(256),
    receiptsRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    stateDiff: { accounts: [] },
    writes: [{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(2) }],
    executor: 'sequential',
    reexecutions: 0,
    ...over,
  }
}

t.test('equal outcomes, executor and re-executions ignored, writes as a set', async (t) => {
  t.same(diffOutcomes(outcome(), outcome({ executor: 'parallel', reexecutions: 3 })), [])
  const two = [
    { type: 'put' as const, key: Uint8Array.of(1), value: Uint8Array.of(2) },
    { type: 'put' as const, key: Uint8Array.of(3), value: Uint8Array.of(4) },
  ]
  t.same(diffOutcomes(outcome({ writes: two }), outcome({ writes: [two[1]!, two[0]!] })), [])
})

t.test('each difference is named', async (t) => {
  t.same(diffOutcomes(outcome(), outcome({ gasUsed: 1n })), ['gasUsed'])
  t.same(diffOutcomes(outcome(), outcome({ stateRoot: new Uint8Array(32).fill(1) })), ['stateRoot'])
  t.match(diffOutcomes(outcome(), outcome({ writes: [] })), [/^writes \(1 vs 0/])
  // against the stock executor: fewer writes pass, a write it did not make does not
  t.same(diffOutcomes(outcome(), outcome({ writes: [] }), { writes: 'subset' }), [])
  const other = [{ type: 'put' as const, key: Uint8Array.of(9), value: Uint8Array.of(9) }]
  t.same(diffOutcomes(outcome(), outcome({ writes: other }), { writes: 'subset' }), ['writes (1 of 1 not written by the reference)'])
  // a node the store already holds, written again with the same bytes (the batched flush writes every node it hashed)
  const stored = (k: Uint8Array) => (k.length === 1 && k[0] === 9 ? Uint8Array.of(9) : undefined)
  t.same(diffOutcomes(outcome(), outcome({ writes: other }), { writes: 'subset', stored }), [], 'a rewrite of stored bytes passes')
  const changed = [{ type: 'put' as const, key: Uint8Array.of(9), value: Uint8Array.of(8) }]
  t.same(diffOutcomes(outcome(), outcome({ writes: changed }), { writes: 'subset', stored }), ['writes (1 of 1 not written by the reference)'], 'other bytes under a stored key do not')
  const deleted = [{ type: 'del' as const, key: Uint8Array.of(9) }]
  t.same(diffOutcomes(outcome(), outcome({ writes: deleted }), { writes: 'subset', stored }), ['writes (1 of 1 not written by the reference)'], 'nor does a delete')
  t.match(diffOutcomes(outcome(), outcome({ writes: other }), { stored }), [/^writes \(1 vs 1/], "'equal' ignores the store")
  t.same(diffOutcomes(outcome(), outcome({ blockValue: 5n })), ['blockValue'])
})

t.test('sealed blocks are compared by their encoding', async (t) => {
  const a = createBlock({ header: { number: 1n, gasLimit: 30_000_000n } }, { common })
  const same = createBlock({ header: { number: 1n, gasLimit: 30_000_000n } }, { common })
  const other = createBlock({ header: { number: 1n, gasLimit: 30_000_001n } }, { common })
  t.same(diffOutcomes(outcome({ sealed: a }), outcome({ sealed: same })), [], 'two objects, same block')
  t.same(diffOutcomes(outcome({ sealed: a }), outcome({ sealed: other })), ['sealed'])
  t.same(diffOutcomes(outcome({ sealed: a }), outcome()), ['sealed'], 'one side not sealed')
})
