// A block's RLP where the node already has it. A parallel block's workers are sent the block as RLP
// (worker-job.ts), and re-encoding a 30M-gas block (block.serialize(): every transaction's fields
// RLP-encoded again) took 8-15 ms on the main thread before the first transaction could start. Every
// way a block enters the node comes with bytes: a payload's transactions (engine-api/block.ts), a
// decoded block (chain/decode.ts); those paths remember them here.
import type { Block } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { rlpListItems, rlpListPrefix } from '../util/rlp-bytes.ts'

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
  const [header] = rlpListItems(rlp, 0)
  const rest = rlp.subarray(header![1])
  const prefix = rlpListPrefix(rest.length)
  const out = new Uint8Array(prefix.length + rest.length)
  out.set(prefix, 0)
  out.set(rest, prefix.length)
  return out
}
