// FlatReadStateManager keeps accounts as their encoded bytes where it has them: an account read
// from the flat tables goes into the library's account cache as the stored RLP, and a worker's
// written account (putAccountRLP) as the worker's RLP. These check that the library's cache holds
// exactly those bytes (its AccountCache.put asks nothing else of the account), that the decoded
// copy handed out cannot change the cache, and that the results equal the library's own path.
import t from 'tap'
import { Caches } from '@ethereumjs/statemanager'
import { Account, Address, KECCAK256_RLP, bytesToHex, createAccountFromRLP, equalsBytes, hexToBytes } from '@ethereumjs/util'
import { key, Prefix } from '../../../src/db/keys.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import { Overlay } from '../../../src/db/overlay.ts'
import { FlatReadStateManager, openTrie } from '../../../src/exec/state.ts'
import { keccak256 } from '../../../src/util/keccak.ts'

const A = new Address(hexToBytes('0x00000000000000000000000000000000000000aa'))
const B = new Address(hexToBytes('0x00000000000000000000000000000000000000bb'))

function manager(flat: MemoryKV): FlatReadStateManager {
  return new FlatReadStateManager({ trie: openTrie(new Overlay(new MemoryKV())), caches: new Caches() }, flat)
}

function cachedRLP(sm: FlatReadStateManager, a: Address): Uint8Array | undefined {
  return (sm as unknown as { _caches: Caches })._caches.account!.get(a)?.accountRLP
}

t.test('an account read from the flat tables is cached as the stored bytes', async (t) => {
  const flat = new MemoryKV()
  const stored = new Account(7n, 10n ** 18n).serialize()
  await flat.put(key(Prefix.FlatAccount, keccak256(A.bytes)), stored)
  const sm = manager(flat)
  const acc = await sm.getAccount(A)
  t.equal(acc?.nonce, 7n)
  t.equal(acc?.balance, 10n ** 18n)
  t.equal(bytesToHex(cachedRLP(sm, A)!), bytesToHex(stored), 'the cache holds the stored RLP')
  acc!.balance = 1n
  acc!.nonce = 99n
  const again = await sm.getAccount(A)
  t.equal(again?.balance, 10n ** 18n, 'changing the account handed out leaves the cached one as it was')
  t.equal(again?.nonce, 7n)
  t.equal(bytesToHex((await sm.accountRLP(A))!), bytesToHex(stored))
  t.equal(await sm.getAccount(B), undefined, 'an absent account')
  t.equal(await sm.accountRLP(B), null)
})

t.test('accountRLP loads an uncached account without decoding it, and getAccount then decodes the same bytes', async (t) => {
  const flat = new MemoryKV()
  const stored = new Account(3n, 5n).serialize()
  await flat.put(key(Prefix.FlatAccount, keccak256(A.bytes)), stored)
  const sm = manager(flat)
  t.equal(bytesToHex((await sm.accountRLP(A))!), bytesToHex(stored))
  t.equal(bytesToHex(cachedRLP(sm, A)!), bytesToHex(stored))
  t.equal((await sm.getAccount(A))?.balance, 5n)
  t.equal(bytesToHex(sm.parentAccount(A.toString())!), bytesToHex(stored), 'the parent value is noted')
})

t.test('putAccountRLP = putAccount of the decoded account: same cache bytes, same storage reset, same root', async (t) => {
  const flat = new MemoryKV()
  const slot = new Uint8Array(32).fill(1)
  const storageRoot = keccak256(Uint8Array.of(1))
  await flat.put(key(Prefix.FlatAccount, keccak256(A.bytes)), new Account(1n, 1n, storageRoot).serialize())
  await flat.put(key(Prefix.FlatStorage, keccak256(A.bytes), keccak256(slot)), Uint8Array.of(0x2a))
  const viaRLP = manager(flat)
  const viaAccount = manager(flat)
  for (const sm of [viaRLP, viaAccount]) await sm.getAccount(A)
  // The account loses its storage (its root becomes the empty trie's): the flat slot no longer holds.
  const rlp = new Account(2n, 3n, KECCAK256_RLP).serialize()
  await viaRLP.putAccountRLP(A, rlp)
  await viaAccount.putAccount(A, createAccountFromRLP(rlp))
  t.equal(bytesToHex(cachedRLP(viaRLP, A)!), bytesToHex(rlp))
  t.ok(equalsBytes(cachedRLP(viaRLP, A)!, cachedRLP(viaAccount, A)!), 'the same cached bytes as the library path')
  const got = await viaRLP.getAccount(A)
  t.equal(got?.nonce, 2n)
  t.equal(got?.balance, 3n)
  t.equal(bytesToHex(await viaRLP.getStorage(A, slot)), bytesToHex(await viaAccount.getStorage(A, slot)), 'the storage reset is the same')
  got!.balance = 77n
  t.equal((await viaRLP.getAccount(A))?.balance, 3n, 'the decoded copy handed out cannot change the cache')
  const b = new Account(0n, 9n).serialize()
  await viaRLP.putAccountRLP(B, b)
  await viaAccount.putAccount(B, createAccountFromRLP(b))
  t.equal(bytesToHex(await viaRLP.getStateRoot()), bytesToHex(await viaAccount.getStateRoot()), 'the same state root')
})
