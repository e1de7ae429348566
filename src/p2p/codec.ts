// The req/resp wire format, as pure functions (no libp2p): framing, requests, responses.
//
// Every message on a req/resp stream is a frame: an unsigned LEB128 varint length (minimal, at most
// 5 bytes) followed by that many bytes. A request is one frame; a response is a sequence of frames,
// each a one-byte result code followed by the payload (a block's RLP, a status's RLP, or for an
// error code a short UTF-8 reason). Payloads are strict RLP: anything that does not re-encode to
// the same bytes, has the wrong shape, or is out of range is a P2PCodecError.
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { P2PCodecError } from './errors.ts'

export const STATUS_PROTOCOL = '/parallax/status/1'
export const BLOCKS_BY_HASH_PROTOCOL = '/parallax/blocks_by_hash/1'
export const BLOCKS_BY_RANGE_PROTOCOL = '/parallax/blocks_by_range/1'

export const STATUS_VERSION = 1n
const MAX_VARINT_BYTES = 5
const MAX_REASON_BYTES = 256

export const ResponseCode = {
  Ok: 0,
  InvalidRequest: 1,
  ServerError: 2,
  RateLimited: 3,
} as const
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode]

export interface Status {
  genesisHash: Uint8Array
  /** 8 lowercase hex chars (see topic.ts). */
  forkId: string
  headHash: Uint8Array
  headNumber: bigint
  /** Zero hash when unknown. */
  safeHash: Uint8Array
  /** Zero hash when unknown. */
  finalizedHash: Uint8Array
}

export interface RangeRequest {
  start: bigint
  count: number
}

export interface ResponseChunk {
  code: ResponseCode
  payload: Uint8Array
}

// --- framing ----------------------------------------------------------------------------------------

export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`varint out of range: ${n}`)
  const out: number[] = []
  let v = n
  do {
    let b = v & 0x7f
    v = Math.floor(v / 128)
    if (v > 0) b |= 0x80
    out.push(b)
  } while (v > 0)
  return Uint8Array.from(out)
}

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const len = encodeVarint(payload.length)
  const out = new Uint8Array(len.length + payload.length)
  out.set(len, 0)
  out.set(payload, len.length)
  return out
}

/**
 * Splits a byte stream into frames, incrementally. Throws P2PCodecError on a bad or non-minimal
 * varint, or a frame over `maxFrameSize` (before buffering it).
 */
export class FrameDecoder {
  /** Received, not yet returned: chunks are joined only once a whole frame is there (linear cost). */
  private chunks: Uint8Array[] = []
  private total = 0
  /** Length and header size of the frame at the front, once known. */
  private next: { length: number; offset: number } | undefined

  constructor(private readonly maxFrameSize: number) {}

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.total
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.total += chunk.length
    }
    const frames: Uint8Array[] = []
    while (true) {
      this.next ??= this.readLength()
      if (this.next === undefined) break
      const end = this.next.offset + this.next.length
      if (this.total < end) break
      const all = this.chunks.length === 1 ? this.chunks[0]! : joinChunks(this.chunks, this.total)
      frames.push(all.slice(this.next.offset, end))
      const rest = all.subarray(end)
      this.chunks = rest.length > 0 ? [rest] : []
      this.total = rest.length
      this.next = undefined
    }
    return frames
  }

  /** At the end of the stream: throws when a partial frame is left. */
  finish(): void {
    if (this.total > 0) throw new P2PCodecError(`stream ended inside a frame (${this.total} bytes left)`)
  }

  private byteAt(i: number): number | undefined {
    for (const c of this.chunks) {
      if (i < c.length) return c[i]
      i -= c.length
    }
    return undefined
  }

  private readLength(): { length: number; offset: number } | undefined {
    let value = 0
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.byteAt(i)
      if (b === undefined) return undefined
      value += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new P2PCodecError('non-minimal varint length')
        if (value > this.maxFrameSize) throw new P2PCodecError(`frame of ${value} bytes exceeds the limit of ${this.maxFrameSize}`)
        return { length: value, offset: i + 1 }
      }
    }
    throw new P2PCodecError('varint length too long')
  }
}

function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}

// --- RLP helpers ------------------------------------------------------------------------------------

type Item = Uint8Array | Item[]

function strictDecode(bytes: Uint8Array, what: string): Item {
  let item: Item
  try {
    item = RLP.decode(bytes) as Item
  } catch (err) {
    throw new P2PCodecError(`${what}: bad RLP: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!equalsBytes(RLP.encode(item), bytes)) throw new P2PCodecError(`${what}: non-canonical RLP`)
  return item
}

function list(item: Item, what: string, min: number, max: number): Item[] {
  if (!Array.isArray(item)) throw new P2PCodecError(`${what}: expected a list`)
  if (item.length < min || item.length > max) throw new P2PCodecError(`${what}: expected ${min === max ? min : `${min}..${max}`} items, got ${item.length}`)
  return item
}

function bytesOf(item: Item | undefined, what: string, length?: number): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new P2PCodecError(`${what}: expected bytes`)
  if (length !== undefined && item.length !== length) throw new P2PCodecError(`${what}: expected ${length} bytes, got ${item.length}`)
  return item
}

/** A canonical RLP unsigned integer of at most 8 bytes (no leading zero byte). */
function uintOf(item: Item | undefined, what: string): bigint {
  const b = bytesOf(item, what)
  if (b.length > 8) throw new P2PCodecError(`${what}: integer too large`)
  if (b.length > 0 && b[0] === 0) throw new P2PCodecError(`${what}: integer has a leading zero`)
  return b.length === 0 ? 0n : BigInt(bytesToHex(b))
}

function uintBytes(n: bigint): Uint8Array {
  if (n < 0n || n >= 1n << 64n) throw new RangeError(`integer out of range: ${n}`)
  if (n === 0n) return new Uint8Array(0)
  const h = n.toString(16)
  return Uint8Array.from(Buffer.from(h.length % 2 === 0 ? h : `0${h}`, 'hex'))
}

// --- status -----------------------------------------------------------------------------------------

export function encodeStatus(s: Status): Uint8Array {
  if (!/^[0-9a-f]{8}$/.test(s.forkId)) throw new RangeError(`bad fork id ${s.forkId}`)
  for (const [name, h] of [['genesisHash', s.genesisHash], ['headHash', s.headHash], ['safeHash', s.safeHash], ['finalizedHash', s.finalizedHash]] as const) {
    if (h.length !== 32) throw new RangeError(`${name} must be 32 bytes`)
  }
  return RLP.encode([uintBytes(STATUS_VERSION), s.genesisHash, Uint8Array.from(Buffer.from(s.forkId, 'hex')), s.headHash, uintBytes(s.headNumber), s.safeHash, s.finalizedHash])
}

export function decodeStatus(bytes: Uint8Array): Status {
  const items = list(strictDecode(bytes, 'status'), 'status', 7, 7)
  const version = uintOf(items[0], 'status.version')
  if (version !== STATUS_VERSION) throw new P2PCodecError(`status: unsupported version ${version}`)
  return {
    genesisHash: bytesOf(items[1], 'status.genesisHash', 32),
    forkId: Buffer.from(bytesOf(items[2], 'status.forkId', 4)).toString('hex'),
    headHash: bytesOf(items[3], 'status.headHash', 32),
    headNumber: uintOf(items[4], 'status.headNumber'),
    safeHash: bytesOf(items[5], 'status.safeHash', 32),
    finalizedHash: bytesOf(items[6], 'status.finalizedHash', 32),
  }
}

// --- requests ---------------------------------------------------------------------------------------

export function encodeBlocksByHashRequest(hashes: readonly Uint8Array[], max: number): Uint8Array {
  if (hashes.length < 1 || hashes.length > max) throw new RangeError(`blocks_by_hash: 1..${max} hashes`)
  for (const h of hashes) if (h.length !== 32) throw new RangeError('blocks_by_hash: hashes are 32 bytes')
  return RLP.encode([...hashes])
}

export function decodeBlocksByHashRequest(bytes: Uint8Array, max: number): Uint8Array[] {
  const items = list(strictDecode(bytes, 'blocks_by_hash'), 'blocks_by_hash', 1, max)
  return items.map((it, i) => bytesOf(it, `blocks_by_hash[${i}]`, 32))
}

export function encodeBlocksByRangeRequest(req: RangeRequest, max: number): Uint8Array {
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > max) throw new RangeError(`blocks_by_range: count 1..${max}`)
  return RLP.encode([uintBytes(req.start), uintBytes(BigInt(req.count))])
}

export function decodeBlocksByRangeRequest(bytes: Uint8Array, max: number): RangeRequest {
  const items = list(strictDecode(bytes, 'blocks_by_range'), 'blocks_by_range', 2, 2)
  const start = uintOf(items[0], 'blocks_by_range.start')
  const count = uintOf(items[1], 'blocks_by_range.count')
  if (count < 1n || count > BigInt(max)) throw new P2PCodecError(`blocks_by_range: count ${count} outside 1..${max}`)
  return { start, count: Number(count) }
}

// --- responses --------------------------------------------------------------------------------------

export function encodeResponseChunk(code: ResponseCode, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length)
  out[0] = code
  out.set(payload, 1)
  return encodeFrame(out)
}

export function encodeErrorChunk(code: Exclude<ResponseCode, 0>, reason: string): Uint8Array {
  return encodeResponseChunk(code, new TextEncoder().encode(reason).subarray(0, MAX_REASON_BYTES))
}

/** Decodes one response frame (already split by FrameDecoder). */
export function decodeResponseChunk(frame: Uint8Array): ResponseChunk {
  const code = frame[0]
  if (code === undefined) throw new P2PCodecError('empty response chunk')
  if (code !== 0 && code !== 1 && code !== 2 && code !== 3) throw new P2PCodecError(`unknown response code ${code}`)
  const payload = frame.subarray(1)
  if (code !== ResponseCode.Ok && payload.length > MAX_REASON_BYTES) throw new P2PCodecError('error reason too long')
  return { code, payload }
}

export function errorReason(chunk: ResponseChunk): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(chunk.payload).replace(/[\x00-\x1f\x7f]/g, '?')
}
