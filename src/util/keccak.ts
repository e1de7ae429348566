// Keccak-256 for the hot paths (trie node and key hashing, state diffs, the EVM's customCrypto):
// hash-wasm's WebAssembly Keccak, about 10x faster than @noble/hashes' JS on 32–532-byte inputs
// (1.4 µs vs 14 µs per hash measured here), which matters because hashing trie nodes was ~20% of a
// block's execution time. One hasher per thread (module instances are per thread); calls are
// synchronous, so they never interleave. Falls back to @noble/hashes where WebAssembly is missing.
import { keccak_256 as nobleKeccak } from '@noble/hashes/sha3.js'
import { createKeccak } from 'hash-wasm'

type Hasher = Awaited<ReturnType<typeof createKeccak>>

async function loadHasher(): Promise<Hasher | undefined> {
  try {
    return await createKeccak(256)
  } catch {
    return undefined
  }
}

const hasher = await loadHasher()

/** True when the WebAssembly hasher is in use. */
export const wasmKeccak = hasher !== undefined

/** Keccak-256 of `data` (a new 32-byte array). */
export const keccak256: (data: Uint8Array) => Uint8Array =
  hasher === undefined
    ? nobleKeccak
    : (data) => {
        hasher.init()
        hasher.update(data)
        return hasher.digest('binary')
      }
