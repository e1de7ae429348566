import t from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import {
  decodeBlocksByHashRequest,
  decodeBlocksByRangeRequest,
  decodeResponseChunk,
  decodeStatus,
  encodeBlocksByHashRequest,
  encodeBlocksByRangeRequest,
  encodeErrorChunk,
  encodeFrame,
  encodeResponseChunk,
  encodeStatus,
  encodeVarint,
  errorReason,
  FrameDecoder,
  ResponseCode,
  type Status,
} from '../../../src/p2p/codec.ts'
import { P2PCodecError } from '../../../src/p2p/errors.ts'
import { DEFAULT_P2P_LIMITS, resolveLimits, TokenBucket } from '../../../src/p2p/limits.ts'
import { PeerBook } from '../../../src/p2p/peers.ts'

const h = (b: number) => new Uint8Array(32).fill(b)
const status: Status = { genesisHash: h(1), forkId: 'a1b2c3d4', headHash: h(2), headNumber: 123456n, safeHash: h(3), finalizedHash: new Uint8Array(32) }

t.test('varint framing round trip, split at every byte boundary', async (t) => {
  for (const n of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 32 - 1]) {
    const v = encodeVarint(n)
    t.ok(v.length >= 1 && v.length <= 5, `varint(${n}) length ${v.length}`)
  }
  t.throws(() => encodeVarint(-1), RangeError)
  t.throws(() => encodeVarint(2 ** 32), RangeError)
  const payloads = [new Uint8Array(0), new Uint8Array([7]), Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)]
  const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)))
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder(1000)
    const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]
    if (frames.length !== 3 || frames.some((f, i) => bytesToHex(f) !== bytesToHex(payloads[i]!))) {
      t.fail(`split at ${cut}`)
      return
    }
    d.finish()
  }
  t.pass('every split decodes to the same frames')
  // byte by byte
  const d = new FrameDecoder(1000)
  const frames: Uint8Array[] = []
  for (const b of stream) frames.push(...d.push(Uint8Array.of(b)))
  t.equal(frames.length, 3)
  t.equal(d.buffered, 0)
})

t.test('framing limits and malformed lengths', async (t) => {
  const big = encodeFrame(new Uint8Array(101))
  t.throws(() => new FrameDecoder(100).push(big.subarray(0, 1)), P2PCodecError, 'oversize frame rejected from its length alone')
  t.throws(() => new FrameDecoder(100).push(Uint8Array.of(0x80, 0x00)), P2PCodecError, 'non-minimal varint')
  t.throws(() => new FrameDecoder(2 ** 40).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), P2PCodecError, 'varint over 5 bytes')
  const d = new FrameDecoder(100)
  d.push(encodeFrame(new Uint8Array(10)).subarray(0, 5))
  t.throws(() => d.finish(), P2PCodecError, 'truncated frame at end of stream')
})

t.test('status round trip and strictness', async (t) => {
  const enc = encodeStatus(status)
  const dec = decodeStatus(enc)
  t.equal(dec.forkId, status.forkId)
  t.equal(dec.headNumber, status.headNumber)
  t.equal(bytesToHex(dec.genesisHash), bytesToHex(status.genesisHash))
  t.equal(bytesToHex(dec.headHash), bytesToHex(status.headHash))
  t.equal(bytesToHex(dec.safeHash), bytesToHex(status.safeHash))
  t.equal(bytesToHex(dec.finalizedHash), bytesToHex(status.finalizedHash))
  t.equal(bytesToHex(encodeStatus(dec)), bytesToHex(enc), 're-encodes identically')
  t.equal(decodeStatus(encodeStatus({ ...status, headNumber: 0n })).headNumber, 0n)

  const items = RLP.decode(enc) as Uint8Array[]
  const mutate = (i: number, v: Uint8Array | Uint8Array[]) => RLP.encode(items.map((x, j) => (j === i ? v : x)) as never)
  const bad: [string, Uint8Array][] = [
    ['garbage', Uint8Array.of(1, 2, 3)],
    ['empty', new Uint8Array(0)],
    ['not a list', RLP.encode(new Uint8Array(5))],
    ['too few items', RLP.encode(items.slice(0, 6) as never)],
    ['extra item', RLP.encode([...items, new Uint8Array(1)] as never)],
    ['wrong version', mutate(0, Uint8Array.of(2))],
    ['short genesis hash', mutate(1, new Uint8Array(31))],
    ['fork id length', mutate(2, new Uint8Array(5))],
    ['number with leading zero', mutate(4, Uint8Array.of(0, 1))],
    ['number over 64 bits', mutate(4, new Uint8Array(9).fill(1))],
    ['list where bytes expected', mutate(3, [new Uint8Array(32)])],
    ['trailing bytes', Buffer.concat([enc, Uint8Array.of(0)])],
    ['non-canonical RLP (long form for short string)', Uint8Array.of(0xb8, 0x01, 0x05)],
  ]
  for (const [name, bytes] of bad) t.throws(() => decodeStatus(bytes), P2PCodecError, name)
  t.throws(() => encodeStatus({ ...status, forkId: 'XYZ' }), RangeError)
  t.throws(() => encodeStatus({ ...status, headHash: new Uint8Array(3) }), RangeError)
})

t.test('blocks_by_hash request', async (t) => {
  const hashes = [h(1), h(2), h(3)]
  const dec = decodeBlocksByHashRequest(encodeBlocksByHashRequest(hashes, 64), 64)
  t.same(dec.map(bytesToHex), hashes.map(bytesToHex), 'round trip')
  t.throws(() => encodeBlocksByHashRequest([], 64), RangeError)
  t.throws(() => encodeBlocksByHashRequest(Array.from({ length: 65 }, () => h(1)), 64), RangeError)
  t.throws(() => decodeBlocksByHashRequest(RLP.encode([]), 64), P2PCodecError, 'no hashes')
  t.throws(() => decodeBlocksByHashRequest(RLP.encode(Array.from({ length: 65 }, () => h(1))), 64), P2PCodecError, '65 hashes')
  t.throws(() => decodeBlocksByHashRequest(RLP.encode([h(1), new Uint8Array(31)]), 64), P2PCodecError, 'short hash')
  t.throws(() => decodeBlocksByHashRequest(RLP.encode([[h(1)]] as never), 64), P2PCodecError, 'nested list')
  t.throws(() => decodeBlocksByHashRequest(Uint8Array.of(0xc5, 1), 64), P2PCodecError, 'truncated RLP')
})

t.test('blocks_by_range request', async (t) => {
  t.same(decodeBlocksByRangeRequest(encodeBlocksByRangeRequest({ start: 0n, count: 1 }, 64), 64), { start: 0n, count: 1 })
  t.same(decodeBlocksByRangeRequest(encodeBlocksByRangeRequest({ start: 2n ** 40n, count: 64 }, 64), 64), { start: 2n ** 40n, count: 64 })
  t.throws(() => encodeBlocksByRangeRequest({ start: 0n, count: 0 }, 64), RangeError)
  t.throws(() => encodeBlocksByRangeRequest({ start: 0n, count: 65 }, 64), RangeError)
  t.throws(() => decodeBlocksByRangeRequest(RLP.encode([Uint8Array.of(1), new Uint8Array(0)]), 64), P2PCodecError, 'count 0')
  t.throws(() => decodeBlocksByRangeRequest(RLP.encode([Uint8Array.of(1), Uint8Array.of(65)]), 64), P2PCodecError, 'count 65')
  t.throws(() => decodeBlocksByRangeRequest(RLP.encode([Uint8Array.of(0, 1), Uint8Array.of(1)]), 64), P2PCodecError, 'leading zero')
  t.throws(() => decodeBlocksByRangeRequest(RLP.encode([Uint8Array.of(1)]), 64), P2PCodecError, 'one item')
})

t.test('response chunks', async (t) => {
  const payload = Uint8Array.of(0xc0)
  const [frame] = new FrameDecoder(100).push(encodeResponseChunk(ResponseCode.Ok, payload))
  const c = decodeResponseChunk(frame!)
  t.equal(c.code, ResponseCode.Ok)
  t.equal(bytesToHex(c.payload), '0xc0')
  const [ef] = new FrameDecoder(1000).push(encodeErrorChunk(ResponseCode.RateLimited, 'slow down\n' + 'x'.repeat(500)))
  const e = decodeResponseChunk(ef!)
  t.equal(e.code, ResponseCode.RateLimited)
  t.ok(e.payload.length <= 256, 'reason truncated')
  t.match(errorReason(e), /^slow down\?x+$/, 'control characters neutralised')
  t.throws(() => decodeResponseChunk(new Uint8Array(0)), P2PCodecError, 'empty')
  t.throws(() => decodeResponseChunk(Uint8Array.of(9, 1)), P2PCodecError, 'unknown code')
  t.throws(() => decodeResponseChunk(Uint8Array.of(1, ...new Uint8Array(300))), P2PCodecError, 'long error reason')
})

t.test('limits and token bucket', async (t) => {
  t.equal(resolveLimits(undefined).maxBlocksPerRequest, 64)
  t.equal(resolveLimits({ maxGossipSize: 5 }).maxGossipSize, 5)
  t.equal(DEFAULT_P2P_LIMITS.maxGossipSize, 10 * 1024 * 1024)
  t.throws(() => resolveLimits({ maxGossipSize: -1 }), RangeError)
  t.throws(() => resolveLimits({ maxBlocksPerRequest: 0 }), RangeError)
  let now = 0
  const b = new TokenBucket(2, 3, () => now)
  t.ok(b.take() && b.take() && b.take(), 'burst of 3')
  t.notOk(b.take(), 'then empty')
  now += 500
  t.ok(b.take(), 'refilled one after 0.5 s at 2/s')
  t.notOk(b.take())
  now += 10_000
  t.ok(b.take() && b.take() && b.take(), 'refill capped at capacity')
  t.notOk(b.take())
})

t.test('peer book: admission, rejects, bans', async (t) => {
  let now = 1000
  const limits = resolveLimits({ maxConcurrentStreamsPerPeer: 2, requestBurst: 3, requestsPerSecond: 0, maxRejectsPerPeer: 3, banMs: 100 })
  const book = new PeerBook(limits, () => now)
  t.notOk(book.admit('x'), 'unknown peers are not admitted')
  book.connected('p', 'inbound', '/ip4/1.2.3.4/tcp/1')
  t.ok(book.admit('p') && book.admit('p'), 'two concurrent')
  t.notOk(book.admit('p'), 'third concurrent refused')
  book.release('p')
  t.ok(book.admit('p'), 'slot freed (third token)')
  book.release('p')
  t.notOk(book.admit('p'), 'bucket empty (no refill)')
  t.notOk(book.reject('p'))
  t.notOk(book.reject('p'))
  t.ok(book.reject('p'), 'third reject crosses the threshold')
  book.ban('p')
  t.ok(book.isBanned('p'))
  now += 101
  t.notOk(book.isBanned('p'), 'ban expires')
  book.setStatus('p', status)
  t.same(book.ahead(5n).map((p) => p.id), ['p'])
  t.same(book.ahead(200000n), [])
  t.equal(book.info('p', -5, true)?.head?.number, 123456n)
  book.disconnected('p')
  t.equal(book.size, 0)
})
