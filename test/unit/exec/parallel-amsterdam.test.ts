// Amsterdam (EIP-7928 block access lists) in the parallel executor:
// - the cheap access-list checkpoints (src/exec/bal-journal.ts) give exactly the library's results
//   on random operation sequences;
// - random blocks at an Amsterdam genesis: the parallel executor, with the block's access list
//   (each transaction speculated against the parent state plus the list's lower-index changes) and
//   without it, produces the sequential outcome field by field, access list included;
// - a block whose header commits to a wrong access list is INVALID for both executors, and a wrong
//   list does not make the parallel executor produce a different state;
// - effects mode: a transaction's calls on the list, recorded in a worker (bal-record.ts) and
//   replayed on the block's list (with the fee credit's balance replaced by the main thread's),
//   equal the library making them on the block's list directly, on random call sequences; and with
//   every transaction taken from a worker (no sharing) the block's list and outcome are the
//   sequential ones.
import t from 'tap'
import { createBlock } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, createBlockLevelAccessList, type BlockLevelAccessList } from '@ethereumjs/util'
import { keccak256 } from '../../../src/util/keccak.ts'
import { journalBalCheckpoints } from '../../../src/exec/bal-journal.ts'
import { AccessListRecorder, replayAccessListCalls } from '../../../src/exec/bal-record.ts'
import { BalView } from '../../../src/exec/bal-view.ts'
import { ParallelExecutor } from '../../../src/exec/parallel.ts'
import { diffOutcomes, storedIn } from '../../../src/exec/parallel-compare.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'
import { InvalidBlockError } from '../../../src/util/errors.ts'
import { setupBenchBlock } from '../../bench/setup.ts'
import { benchCommon } from '../../helpers/workloads/genesis.ts'
import { randomBlockMix, type MixKind } from '../../helpers/workloads/random-mix.ts'

/** Small deterministic PRNG (xorshift32). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1
  return (n) => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) % n
  }
}

const ADDRS = ['0x00000000000000000000000000000000000000a1', '0x00000000000000000000000000000000000000a2', '0x00000000000000000000000000000000000000a3'] as const

/** The arguments of one random access-list call, drawn once and given to every list compared. */
function drawArgs(r: (n: number) => number) {
  return {
    a: ADDRS[r(ADDRS.length)]!,
    slot: Uint8Array.of(r(4)),
    value: r(3) === 0 ? new Uint8Array() : Uint8Array.of(1 + r(5)),
    original: r(2) === 0 ? undefined : r(3) === 0 ? new Uint8Array() : Uint8Array.of(1 + r(5)),
    amount: BigInt(r(4)),
    originalAmount: r(2) === 0 ? undefined : BigInt(r(4)),
    code: Uint8Array.of(r(3)),
    originalCode: r(2) === 0 ? undefined : Uint8Array.of(r(3)),
  }
}

type Adds = Pick<AccessListRecorder, 'addAddress' | 'addStorageRead' | 'addStorageWrite' | 'addBalanceChange' | 'addNonceChange' | 'addCodeChange'>

/** Calls 0-6 (the additions) on `b`; false for the others (the caller's). */
function addCall(b: Adds, op: number, x: ReturnType<typeof drawArgs>, idx: number): boolean {
  if (op === 0) b.addAddress(x.a)
  else if (op === 1) b.addStorageRead(x.a, x.slot)
  else if (op === 2 || op === 3) b.addStorageWrite(x.a, x.slot, x.value, idx, x.original)
  else if (op === 4) b.addBalanceChange(x.a, x.amount, idx, x.originalAmount)
  else if (op === 5) b.addNonceChange(x.a, x.amount, idx)
  else if (op === 6) b.addCodeChange(x.a, x.code, idx, x.originalCode)
  else return false
  return true
}

t.test('journalled access-list checkpoints behave exactly like the library', async (t) => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed)
    const plain = createBlockLevelAccessList()
    const fast = createBlockLevelAccessList()
    journalBalCheckpoints(fast)
    let depth = 0
    let mismatch: string | undefined
    for (let step = 0; step < 200; step++) {
      // Draw every argument once, then apply the same operation to both lists.
      const idx = 1 + r(3)
      const op = r(14)
      const x = drawArgs(r)
      const final = r(2) === 0 ? undefined : new Map([[x.a, BigInt(r(3))]] as const)
      for (const b of [plain, fast]) {
        b.blockAccessIndex = idx
        if (addCall(b, op, x, idx)) continue
        if (op === 7 || op === 8) b.checkpoint()
        else if (op === 9) b.commit()
        else if (op === 10) b.revert()
        else if (op === 11 || op === 12) b.cleanupNetZeroBalanceChanges()
        else b.cleanupSelfdestructed([x.a], final)
      }
      if (op === 7 || op === 8) depth++
      if ((op === 9 || op === 10) && depth > 0) depth--
      if (mismatch === undefined && bytesToHex(fast.serialize()) !== bytesToHex(plain.serialize())) mismatch = `step ${step} (op ${op})`
    }
    while (depth-- > 0) {
      plain.revert()
      fast.revert()
    }
    if (mismatch === undefined && bytesToHex(fast.serialize()) !== bytesToHex(plain.serialize())) mismatch = 'after unwinding'
    t.equal(mismatch, undefined, `seed ${seed}: identical after every step`)
  }
})

t.test('journalled checkpoints save the parts a frame changes, not whole accounts', async (t) => {
  // The first journal saved a copy of an account's whole entry in every frame that changed it: a
  // token's or pool's entry (one slot per holder) was copied again by every transaction calling it,
  // quadratic in the block. Only a self-destruct's cleanup, which rewrites the whole entry, may copy it now.
  const list = createBlockLevelAccessList()
  journalBalCheckpoints(list)
  const internals = list as unknown as { cloneAccesses: (a: unknown) => unknown }
  let copies = 0
  const clone = internals.cloneAccesses.bind(list)
  internals.cloneAccesses = (a) => {
    copies++
    return clone(a)
  }
  const token = '0x00000000000000000000000000000000000000aa'
  for (let i = 1; i <= 50; i++) {
    list.blockAccessIndex = i
    list.checkpoint()
    list.addStorageWrite(token, Uint8Array.of(2, i), Uint8Array.of(1), i, new Uint8Array())
    list.checkpoint()
    list.addStorageRead(token, Uint8Array.of(1))
    list.addStorageWrite(token, Uint8Array.of(3), Uint8Array.of(i), i, Uint8Array.of(1))
    if (i % 5 === 0) list.revert()
    else list.commit()
    list.addBalanceChange(token, BigInt(i), i, 0n)
    list.commit()
  }
  t.equal(copies, 0, 'no whole-entry copies for calls, writes and reverts')
  t.equal(Object.keys((list as unknown as { accesses: Record<string, { storageChanges: object }> }).accesses[token]!.storageChanges).length, 51, 'all the writes are there')
  list.checkpoint()
  list.cleanupSelfdestructed([token])
  list.revert()
  t.equal(copies, 1, 'a self-destruct cleanup inside a frame copies that account once')
})

t.test('access-list calls recorded per transaction and replayed on the block\'s list equal the library making them there', async (t) => {
  const coinbase = '0x00000000000000000000000000000000000000cb' as const
  for (let seed = 1; seed <= 80; seed++) {
    const r = rng(seed * 7919)
    const whole = createBlockLevelAccessList() // the library, every call made on the block's list
    const replayed = createBlockLevelAccessList() // as the main thread: journalled checkpoints, calls replayed
    journalBalCheckpoints(replayed)
    const rec = new AccessListRecorder()
    let coinbaseBalance = 1000n
    const txs = 1 + r(6)
    for (let tx = 0; tx < txs; tx++) {
      const idx = tx + 1
      whole.blockAccessIndex = idx
      rec.reset(idx)
      let depth = 0
      for (let step = 0, n = r(25); step < n; step++) {
        const op = r(12)
        const x = drawArgs(r)
        const final = r(2) === 0 ? undefined : new Map([[x.a, BigInt(r(3))]] as const)
        for (const b of [whole, rec]) {
          if (addCall(b, op, x, idx)) continue
          if (op === 7 || op === 8) b.checkpoint()
          else if (op === 9 && depth > 0) b.commit()
          else if (op === 10 && depth > 0) b.revert()
          else if (op === 11 && depth === 0) b.cleanupSelfdestructed([x.a], final)
        }
        if (op === 7 || op === 8) depth++
        if ((op === 9 || op === 10) && depth > 0) depth--
      }
      for (; depth > 0; depth--) for (const b of [whole, rec]) b.commit()
      // the end of runTx: the fee credit (the worker saw another balance), then the net-zero cleanup
      const fee = BigInt(r(3))
      if (fee === 0n) for (const b of [whole, rec]) b.addAddress(coinbase)
      else {
        whole.addBalanceChange(coinbase, coinbaseBalance + fee, idx, coinbaseBalance)
        rec.addBalanceChange(coinbase, 7n + fee, idx, 7n)
      }
      for (const b of [whole, rec]) b.cleanupNetZeroBalanceChanges()
      replayed.blockAccessIndex = idx
      replayAccessListCalls(replayed, structuredClone(rec.calls), { address: coinbase, balance: coinbaseBalance + fee, original: coinbaseBalance })
      coinbaseBalance += fee
    }
    t.equal(bytesToHex(replayed.serialize()), bytesToHex(whole.serialize()), `seed ${seed}: ${txs} transactions`)
  }
})

const AMSTERDAM = { amsterdam: true }

async function amsterdamBlock(seed: number, txs: number, kinds?: readonly MixKind[]) {
  const common = benchCommon(AMSTERDAM)
  const mix = randomBlockMix(seed, { txs, common, ...(kinds !== undefined ? { kinds } : {}) })
  return setupBenchBlock(
    () => ({ name: `amsterdam-mix-${seed}`, description: 'randomBlockMix', alloc: mix.alloc, txs: mix.txs, coinbase: mix.coinbase, estimatedGas: 0n }),
    30_000_000n,
    AMSTERDAM,
  )
}

const CASES: { seed: number; txs: number; kinds?: readonly MixKind[] }[] = [
  { seed: 101, txs: 40 },
  { seed: 102, txs: 30 },
  { seed: 103, txs: 24, kinds: ['erc20-hot', 'amm-swap', 'sender-chain', 'coinbase-reader'] },
  { seed: 104, txs: 20, kinds: ['selfdestruct-new', 'selfdestruct-existing', 'create', 'create2', 'create2-collision', 'eip7702'] },
]

for (const c of CASES) {
  t.test(`Amsterdam randomBlockMix seed ${c.seed}: parallel (with and without the access list) = sequential`, async (t) => {
    const bb = await amsterdamBlock(c.seed, c.txs, c.kinds)
    t.teardown(() => bb.close())
    t.ok(bb.blockAccessList !== undefined, 'the block carries an access list')
    const ref = await new SequentialExecutor({ stock: true }).execute(bb.request())
    t.ok(ref.blockAccessList !== undefined && bytesToHex(ref.blockAccessList) === bytesToHex(bb.blockAccessList!), 'sequential rebuilds the same list')
    const workers = 1 + (c.seed % 3) // one pool per case keeps the file short; the cases cover 1-3
    const fallbacks: string[] = []
    const par = new ParallelExecutor({ workers, kvPath: bb.location, minTxs: 1, workerDelayMs: 2, onFallback: (r) => fallbacks.push(r) })
    try {
      const withList = await par.execute(bb.request())
      t.same(diffOutcomes(ref, withList, { writes: 'subset', stored: storedIn(bb.kv) }), [], `${workers} worker(s), access list given: identical`)
      t.equal(par.lastProfile?.mode, 'effects', 'with the list: effects mode')
      const req = bb.request()
      delete req.blockAccessList
      const without = await par.execute(req)
      t.same(diffOutcomes(ref, without, { writes: 'subset', stored: storedIn(bb.kv) }), [], `${workers} worker(s), no access list: identical`)
      t.equal(par.lastProfile?.mode, 'traces', 'without the list: trace mode')
      t.same(fallbacks, [], 'no sequential fallback')
      t.equal(par.stats.blocks, 2, 'both ran in parallel')
      t.comment(`${bb.txCount} txs; re-executed with the list ${withList.reexecutions}, without ${without.reexecutions}`)
    } finally {
      await par.close()
    }
  })
}

t.test('Amsterdam effects mode, every transaction from a worker: the merged list and the outcome are the sequential ones', async (t) => {
  for (const c of CASES) {
    const bb = await amsterdamBlock(c.seed, c.txs, c.kinds)
    const ref = await new SequentialExecutor({ stock: true }).execute(bb.request())
    const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1, share: false })
    try {
      const out = await par.execute(bb.request())
      t.same(diffOutcomes(ref, out, { writes: 'subset', stored: storedIn(bb.kv) }), [], `seed ${c.seed}: identical, access list included`)
      const p = par.lastProfile!
      t.equal(p.mode, 'effects', `seed ${c.seed}: effects mode`)
      t.ok(p.replayed > 0 && p.replayed + p.reexecuted === bb.txCount, `seed ${c.seed}: ${p.replayed} taken from workers, ${p.reexecuted} run here (they must run on this thread)`)
    } finally {
      await par.close()
      await bb.close()
    }
  }
})

t.test('a header committing to a wrong access list is INVALID for both executors', async (t) => {
  const bb = await amsterdamBlock(105, 24, ['erc20-hot', 'transfer', 'amm-swap'])
  t.teardown(() => bb.close())
  const good = bb.blockAccessList!
  const view = new BalView(good) // parses
  void view
  // Change one recorded balance: the last balance change of the first account that has one.
  const list = RLP.decode(good) as unknown as Uint8Array[][][][]
  let changed = false
  for (const entry of list) {
    const balances = entry[3]!
    if (balances.length > 0) {
      const last = balances[balances.length - 1]!
      last[1] = Uint8Array.of(0x01, 0x23, 0x45)
      changed = true
      break
    }
  }
  t.ok(changed, 'found a balance change to alter')
  const bad = RLP.encode(list as never)
  const req = bb.request()
  // The header commits to the altered list, so only execution can tell it is wrong.
  const header = { ...req.block.header.toJSON(), blockAccessListHash: bytesToHex(keccak256(bad)) }
  const block = createBlock({ header, transactions: req.block.transactions }, { common: req.block.common, setHardfork: true })
  const seq = new SequentialExecutor()
  await t.rejects(seq.execute({ ...req, block, blockAccessList: bad }), InvalidBlockError, 'sequential: INVALID')
  const stock = new SequentialExecutor({ stock: true })
  await t.rejects(stock.execute({ ...bb.request(), block, blockAccessList: bad }), InvalidBlockError, 'stock sequential: INVALID')
  const fallbacks: string[] = []
  const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1, onFallback: (r) => fallbacks.push(r) })
  await t.rejects(par.execute({ ...bb.request(), block, blockAccessList: bad }), InvalidBlockError, 'parallel: INVALID')
  // the workers' job for the failed block is dropped, and closing them now is no failure
  await par.close()
  t.same(fallbacks, [], 'no worker error reported for the abandoned speculation')
  const again = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1 })
  t.teardown(() => again.close())
  t.same(diffOutcomes(await seq.execute(bb.request()), await again.execute(bb.request())), [], 'the right list still gives the sequential outcome')
})

t.test('access list bytes that are not the canonical encoding: INVALID when the header commits to them, VALID when it commits to the canonical ones', async (t) => {
  const bb = await amsterdamBlock(107, 16, ['erc20-hot', 'transfer'])
  t.teardown(() => bb.close())
  const good = bb.blockAccessList!
  // The same list with one balance given a leading zero byte (RLP integers have none).
  const list = RLP.decode(good) as unknown as Uint8Array[][][][]
  const entry = list.find((e) => e[3]!.length > 0)!
  const change = entry[3]![0]!
  change[1] = Uint8Array.of(0, ...change[1]!)
  const padded = RLP.encode(list as never)
  t.not(bytesToHex(padded), bytesToHex(good), 'other bytes')
  const req = bb.request()
  const header = { ...req.block.header.toJSON(), blockAccessListHash: bytesToHex(keccak256(padded)) }
  const block = createBlock({ header, transactions: req.block.transactions }, { common: req.block.common, setHardfork: true })
  const par = new ParallelExecutor({ workers: 2, kvPath: bb.location, minTxs: 1 })
  t.teardown(() => par.close())
  for (const [name, ex] of [['stock sequential', new SequentialExecutor({ stock: true })], ['sequential', new SequentialExecutor()], ['parallel', par]] as const) {
    await t.rejects(ex.execute({ ...bb.request(), block, blockAccessList: padded }), InvalidBlockError, `${name}: header commits to the padded bytes: INVALID`)
    const out = await ex.execute({ ...bb.request(), blockAccessList: padded })
    t.equal(bytesToHex(out.stateRoot), bytesToHex(req.block.header.stateRoot), `${name}: header commits to the canonical bytes: VALID`)
  }
})

t.test('a listed block given a speculation without its access-list calls runs that transaction here (never INVALID)', async (t) => {
  const { createVM } = await import('@ethereumjs/vm')
  const { isSyncReader, viaGetSync } = await import('../../../src/db/interface.ts')
  const { AncestorHashes } = await import('../../../src/exec/ancestors.ts')
  const { NO_EFFECTS, runEffectsBlock } = await import('../../../src/exec/block-runner.ts')
  const { flatReaderAt, openBlockState } = await import('../../../src/exec/state.ts')
  const bb = await amsterdamBlock(106, 12, ['transfer', 'erc20-hot'])
  t.teardown(() => bb.close())
  const req = bb.request()
  t.ok(isSyncReader(req.base))
  const flat = await flatReaderAt(req.base, req.parent.hash())
  const { stateManager } = openBlockState(viaGetSync(req.base as never), req.parent.stateRoot, flat)
  const common = req.common.copy()
  common.setHardforkBy({ blockNumber: req.block.header.number, timestamp: req.block.header.timestamp })
  const vm = await createVM({ common, stateManager, blockchain: new AncestorHashes(req.parent, req.headerByHash) })
  // Effects that read and write nothing, for the first transaction, and no access-list calls.
  const empty = { accountReads: [], slotReads: [], accountWrites: [], slotWrites: [], codeWrites: [], cleared: [], result: {} } as never
  const source = { ...NO_EFFECTS, effects: (i: number) => (i === 0 ? empty : undefined) }
  const { result, counters } = await runEffectsBlock(vm, req.block, source, { share: true, blockAccessList: req.blockAccessList! })
  t.equal(bytesToHex(result.stateRoot), bytesToHex(req.block.header.stateRoot), 'the block is valid: its state root')
  t.equal(counters.reasons.get(0), 'no access-list calls recorded', 'the transaction ran here')
  t.equal(counters.applied, 0)
})
