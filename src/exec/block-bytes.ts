// A block's RLP where the node already has it. A parallel block's workers are sent the block as RLP
// (worker-job.ts), and re-encoding a 30M-gas block (block.serialize(): every transaction's fields
// RLP-encoded again) took 8-15 ms on the main thread before the first transaction could start. Every
// way a block enters the node comes with bytes: a payload's transactions (engine-api/block.ts), a
// decoded block (chain/decode.ts); those paths remember them here.
import type { Block } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'

const known = new WeakMap<Block, Uint8Array>()

/**
 * Records `rlp` as `block`'s encoding (the caller knows they are equal: it decoded one from the
 * other). A view into a larger buffer (a block of an imported file, a message) is copied out: the
 * bytes are posted to the workers, and structured clone copies a view's whole underlying buffer.
 */
export function rememberBlockRlp(block: Block, rlp: Uint8Array): Block {
  known.set(block, rlp.byteOffset === 0 && rlp.byteLength === rlp.buffer.byteLength ? rlp : rlp.slice())
  return block
}

/** The block's RLP: the remembered bytes, else block.serialize() (then remembered). */
export function blockRlp(block: Block): Uint8Array {
  let rlp = known.get(block)
  if (rlp === undefined) {
    rlp = block.serialize()
    known.set(block, rlp)
  }
  return rlp
}

/**
 * The block's body as the store keeps it (the RLP list of every field after the header): cut from
 * the remembered bytes when there are some (encoding a 30M-gas block's transactions again took
 * 6-8 ms of newPayload's commit), else encoded.
 */
export function blockBodyRlp(block: Block): Uint8Array {
  const rlp = known.get(block)
  if (rlp === undefined) return RLP.encode(block.raw().slice(1) as never)
  const bodyAt = listPayloadAt(rlp) + itemLength(rlp, listPayloadAt(rlp))
  const rest = rlp.subarray(bodyAt)
  const prefix = listPrefix(rest.length)
  const out = new Uint8Array(prefix.length + rest.length)
  out.set(prefix, 0)
  out.set(rest, prefix.length)
  return out
}

/** Offset of a list's payload (after its prefix). */
function listPayloadAt(b: Uint8Array): number {
  const p = b[0]!
  if (p < 0xc0) throw new Error('block RLP is not a list')
  return p <= 0xf7 ? 1 : 1 + (p - 0xf7)
}

/** Length of the whole RLP item (prefix included) at offset `o`. */
function itemLength(b: Uint8Array, o: number): number {
  const p = b[o]!
  if (p < 0x80) return 1
  if (p <= 0xb7) return 1 + (p - 0x80)
  if (p < 0xc0) return 1 + (p - 0xb7) + beInt(b, o + 1, p - 0xb7)
  if (p <= 0xf7) return 1 + (p - 0xc0)
  return 1 + (p - 0xf7) + beInt(b, o + 1, p - 0xf7)
}

function beInt(b: Uint8Array, o: number, n: number): number {
  let v = 0
  for (let k = 0; k < n; k++) v = v * 256 + b[o + k]!
  return v
}

/** An RLP list prefix for a payload of `len` bytes. */
function listPrefix(len: number): Uint8Array {
  if (len < 56) return Uint8Array.of(0xc0 + len)
  const bytes: number[] = []
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Uint8Array.of(0xf7 + bytes.length, ...bytes)
}
