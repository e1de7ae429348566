// The req/resp protocols over libp2p streams: status, blocks_by_hash, blocks_by_range. The server
// side answers from the chain store under per-peer limits (token bucket, concurrent streams); the
// client side checks every answer (size, count, that the blocks are the ones asked for) before
// anything else sees it. A malformed message closes that stream and nothing else.
import type { Block } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import { decodeBlock } from '../chain/decode.ts'
import {
  BLOCKS_BY_HASH_PROTOCOL,
  BLOCKS_BY_RANGE_PROTOCOL,
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
  errorReason,
  ResponseCode,
  STATUS_PROTOCOL,
  type Status,
} from './codec.ts'
import { P2PCodecError, PeerRequestError } from './errors.ts'
import type { P2PLimits } from './limits.ts'
import { closeQuietly, deadline, readFrames, readOneFrame, sendBytes } from './stream-io.ts'

/** Requests are small: 64 hashes of 33 bytes plus framing fit comfortably. */
export const MAX_REQUEST_FRAME = 4096

export interface ServerDeps {
  chain: Chain
  limits: P2PLimits
  logger: Logger
  localStatus(): Promise<Status>
  /** A peer told us its status (in its status request). */
  onStatus(peer: string, status: Status): void
  /** Admission control: false → answer RATE_LIMITED. Every true is followed by one release(). */
  admit(peer: string): boolean
  release(peer: string): void
  /** A peer sent something malformed. */
  onMalformed(peer: string, err: Error): void
}

/** Registers the three protocol handlers on `libp2p`. */
export async function registerHandlers(libp2p: Libp2p, deps: ServerDeps): Promise<void> {
  const opts = { maxInboundStreams: Math.max(1, deps.limits.maxConcurrentStreamsPerPeer), maxOutboundStreams: 64 }
  for (const protocol of [STATUS_PROTOCOL, BLOCKS_BY_HASH_PROTOCOL, BLOCKS_BY_RANGE_PROTOCOL]) {
    await libp2p.handle(protocol, (stream, connection) => serve(deps, protocol, stream, connection.remotePeer.toString()), opts)
  }
}

async function serve(deps: ServerDeps, protocol: string, stream: Stream, peer: string): Promise<void> {
  const { limits } = deps
  if (!deps.admit(peer)) {
    await trySend(stream, encodeErrorChunk(ResponseCode.RateLimited, 'rate limited'))
    await closeQuietly(stream)
    return
  }
  const cancel = deadline(stream, limits.requestTimeoutMs, protocol)
  try {
    const request = await readOneFrame(stream, MAX_REQUEST_FRAME)
    if (protocol === STATUS_PROTOCOL) {
      const theirs = decodeStatus(request)
      await sendBytes(stream, encodeResponseChunk(ResponseCode.Ok, encodeStatus(await deps.localStatus())))
      deps.onStatus(peer, theirs)
    } else {
      const hashes = protocol === BLOCKS_BY_HASH_PROTOCOL ? decodeBlocksByHashRequest(request, limits.maxBlocksPerRequest) : undefined
      const range = protocol === BLOCKS_BY_RANGE_PROTOCOL ? decodeBlocksByRangeRequest(request, limits.maxBlocksPerRequest) : undefined
      let sent = 0
      for await (const block of hashes !== undefined ? blocksByHash(deps.chain, hashes) : blocksByRange(deps.chain, range!.start, range!.count)) {
        const rlp = block.serialize()
        sent += rlp.length
        if (sent > limits.maxResponseBytes || rlp.length + 1 > limits.maxFrameSize) break
        await sendBytes(stream, encodeResponseChunk(ResponseCode.Ok, rlp))
      }
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    if (err instanceof P2PCodecError) {
      deps.onMalformed(peer, e)
      await trySend(stream, encodeErrorChunk(ResponseCode.InvalidRequest, e.message))
    } else if (stream.status === 'open') {
      deps.logger.debug({ peer, protocol, err: e.message }, 'Request failed')
      await trySend(stream, encodeErrorChunk(ResponseCode.ServerError, 'server error'))
    }
  } finally {
    cancel()
    deps.release(peer)
    await closeQuietly(stream)
  }
}

async function trySend(stream: Stream, data: Uint8Array): Promise<void> {
  try {
    if (stream.writeStatus === 'writable') await sendBytes(stream, data)
  } catch {
    // the stream is gone; nothing to tell
  }
}

async function* blocksByHash(chain: Chain, hashes: Uint8Array[]): AsyncGenerator<Block> {
  for (const h of hashes) {
    const b = await chain.store.getBlock(h)
    if (b !== undefined) yield b
  }
}

async function* blocksByRange(chain: Chain, start: bigint, count: number): AsyncGenerator<Block> {
  const head = chain.head.number
  for (let n = start; n < start + BigInt(count) && n <= head; n++) {
    const h = await chain.store.getCanonicalHash(n)
    if (h === undefined) return
    const b = await chain.store.getBlock(h)
    if (b === undefined) return
    yield b
  }
}

// --- client -----------------------------------------------------------------------------------------

export interface ClientDeps {
  libp2p: Libp2p
  chain: Chain
  limits: P2PLimits
  /** Our outbound streams per peer, kept within what the peer accepts (its inbound limit). */
  slots: OutboundSlots
}

/** Per-peer limit on our concurrent outbound requests, with a bounded wait queue. */
export class OutboundSlots {
  private readonly peers = new Map<string, { active: number; waiters: (() => void)[] }>()

  constructor(
    private readonly perPeer: number,
    private readonly maxWaiting = 64,
  ) {}

  async acquire(peer: string): Promise<() => void> {
    let e = this.peers.get(peer)
    if (e === undefined) {
      e = { active: 0, waiters: [] }
      this.peers.set(peer, e)
    }
    const entry = e
    if (entry.active >= this.perPeer) {
      if (entry.waiters.length >= this.maxWaiting) throw new PeerRequestError('too many requests queued for this peer')
      await new Promise<void>((resolve) => entry.waiters.push(resolve))
    } else {
      entry.active++
    }
    let released = false
    return () => {
      if (released) return
      released = true
      const next = entry.waiters.shift()
      if (next !== undefined) next() // the slot passes to the next waiter
      else if (--entry.active === 0) this.peers.delete(peer)
    }
  }
}

/** Sends one request frame on a fresh stream and returns the OK payloads of the response. */
async function request(deps: ClientDeps, peer: PeerId, protocol: string, payload: Uint8Array, maxChunks: number): Promise<Uint8Array[]> {
  const release = await deps.slots.acquire(peer.toString())
  try {
    return await requestInner(deps, peer, protocol, payload, maxChunks)
  } finally {
    release()
  }
}

async function requestInner(deps: ClientDeps, peer: PeerId, protocol: string, payload: Uint8Array, maxChunks: number): Promise<Uint8Array[]> {
  const { limits } = deps
  const signal = AbortSignal.timeout(limits.requestTimeoutMs)
  let stream: Stream
  try {
    stream = await deps.libp2p.dialProtocol(peer, protocol, { signal })
  } catch (err) {
    throw new PeerRequestError(`${protocol}: cannot open stream: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  const cancel = deadline(stream, limits.requestTimeoutMs, protocol)
  try {
    await sendBytes(stream, encodeFrame(payload), signal)
    await stream.close({ signal })
    const frames = await readFrames(stream, { maxFrameSize: limits.maxFrameSize, maxFrames: maxChunks, maxBytes: limits.maxResponseBytes + maxChunks * 16 })
    const out: Uint8Array[] = []
    for (const f of frames) {
      const chunk = decodeResponseChunk(f)
      if (chunk.code !== ResponseCode.Ok) throw new PeerRequestError(`${protocol}: peer answered error ${chunk.code}: ${errorReason(chunk)}`)
      out.push(chunk.payload)
    }
    return out
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (err instanceof PeerRequestError || err instanceof P2PCodecError) throw err
    throw new PeerRequestError(`${protocol}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  } finally {
    cancel()
  }
}

export async function requestStatus(deps: ClientDeps, peer: PeerId, ours: Status): Promise<Status> {
  const payloads = await request(deps, peer, STATUS_PROTOCOL, encodeStatus(ours), 1)
  if (payloads.length !== 1) throw new PeerRequestError('status: no answer')
  return decodeStatus(payloads[0]!)
}

/** Blocks by hash: only blocks that were asked for, each at most once (any order, some may be missing). */
export async function requestBlocksByHash(deps: ClientDeps, peer: PeerId, hashes: Uint8Array[]): Promise<Block[]> {
  const payloads = await request(deps, peer, BLOCKS_BY_HASH_PROTOCOL, encodeBlocksByHashRequest(hashes, deps.limits.maxBlocksPerRequest), hashes.length)
  const wanted = new Set(hashes.map((h) => bytesToHex(h)))
  return payloads.map((p) => {
    const block = decodeBlock(p, deps.chain.common)
    const h = bytesToHex(block.hash())
    if (!wanted.delete(h)) throw new PeerRequestError(`blocks_by_hash: unrequested or repeated block ${h}`)
    return block
  })
}

/** Blocks by range: consecutive numbers from `start`, each the child of the one before. */
export async function requestBlocksByRange(deps: ClientDeps, peer: PeerId, start: bigint, count: number): Promise<Block[]> {
  const payloads = await request(deps, peer, BLOCKS_BY_RANGE_PROTOCOL, encodeBlocksByRangeRequest({ start, count }, deps.limits.maxBlocksPerRequest), count)
  const blocks = payloads.map((p) => decodeBlock(p, deps.chain.common))
  blocks.forEach((b, i) => {
    if (b.header.number !== start + BigInt(i)) throw new PeerRequestError(`blocks_by_range: expected #${start + BigInt(i)}, got #${b.header.number}`)
    if (i > 0 && !equalsBytes(b.header.parentHash, blocks[i - 1]!.hash())) throw new PeerRequestError(`blocks_by_range: #${b.header.number} does not link to its predecessor`)
  })
  return blocks
}
