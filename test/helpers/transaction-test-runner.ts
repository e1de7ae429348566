// Runs one `transaction_test` (ethereum/tests TransactionTests, execution-spec-tests
// transaction_tests) under one fork through what eth_sendRawTransaction does after its RPC-only
// policy checks (fee cap, replay protection): TxPool.add, i.e. the node's decoder (decodePoolTx)
// and the pool's admission. A transaction test is about the transaction alone, so the pool's head
// and state are made not to bind: the sender holds 2^256-1 wei, nonces may be any distance ahead, the
// block gas limit is 2^64-1, there is no minimum tip and no size cap below 2^32 bytes. A valid
// transaction must be pooled under the fixture's hash, with its sender and intrinsic gas; an invalid
// one must be refused with the TxPoolReason its exception names and geth's error text
// (tx-exceptions.ts).
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { commonForFixtureNetwork } from '../../config/index.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import { TxPool, TxPoolError } from '../../src/txpool/index.ts'
import type { PoolState } from '../../src/txpool/index.ts'
import { createLogger } from '../../src/util/logger.ts'
import type { CaseResult } from './case-result.ts'
import { expectedTxRefusal } from './tx-exceptions.ts'

export interface TransactionTestResult {
  hash?: string
  sender?: string
  intrinsicGas?: string
  exception?: string
}

export interface TransactionTestCase {
  txbytes: string
  /** Expected outcome per fork. */
  result: Record<string, TransactionTestResult>
}

export type TxRunResult = CaseResult

const UNBOUNDED_BALANCE = 1n << 512n
const MAX_U64 = (1n << 64n) - 1n
const silent = createLogger({ verbosity: 0 })

/** A head that lets every intrinsically valid transaction in (see the file comment). */
class UnboundedHead implements PoolState {
  headNumber(): bigint {
    return 0n
  }
  headTimestamp(): bigint {
    return 0n
  }
  baseFee(): bigint {
    return 0n
  }
  blobBaseFee(): bigint {
    return 1n
  }
  gasLimit(): bigint {
    return MAX_U64
  }
  async getAccount(): Promise<{ nonce: bigint; balance: bigint }> {
    return { nonce: 0n, balance: UNBOUNDED_BALANCE }
  }
}

/** A fresh pool whose head is `fork` (every fork up to it active at genesis). */
export function poolAtFork(fork: string): TxPool {
  return new TxPool({
    common: commonForFixtureNetwork(fork, parallaxCryptoWithKzg()),
    state: new UnboundedHead(),
    limits: { minTip: 0n, minBlobFee: 0n, maxNonceGap: MAX_U64, maxTxSize: 2 ** 32 },
    logger: silent,
  })
}

/** Submits the case's bytes to a pool at `fork` and checks the fixture's `result[fork]`. */
export async function runTransactionTest(tc: TransactionTestCase, fork: string): Promise<TxRunResult> {
  const want = tc.result[fork]
  if (want === undefined) return { pass: false, detail: `no result for ${fork}` }
  const pool = poolAtFork(fork)
  let hash: Uint8Array
  try {
    hash = await pool.add(hexToBytes(tc.txbytes as `0x${string}`))
  } catch (err) {
    if (!(err instanceof TxPoolError)) return { pass: false, detail: `not a pool refusal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` }
    if (want.exception === undefined) return { pass: false, detail: `valid transaction refused (${err.reason}): ${err.message}` }
    const expected = expectedTxRefusal(want.exception)
    if (expected === undefined) return { pass: false, detail: `no refusal known for ${want.exception} (got ${err.reason}: ${err.message}); add it to tx-exceptions.ts` }
    const fits = expected.some((e) => e.reason === err.reason && err.message.startsWith(e.message))
    if (!fits) {
      const wanted = expected.map((e) => `${e.reason} "${e.message}…"`).join(' or ')
      return { pass: false, detail: `${want.exception}: want ${wanted}, got ${err.reason} "${err.message}"` }
    }
    return { pass: true, detail: `refused: ${err.message}` }
  }
  if (want.exception !== undefined) return { pass: false, detail: `expected ${want.exception}, but the pool took it` }
  const tx = pool.get(hash)!
  const got = { hash: bytesToHex(hash), sender: tx.getSenderAddress().toString(), intrinsicGas: `0x${tx.getIntrinsicGas().toString(16)}` }
  for (const field of ['hash', 'sender', 'intrinsicGas'] as const) {
    const w = want[field]
    if (w !== undefined && BigInt(w) !== BigInt(got[field])) return { pass: false, detail: `${field} ${got[field]}, want ${w}` }
  }
  return { pass: true, detail: 'ok' }
}
