// Runs one state_test transaction through the node's own block path instead of a bare VM:
//  1. the pre-state is written as a genesis into a store (state trie, flat tables, block 0 at
//     `currentNumber - 1`) by the node's initGenesis, as `parallax init` writes one;
//  2. the transaction's signed bytes go into a one-transaction execution payload built from `env`
//     and are decoded by the Engine API's payloadToBlock (strict, canonical);
//  3. the executor seals the block (`generate`, as the payload builder does) and its state root and
//     logs must equal the fixture's `hash` and `logs`;
//  4. optionally a second executor re-imports the sealed block the way newPayload does (payload →
//     block → execute → validateOutcome), so the parallel executor sees every case too.
//
// System calls: a block runs the EIP-4788/2935 pre-block calls and the EIP-7002/7251 request calls,
// a state test does not. Running whole blocks is what tests the node's executor, so this keeps them:
// the state tests' `pre` does not hold those system contracts, and with their code absent ethereumjs
// (like the specs) skips each call without touching the state, so the block's root equals the state
// test's. A case whose `pre` does hold one of them would differ, and is reported as such (none here).
// Withdrawals are an empty list; from Paris on there is no block reward, so the coinbase gets only
// the transaction's fees, as in a state test. Forks before Paris cannot be an execution payload and
// are reported as unsupported (none of the fixtures here are).
//
// An `expectException` transaction must be refused (payloadToBlock cannot decode it, or the executor
// finds the block invalid), with the refusal its exception names (state-exceptions.ts); the fixture
// then gives the pre-state root as `hash`, which is checked against the store's genesis root.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { Hardfork, type Common } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { commonForFixtureNetwork, fixtureChainConfig, genesisBlock, writeGenesisState } from '../../config/index.ts'
import { parseGenesis } from '../../config/genesis.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import { ChainStore } from '../../src/db/chain-store.ts'
import type { KVStore } from '../../src/db/interface.ts'
import { blockToPayload, payloadToBlock, versionedHashesOf } from '../../src/engine-api/block.ts'
import type { ExecutionPayload } from '../../src/engine-api/types.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import type { ExecutionOutcome } from '../../src/exec/outcome.ts'
import type { Executor } from '../../src/exec/sequential.ts'
import { validateOutcome } from '../../src/exec/validate.ts'
import type { CaseResult } from './case-result.ts'
import { expectedRefusals, refusalOf, type Refusal } from './state-exceptions.ts'
import { logsHash, type StateTestCase, type StateTestPost, type StateTestRun } from './state-test-case.ts'

/** EIP-4788, EIP-2935, EIP-7002 and EIP-7251 system contracts (mainnet addresses). */
const SYSTEM_CONTRACTS = [
  '0x000f3df6d732807ef1319fb7b8bb8522d0beac02',
  '0x0000f90827f1c53a10cb7a02335b175320002935',
  '0x00000961ef480eb55e80d19ad83579a64c007002',
  '0x0000bbddc7ce488642fb579f8b00f3a590007251',
]

/** Does the case's pre-state hold a system contract (so a block would run its call)? */
export function holdsSystemContract(tc: StateTestCase): boolean {
  const pre = Object.keys(tc.pre).map((a) => a.toLowerCase())
  return SYSTEM_CONTRACTS.some((a) => pre.includes(a))
}

/** A case's pre-state under one fork, in a store, as the parent of the transaction's block. */
export interface PreState {
  kv: KVStore
  common: Common
  parent: BlockHeader
  headerByHash: (hash: Uint8Array) => Promise<BlockHeader | undefined>
}

const q = (hex: string | undefined): bigint => (hex === undefined ? 0n : BigInt(hex))

/** Writes `pre` into the empty store `kv` as the genesis (block `currentNumber - 1`) for `fork`. */
export async function openPreState(tc: StateTestCase, fork: string, kv: KVStore): Promise<PreState> {
  const common = commonForFixtureNetwork(fork, parallaxCryptoWithKzg(), tc.config)
  const env = tc.env
  const number = q(env.currentNumber)
  const timestamp = q(env.currentTimestamp)
  const parsed = parseGenesis({
    config: { chainId: 1 },
    alloc: tc.pre,
    number: `0x${(number > 0n ? number - 1n : 0n).toString(16)}`,
    timestamp: `0x${(timestamp > 0n ? timestamp - 1n : 0n).toString(16)}`,
    gasLimit: env.currentGasLimit,
    ...(env.currentBaseFee !== undefined ? { baseFeePerGas: env.currentBaseFee } : {}),
  })
  const spec = { ...parsed, config: fixtureChainConfig(fork, tc.config) }
  const { block } = await initGenesis(kv, {
    common,
    writeState: (o) => writeGenesisState(spec, o),
    block: (root) => genesisBlock(spec, common, root),
    chainConfig: '{}',
  })
  const store = new ChainStore(kv, common)
  return { kv, common, parent: block.header, headerByHash: (h) => store.getHeader(h) }
}

/** The payload of the one-transaction block `run` describes, on top of `pre`. */
function statePayload(tc: StateTestCase, run: StateTestRun, pre: PreState, blobGasUsed: bigint): { payload: ExecutionPayload; beaconRoot?: Uint8Array; requests?: Uint8Array[] } {
  const env = tc.env
  const common = pre.common.copy()
  common.setHardforkBy({ blockNumber: q(env.currentNumber), timestamp: q(env.currentTimestamp) })
  const zero = (n: number): Uint8Array => new Uint8Array(n)
  const payload: ExecutionPayload = {
    parentHash: pre.parent.hash(),
    feeRecipient: hexToBytes(env.currentCoinbase as `0x${string}`),
    stateRoot: zero(32),
    receiptsRoot: zero(32),
    logsBloom: zero(256),
    prevRandao: env.currentRandom !== undefined ? hexToBytes(env.currentRandom as `0x${string}`) : zero(32),
    blockNumber: q(env.currentNumber),
    gasLimit: q(env.currentGasLimit),
    gasUsed: 0n,
    timestamp: q(env.currentTimestamp),
    extraData: zero(0),
    baseFeePerGas: q(env.currentBaseFee),
    blockHash: zero(32),
    transactions: [hexToBytes(run.post.txbytes as `0x${string}`)],
  }
  if (common.isActivatedEIP(4895)) payload.withdrawals = []
  if (common.isActivatedEIP(4844)) {
    payload.blobGasUsed = blobGasUsed
    payload.excessBlobGas = q(env.currentExcessBlobGas)
  }
  return {
    payload,
    ...(common.isActivatedEIP(4788) ? { beaconRoot: zero(32) } : {}),
    ...(common.isActivatedEIP(7685) ? { requests: [] } : {}),
  }
}

/** The unsealed block of `run` (zero roots), decoded by the Engine API's payloadToBlock. */
export function stateTestBlock(tc: StateTestCase, run: StateTestRun, pre: PreState): Block {
  const toBlock = (blobGasUsed: bigint): Block => {
    const { payload, beaconRoot, requests } = statePayload(tc, run, pre, blobGasUsed)
    return payloadToBlock(payload, {
      common: pre.common,
      ...(beaconRoot !== undefined ? { parentBeaconBlockRoot: beaconRoot } : {}),
      ...(requests !== undefined ? { executionRequests: requests } : {}),
    }).block
  }
  const block = toBlock(0n)
  const blobs = BigInt(versionedHashesOf(block).length)
  return blobs === 0n ? block : toBlock(blobs * block.common.param('blobGasPerBlob'))
}

export interface StateRunOptions {
  /** Seals the block (the node's sequential executor, say). */
  seal: Executor
  /** Re-imports the sealed block as newPayload does (the parallel executor, say). */
  check?: Executor
}

export interface StateRunResult extends CaseResult {
  /** How the second executor ran the block, when there was one (its outcome's `executor`). */
  checkedBy?: ExecutionOutcome['executor']
}

const ok = (detail = 'ok', checkedBy?: ExecutionOutcome['executor']): StateRunResult => ({ pass: true, detail, ...(checkedBy !== undefined ? { checkedBy } : {}) })
const fail = (detail: string): StateRunResult => ({ pass: false, detail })

/** Runs one transaction of a case on `pre` (which stays unchanged: executors never commit). */
export async function runStateTestRun(tc: StateTestCase, run: StateTestRun, pre: PreState, opts: StateRunOptions): Promise<StateRunResult> {
  const p = run.post
  if (!pre.parent.common.gteHardfork(Hardfork.Paris)) return fail(`${run.fork}: a fork before Paris has no execution payload (not supported)`)
  const request = (block: Block, generate: boolean) => ({ block, parent: pre.parent, base: pre.kv, headerByHash: pre.headerByHash, common: pre.common, generate })
  let block: Block
  try {
    block = stateTestBlock(tc, run, pre)
  } catch (err) {
    return refused(p, refusalOf(err, 'decode'), pre)
  }
  let sealed: ExecutionOutcome
  try {
    sealed = await opts.seal.execute(request(block, true))
  } catch (err) {
    const r = refused(p, refusalOf(err, 'execute'), pre)
    if (!r.pass || opts.check === undefined) return r
    // the second executor must refuse the same block the same way
    try {
      await opts.check.execute(request(block, false))
      return fail(`${opts.check.kind} executor accepted the block the ${opts.seal.kind} one refused`)
    } catch (err2) {
      return refused(p, refusalOf(err2, 'execute'), pre)
    }
  }
  if (p.expectException !== undefined) return fail(`expected ${p.expectException}, but the block executed (state root ${bytesToHex(sealed.stateRoot)})`)
  const mismatch = compare(sealed, p)
  if (mismatch !== undefined) return fail(`${opts.seal.kind} executor: ${mismatch}`)
  if (opts.check === undefined) return ok()
  // newPayload's path: the sealed block as a payload, back to a block, executed and validated
  const payload = blockToPayload(sealed.sealed!)
  const header = sealed.sealed!.header
  const again = payloadToBlock(payload, {
    common: pre.common,
    ...(header.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: header.parentBeaconBlockRoot } : {}),
    ...(sealed.requests !== undefined ? { executionRequests: sealed.requests.map((r) => r.bytes) } : {}),
  })
  if (!again.hashMatches) return fail('the sealed block does not survive the payload round trip (block hash differs)')
  let checked: ExecutionOutcome
  try {
    checked = await opts.check.execute(request(again.block, false))
    validateOutcome(again.block, checked)
  } catch (err) {
    return fail(`${opts.check.kind} executor refused the sealed block: ${err instanceof Error ? err.message : String(err)}`)
  }
  const mismatch2 = compare(checked, p)
  return mismatch2 === undefined ? ok('ok', checked.executor) : fail(`${opts.check.kind} executor: ${mismatch2}`)
}

function compare(o: ExecutionOutcome, p: StateTestPost): string | undefined {
  if (bytesToHex(o.stateRoot) !== p.hash) return `state root ${bytesToHex(o.stateRoot)}, want ${p.hash}`
  const logs = logsHash(o.receipts)
  if (logs !== p.logs) return `logs hash ${logs}, want ${p.logs}`
  return undefined
}

/** A refusal is right when the fixture expected one, of that kind, and the pre-state is the post-state. */
function refused(p: StateTestPost, got: Refusal, pre: PreState): StateRunResult {
  const expected = p.expectException
  if (got.kind === 'internal') return fail(`internal error instead of a refusal: ${got.message}`)
  if (expected === undefined) return fail(`valid transaction refused (${got.kind}): ${got.message}`)
  const wants = expectedRefusals(expected)
  if (wants === undefined) return fail(`no refusal known for ${expected} (got ${got.kind}: ${got.message}); add it to state-exceptions.ts`)
  if (!wants.some((w) => w.kinds.includes(got.kind) && w.message.test(got.message))) {
    return fail(`expected ${expected} (${wants.map((w) => `${w.kinds.join('/')} ${w.message}`).join(' or ')}), got ${got.kind}: ${got.message}`)
  }
  // the fixture's post-state of a refused transaction is the pre-state: the genesis written from `pre`
  if (bytesToHex(pre.parent.stateRoot) !== p.hash) return fail(`pre-state root ${bytesToHex(pre.parent.stateRoot)}, but the fixture's unchanged state is ${p.hash}`)
  return ok(`refused: ${got.message}`)
}
