// Walking RLP bytes without decoding them: item lengths, a list's payload, its items' ranges, and a
// list prefix. For cutting encodings out of bytes the node already has (a block's body, its
// transactions, the blocks of an exported file) where decoding and re-encoding would cost time.
// Items are assumed well formed where the caller checked it (callers say so); rlpItemLength itself
// reports bytes too short for the length they announce.

/** Total length (prefix + payload) of the RLP item at `off`, or undefined when malformed. */
export function rlpItemLength(data: Uint8Array, off: number): number | undefined {
  const b = data[off]
  if (b === undefined) return undefined
  if (b < 0x80) return 1
  if (b < 0xb8) return 1 + (b - 0x80)
  if (b < 0xc0) return longLength(data, off, b - 0xb7)
  if (b < 0xf8) return 1 + (b - 0xc0)
  return longLength(data, off, b - 0xf7)
}

function longLength(data: Uint8Array, off: number, lenOfLen: number): number | undefined {
  if (off + 1 + lenOfLen > data.length) return undefined
  let len = 0
  for (let i = 0; i < lenOfLen; i++) len = len * 256 + data[off + 1 + i]!
  return 1 + lenOfLen + len
}

/** Offset of the payload of the item at `off` (after its prefix). */
export function rlpPayloadAt(data: Uint8Array, off: number): number {
  const b = data[off]!
  if (b < 0x80) return off
  if (b < 0xb8) return off + 1
  if (b < 0xc0) return off + 1 + (b - 0xb7)
  if (b < 0xf8) return off + 1
  return off + 1 + (b - 0xf7)
}

/** [start, end) of each item of the well-formed list at `off`. */
export function rlpListItems(data: Uint8Array, off: number): [number, number][] {
  const end = off + rlpItemLength(data, off)!
  const out: [number, number][] = []
  for (let p = rlpPayloadAt(data, off); p < end; ) {
    const len = rlpItemLength(data, p)!
    out.push([p, p + len])
    p += len
  }
  return out
}

/** An RLP list prefix for a payload of `len` bytes. */
export function rlpListPrefix(len: number): Uint8Array {
  if (len < 56) return Uint8Array.of(0xc0 + len)
  const bytes: number[] = []
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Uint8Array.of(0xf7 + bytes.length, ...bytes)
}
