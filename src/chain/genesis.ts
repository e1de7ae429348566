// Writing the genesis into an empty store (state trie, flat state, block 0, pointers, chain config)
// in one batch; refusing a store that already holds another genesis.
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { ChainStore } from '../db/chain-store.ts'
import { flatOpsFromTrie } from '../db/flat-state.ts'
import type { BatchOp, KVStore } from '../db/interface.ts'
import { MetaKey, u64be, SCHEMA_VERSION } from '../db/keys.ts'
import { Overlay } from '../db/overlay.ts'
import { openTrie } from '../exec/state.ts'
import { DatadirError } from '../util/errors.ts'

export interface GenesisInput {
  common: Common
  /** Writes the alloc into the overlay's trie; returns the state root. */
  writeState: (overlay: Overlay) => Promise<Uint8Array>
  /** The genesis block for a given state root. */
  block: (stateRoot: Uint8Array) => Block
  /** Stored so later runs can rebuild the Common without the file (JSON text). */
  chainConfig: string
}

export interface GenesisResult {
  block: Block
  created: boolean
}

export async function initGenesis(kv: KVStore, input: GenesisInput): Promise<GenesisResult> {
  const store = new ChainStore(kv, input.common)
  const overlay = new Overlay(kv)
  const stateRoot = await input.writeState(overlay)
  const block = input.block(stateRoot)
  const existing = await store.getMeta(MetaKey.Genesis)
  if (existing !== undefined) {
    if (!equalsBytes(existing, block.hash())) {
      throw new DatadirError(
        `database already contains an incompatible genesis block (have ${bytesToHex(existing)}, new ${bytesToHex(block.hash())})`,
      )
    }
    return { block, created: false }
  }
  const ops: BatchOp[] = overlay.ops()
  await flatOpsFromTrie((root) => openTrie(overlay, root), stateRoot, ops)
  store.blockOps(block, [], ops)
  store.canonicalOps(0n, block.hash(), ops)
  if (block.header.difficulty > 0n) store.totalDifficultyOps(block.hash(), block.header.difficulty, ops)
  for (const name of [MetaKey.Genesis, MetaKey.Head, MetaKey.Safe, MetaKey.Finalized, MetaKey.FlatRoot]) {
    store.metaOps(name, block.hash(), ops)
  }
  store.metaOps(MetaKey.Schema, u64be(SCHEMA_VERSION), ops)
  store.metaOps(MetaKey.ChainConfig, new TextEncoder().encode(input.chainConfig), ops)
  await store.commit(ops)
  return { block, created: true }
}
