// Errors of the dev chain's helpers (evm_*): a request the dev chain cannot honour (a timestamp
// not after the head's, a snapshot no longer canonical). JSON-RPC maps them in src/rpc/errors.ts.
import { ParallaxError } from '../util/errors.ts'

export class DevChainError extends ParallaxError {
  constructor(message: string) {
    super('DEV_CHAIN', message)
  }
}
