// The one table of LevelDB key prefixes. A prefix byte is never reused: retire a number, never recycle it.
export const Prefix = {
  TrieNode: 0x01, // node hash (32) → RLP trie node
  Code: 0x02, // code hash (32) → bytecode
  FlatAccount: 0x03, // keccak(address) (32) → RLP [nonce, balance, storageRoot, codeHash] at the canonical head
  FlatStorage: 0x04, // keccak(address) (32) ‖ keccak(slot) (32) → RLP storage value at the canonical head
  Header: 0x05, // block hash (32) → RLP header
  Body: 0x06, // block hash (32) → RLP [txs, uncles, withdrawals?]
  Receipts: 0x07, // block hash (32) → RLP list of receipts with their gas used per tx
  Canonical: 0x08, // number (8, big endian) → block hash
  HashToNumber: 0x09, // block hash (32) → number (8, big endian)
  Meta: 0x0a, // ascii name → value (head, safe, finalized, genesis, schema)
  InvalidBlock: 0x0b, // block hash (32) → JSON {reason, latestValidHash}
  StateDiff: 0x0c, // block hash (32) → RLP state diff of that block (pre and post values) for flat-state reorgs
  TxLookup: 0x0d, // tx hash (32) → block hash (32) ‖ index (4)
  AccessList: 0x0e, // block hash (32) → RLP block access list (EIP-7928)
  TotalDifficulty: 0x0f, // block hash (32) → big-endian total difficulty (pre-merge blocks only)
} as const
export type Prefix = (typeof Prefix)[keyof typeof Prefix]

export const MetaKey = {
  Head: 'head',
  Safe: 'safe',
  Finalized: 'finalized',
  Genesis: 'genesis',
  Schema: 'schema',
  FlatRoot: 'flatroot', // block hash the flat tables describe
  ChainConfig: 'chainconfig', // the genesis JSON the store was initialised with
} as const
export type MetaKey = (typeof MetaKey)[keyof typeof MetaKey]

export const SCHEMA_VERSION = 1

export function key(prefix: Prefix, ...parts: Uint8Array[]): Uint8Array {
  let len = 1
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  out[0] = prefix
  let o = 1
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

export function metaKey(name: MetaKey): Uint8Array {
  return key(Prefix.Meta, new TextEncoder().encode(name))
}

export function u64be(n: bigint | number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}

export function readU64be(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0)
}

/** Smallest key greater than every key starting with `prefix` (for range upper bounds). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice()
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++
      return out.subarray(0, i + 1)
    }
  }
  return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
}
