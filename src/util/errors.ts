// Typed errors. Every error a user can see carries a code; JSON-RPC codes are mapped in one place
// (src/rpc), the CLI maps `UsageError`/`ConfigError`/`DatadirError` to a one-line message and exit 1.

export class ParallaxError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Bad command line: unknown flag, bad value. */
export class UsageError extends ParallaxError {
  constructor(message: string) {
    super('USAGE', message)
  }
}

/** Bad configuration file (genesis, JWT secret, ...). */
export class ConfigError extends ParallaxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options)
  }
}

/** The data directory is missing, not initialised, or initialised with another genesis. */
export class DatadirError extends ParallaxError {
  constructor(message: string) {
    super('DATADIR', message)
  }
}

/** A block (or payload) is invalid: consensus meaning. Never thrown for our own faults. */
export class InvalidBlockError extends ParallaxError {
  readonly reason: string
  constructor(reason: string, message: string) {
    super('INVALID_BLOCK', message)
    this.reason = reason
  }
}

/** A block could not be decoded at all (bad RLP, non-canonical encoding). */
export class MalformedBlockError extends ParallaxError {
  constructor(message: string) {
    super('MALFORMED_BLOCK', message)
  }
}
