// Writes a genesis alloc into the state trie (accounts, code, storage) and returns the state root.
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, ValueEncoding, bigIntToBytes, createAccount, hexToBytes } from '@ethereumjs/util'
import { MemoryKV, Overlay, TrieNodeDB } from '../src/db/index.ts'
import { keccak256 } from '../src/util/keccak.ts'
import type { GenesisSpec } from './spec.ts'

/**
 * Puts every alloc account into the trie held by `overlay` (trie nodes and code through
 * TrieNodeDB, exactly as MerkleStateManager will read them back) and returns the state root.
 * Nothing is committed: the caller takes `overlay.ops()` and writes them in its own batch.
 */
export async function writeGenesisState(spec: GenesisSpec, overlay: Overlay): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie({
    db: new TrieNodeDB(overlay),
    useKeyHashing: true,
    useKeyHashingFunction: keccak256,
    valueEncoding: ValueEncoding.Bytes,
  })
  const state = new MerkleStateManager({ trie })
  for (const [hex, account] of spec.alloc) {
    const address = new Address(hexToBytes(hex))
    await state.putAccount(address, createAccount({ balance: account.balance, nonce: account.nonce }))
    if (account.code.length > 0) await state.putCode(address, account.code)
    for (const [slot, value] of account.storage) {
      // zero values delete, i.e. never appear in the trie (as in geth)
      if (value !== 0n) await state.putStorage(address, hexToBytes(slot), bigIntToBytes(value))
    }
  }
  return state.getStateRoot()
}

/** The genesis state root alone, computed in a throwaway in-memory trie. */
export async function genesisStateRoot(spec: GenesisSpec): Promise<Uint8Array> {
  return writeGenesisState(spec, new Overlay(new MemoryKV()))
}
