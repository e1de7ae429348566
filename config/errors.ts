// The one error type of the config module: a genesis file or chain config that cannot be used.

/**
 * A malformed or unusable genesis. `field` names the offending field as a dotted path
 * (`config.chainId`, `alloc.0xabc….storage`), or the file path when the file itself is unreadable.
 */
export class GenesisError extends Error {
  readonly code = 'GENESIS_INVALID'
  readonly field: string
  /** The message without the `genesis: <field>: ` prefix. */
  readonly detail: string

  constructor(field: string, detail: string, options?: { cause?: unknown }) {
    super(`genesis: ${field}: ${detail}`, options)
    this.name = 'GenesisError'
    this.field = field
    this.detail = detail
  }
}
