// The shape of a `state_test` fixture (execution-spec-tests state_tests, ethereum/tests
// GeneralStateTests) and how one case unfolds into runs: every fork it lists, and per fork every
// post entry (one data/gas/value index combination each, with its signed transaction as `txbytes`).
import { RLP } from '@ethereumjs/rlp'
import type { TxReceipt } from '@ethereumjs/vm'
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../../src/util/keccak.ts'

/** The block environment the transaction runs in (the `currentX` fields). */
export interface StateTestEnv {
  currentCoinbase: string
  currentGasLimit: string
  currentNumber: string
  currentTimestamp: string
  currentDifficulty: string
  currentRandom?: string
  currentBaseFee?: string
  currentExcessBlobGas?: string
}

/** One expected outcome: the transaction of `indexes`, signed (`txbytes`), and what it must leave. */
export interface StateTestPost {
  /** State root after the transaction (the pre-state root when it is invalid). */
  hash: string
  /** keccak256 of the RLP list of the transaction's logs. */
  logs: string
  txbytes: string
  indexes: { data: number; gas: number; value: number }
  /** The transaction is invalid: it must be refused, and the state stays as `pre`. */
  expectException?: string
}

export interface StateTestCase {
  env: StateTestEnv
  pre: Record<string, unknown>
  /** The unsigned transaction template (data/gasLimit/value lists); the runs use each post's txbytes. */
  transaction: Record<string, unknown>
  post: Record<string, StateTestPost[]>
  /** execution-spec-tests' `{ chainid, blobSchedule }`. */
  config?: unknown
}

/** One transaction of a case under one fork. */
export interface StateTestRun {
  fork: string
  /** Position in `post[fork]`. */
  index: number
  post: StateTestPost
}

/** Every run of a case, forks in the fixture's order. */
export function stateTestRuns(tc: StateTestCase): StateTestRun[] {
  const runs: StateTestRun[] = []
  for (const [fork, posts] of Object.entries(tc.post)) {
    posts.forEach((post, index) => runs.push({ fork, index, post }))
  }
  return runs
}

/** How a run is named in test output and known-failures.ts: `<case>::<fork>[d,g,v]`. */
export function stateRunId(caseId: string, run: StateTestRun): string {
  const { data, gas, value } = run.post.indexes
  return `${caseId}::${run.fork}[d${data},g${gas},v${value}]`
}

/** The state test's logs hash: keccak256(rlp([log, ...])) over every receipt's logs, in order. */
export function logsHash(receipts: readonly TxReceipt[]): string {
  return bytesToHex(keccak256(RLP.encode(receipts.flatMap((r) => r.logs))))
}
