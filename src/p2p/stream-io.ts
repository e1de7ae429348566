// Reading frames from, and writing bytes to, a libp2p 3 stream, with bounds: a frame size limit, a
// cap on frames and total bytes, and a deadline after which the stream is aborted.
import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { FrameDecoder } from './codec.ts'
import { P2PCodecError, PeerRequestError } from './errors.ts'

export interface ReadBounds {
  maxFrameSize: number
  /** Most frames accepted; one more is an error. */
  maxFrames: number
  /** Most bytes accepted in all. */
  maxBytes: number
}

function toBytes(chunk: Uint8Array | Uint8ArrayList): Uint8Array {
  return chunk instanceof Uint8Array ? chunk : chunk.subarray()
}

/** Reads every frame until the remote closes its write side. Throws P2PCodecError on a bound crossed. */
export async function readFrames(stream: Stream, bounds: ReadBounds): Promise<Uint8Array[]> {
  const decoder = new FrameDecoder(bounds.maxFrameSize)
  const frames: Uint8Array[] = []
  let bytes = 0
  for await (const chunk of stream) {
    const data = toBytes(chunk)
    bytes += data.length
    if (bytes > bounds.maxBytes) throw new P2PCodecError(`message exceeds ${bounds.maxBytes} bytes`)
    for (const f of decoder.push(data)) {
      frames.push(f)
      if (frames.length > bounds.maxFrames) throw new P2PCodecError(`more than ${bounds.maxFrames} frames`)
    }
  }
  decoder.finish()
  return frames
}

/** Reads exactly one frame (a request); anything after it is an error. */
export async function readOneFrame(stream: Stream, maxFrameSize: number): Promise<Uint8Array> {
  const decoder = new FrameDecoder(maxFrameSize)
  let frame: Uint8Array | undefined
  for await (const chunk of stream) {
    for (const f of decoder.push(toBytes(chunk))) {
      if (frame !== undefined) throw new P2PCodecError('more than one request frame')
      frame = f
    }
    // A request is one frame and the requester closes its side after it: stop reading at once
    // when the frame is complete and nothing else was sent.
    if (frame !== undefined && decoder.buffered === 0) break
  }
  decoder.finish()
  if (frame === undefined) throw new P2PCodecError('no request frame')
  return frame
}

/** Sends `data`, waiting for the stream to drain when its buffer is full. */
export async function sendBytes(stream: Stream, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (!stream.send(data)) await stream.onDrain(signal !== undefined ? { signal } : {})
}

/** Aborts `stream` when `ms` passes; returns the cancel function. */
export function deadline(stream: Stream, ms: number, what: string): () => void {
  const timer = setTimeout(() => stream.abort(new PeerRequestError(`${what}: timed out after ${ms} ms`)), ms)
  timer.unref?.()
  return () => clearTimeout(timer)
}

/** Closes gracefully, falling back to abort: never throws. */
export async function closeQuietly(stream: Stream): Promise<void> {
  try {
    await stream.close()
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}
