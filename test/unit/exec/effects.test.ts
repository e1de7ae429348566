// Transaction effects (src/exec/effects.ts) and the block runner's library hooks: what the main
// thread applies, what it refuses, and that runBlock's unexported helpers are where we load them.
import t from 'tap'
import { Account, Address, bytesToHex } from '@ethereumjs/util'
import { applyEffects, type EffectsTarget, type TxEffects } from '../../../src/exec/effects.ts'
import { vmInternals } from '../../../src/exec/block-runner.ts'

const A = new Address(new Uint8Array(20).fill(0xaa))
const B = new Address(new Uint8Array(20).fill(0xbb))
const SLOT = new Uint8Array(32).fill(1)

/** A map-backed state that records every write. */
class MapState implements EffectsTarget {
  accounts = new Map<string, Account>()
  slots = new Map<string, Uint8Array>()
  writes: string[] = []
  async getAccount(a: Address): Promise<Account | undefined> {
    const x = this.accounts.get(a.toString())
    return x === undefined ? undefined : new Account(x.nonce, x.balance, x.storageRoot, x.codeHash)
  }
  async getStorage(a: Address, s: Uint8Array): Promise<Uint8Array> {
    return this.slots.get(a.toString() + bytesToHex(s)) ?? new Uint8Array()
  }
  async putAccount(a: Address, acc: Account | undefined): Promise<void> {
    this.writes.push(`account ${a}`)
    if (acc === undefined) this.accounts.delete(a.toString())
    else this.accounts.set(a.toString(), acc)
  }
  async deleteAccount(a: Address): Promise<void> {
    this.writes.push(`delete ${a}`)
    this.accounts.delete(a.toString())
  }
  async putStorage(a: Address, s: Uint8Array, v: Uint8Array): Promise<void> {
    this.writes.push(`slot ${a}`)
    this.slots.set(a.toString() + bytesToHex(s), v)
  }
  async clearStorage(a: Address): Promise<void> {
    this.writes.push(`clear ${a}`)
  }
  async putCode(a: Address): Promise<void> {
    this.writes.push(`code ${a}`)
  }
}

const result = { receipt: { status: 1 as const, cumulativeBlockGasUsed: 21000n, bitvector: new Uint8Array(256), logs: [] }, totalGasSpent: 21000n, blockGasSpent: 21000n, amountSpent: 0n, gasRefund: 0n, minerValue: 0n, bloom: new Uint8Array(256) }

function fx(over: Partial<TxEffects> = {}): TxEffects {
  return { accountReads: [], slotReads: [], accountWrites: [], slotWrites: [], codeWrites: [], cleared: [], result, ...over }
}

t.test('reads that hold: the writes are applied', async (t) => {
  const s = new MapState()
  s.accounts.set(A.toString(), new Account(1n, 100n))
  const e = fx({
    accountReads: [[A.bytes, new Account(1n, 100n).serialize()]],
    slotReads: [[B.bytes, SLOT, new Uint8Array()]],
    accountWrites: [[A.bytes, new Account(2n, 50n).serialize()]],
    slotWrites: [[B.bytes, SLOT, Uint8Array.of(7)]],
  })
  s.accounts.set(B.toString(), new Account(1n, 0n))
  t.equal(await applyEffects(s, e), undefined)
  t.equal(s.accounts.get(A.toString())!.nonce, 2n)
  t.same(await s.getStorage(B, SLOT), Uint8Array.of(7))
})

t.test('a read that no longer holds: refused, nothing written', async (t) => {
  const s = new MapState()
  s.accounts.set(A.toString(), new Account(1n, 99n))
  const e = fx({ accountReads: [[A.bytes, new Account(1n, 100n).serialize()]], accountWrites: [[A.bytes, new Account(2n, 50n).serialize()]] })
  t.match(await applyEffects(s, e), /account/)
  t.same(s.writes, [])
  const slot = fx({ slotReads: [[B.bytes, SLOT, Uint8Array.of(1)]], slotWrites: [[B.bytes, SLOT, Uint8Array.of(2)]] })
  t.match(await applyEffects(s, slot), /storage/)
  t.same(s.writes, [])
})

t.test('marked for the main thread (fee recipient used, an account deleted): refused', async (t) => {
  const s = new MapState()
  t.equal(await applyEffects(s, fx({ runOnMain: 'uses the fee recipient' })), 'uses the fee recipient')
  t.same(s.writes, [])
})

t.test("a plain transfer's recipient is rebased by a balance difference, nothing else", async (t) => {
  const s = new MapState()
  s.accounts.set(B.toString(), new Account(0n, 1_000n)) // a lower transaction credited 1000
  const seen = new Account(0n, 0n).serialize()
  const e = fx({ accountReads: [[B.bytes, seen]], accountWrites: [[B.bytes, new Account(0n, 5n).serialize()]], credited: B.bytes })
  t.equal(await applyEffects(s, e), undefined)
  t.equal(s.accounts.get(B.toString())!.balance, 1_005n, 'credit added on top of what is there')
  s.accounts.set(B.toString(), new Account(3n, 1_000n))
  t.match(await applyEffects(s, e), /account/, 'a nonce change is a conflict even for a credited recipient')
  const noCredit = fx({ accountReads: [[B.bytes, seen]], accountWrites: [[B.bytes, new Account(0n, 5n).serialize()]] })
  s.accounts.set(B.toString(), new Account(0n, 1_000n))
  t.match(await applyEffects(s, noCredit), /account/, 'without the mark a balance difference is a conflict')
})

t.test("runBlock's unexported helpers load from the installed @ethereumjs/vm", async (t) => {
  const lib = await vmInternals()
  for (const f of [lib.accumulateParentBeaconBlockRoot, lib.accumulateParentBlockHash, lib.rewardAccount, lib.accumulateRequests]) t.type(f, 'function')
})

t.test('the recorder: first reads, final writes, the fee credit left out, deletions of existing accounts refused', async (t) => {
  const { Caches } = await import('@ethereumjs/statemanager')
  const { MemoryKV } = await import('../../../src/db/memory.ts')
  const { Overlay } = await import('../../../src/db/overlay.ts')
  const { openTrie } = await import('../../../src/exec/state.ts')
  const { EffectsStateManager } = await import('../../../src/exec/effects.ts')
  const sm = new EffectsStateManager({ trie: openTrie(new Overlay(new MemoryKV())), caches: new Caches() })
  await sm.checkpoint()
  await sm.putAccount(A, new Account(1n, 100n))
  const coinbase = new Address(new Uint8Array(20).fill(0xcc))
  sm.begin(coinbase)
  const a = (await sm.getAccount(A))!
  a.balance -= 10n
  await sm.putAccount(A, a)
  await sm.getAccount(A) // after its own write: not a read from below
  await sm.putAccount(B, new Account(0n, 10n))
  sm.phase = 'post'
  await sm.putAccount(coinbase, new Account(0n, 1n)) // runTx's credit
  const e = await sm.end(result)
  t.same(e.accountReads.map(([x]) => bytesToHex(x)), [A.toString()], 'one read, of A, before its write')
  t.same(e.accountWrites.map(([x]) => bytesToHex(x)).sort(), [A.toString(), B.toString()].sort(), 'A and B written; the credit is not')
  t.equal(e.runOnMain, undefined)

  sm.begin(coinbase)
  sm.phase = 'call'
  await sm.getAccount(coinbase)
  t.equal((await sm.end(result)).runOnMain, 'uses the fee recipient', 'the fee recipient read inside the call')

  sm.begin(coinbase)
  await sm.getAccount(A)
  await sm.deleteAccount(A)
  t.match((await sm.end(result)).runOnMain, /wipes|deletes/, 'an existing account deleted: the main thread runs it')
})
