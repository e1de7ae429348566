// Decoding a block from its RLP, strictly: anything that does not re-encode to the same bytes
// (missing or extra fork fields, non-canonical integers) is malformed, not "close enough".
import type { Block } from '@ethereumjs/block'
import { createBlockFromRLP } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { equalsBytes } from '@ethereumjs/util'
import { MalformedBlockError } from '../util/errors.ts'
import { rememberBlockRlp } from '../exec/block-bytes.ts'
import { orderedTrieRoot } from '../engine-api/block.ts'
import { rlpItemLength, rlpListItems, rlpPayloadAt } from '../util/rlp-bytes.ts'
import { sharedTxDecodeCommon } from '../util/tx-common.ts'

export function decodeBlock(bytes: Uint8Array, common: Common): Block {
  let block: Block
  try {
    // Transactions decoded with the tx params merged into the Common once (util/tx-common.ts), not
    // once per transaction.
    block = createBlockFromRLP(bytes, { common: sharedTxDecodeCommon(common), setHardfork: true })
  } catch (err) {
    throw new MalformedBlockError(`cannot decode block: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!equalsBytes(block.serialize(), bytes)) {
    throw new MalformedBlockError('block RLP is not canonical (fields missing, extra, or not minimally encoded)')
  }
  // The transactions root from the transactions' own bytes (each re-encodes to them: checked just
  // above), so body validation does not rebuild the trie through @ethereumjs/mpt (50-80 ms for a
  // 30M-gas block). It is compared with the header there, as before.
  // A typed transaction is an RLP string whose payload is its encoding, a legacy one a list that is.
  const [, txList] = rlpListItems(bytes, 0)
  const encodings = rlpListItems(bytes, txList![0]).map(([from, to]) => bytes.subarray(bytes[from]! >= 0xc0 ? from : rlpPayloadAt(bytes, from), to))
  const cache = (block as unknown as { cache: { txTrieRoot?: Uint8Array } }).cache
  cache.txTrieRoot = orderedTrieRoot(encodings)
  return rememberBlockRlp(block, bytes)
}

/** Splits a file of concatenated RLP blocks (geth's export format) into one byte range per block. */
export function* splitRlpStream(data: Uint8Array): Generator<Uint8Array> {
  let off = 0
  while (off < data.length) {
    const len = rlpItemLength(data, off)
    if (len === undefined || off + len > data.length) {
      throw new MalformedBlockError(`truncated or invalid RLP at byte ${off}`)
    }
    // A block is an RLP list; a string item here means the file is not a block export at all.
    if (data[off]! < 0xc0) throw new MalformedBlockError(`not an RLP block at byte ${off} (an RLP string, not a list)`)
    yield data.subarray(off, off + len)
    off += len
  }
}
