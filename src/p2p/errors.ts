// Errors of the p2p layer. A peer's malformed message is a P2PCodecError (the stream is closed, the
// node goes on); a peer that answers wrongly or not at all is a PeerRequestError.
import { ParallaxError } from '../util/errors.ts'

/** Bytes from a peer that do not decode: bad framing, oversize, bad RLP, out-of-range values. */
export class P2PCodecError extends ParallaxError {
  constructor(message: string) {
    super('P2P_CODEC', message)
  }
}

/** A request to a peer failed: error response, timeout, wrong or unrequested blocks. */
export class PeerRequestError extends ParallaxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('P2P_REQUEST', message, options)
  }
}
