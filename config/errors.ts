// The errors of the config module: a genesis file or chain config that cannot be used.

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

/**
 * A new chain config that cannot replace the stored one: it moves a fork the stored head is in (or
 * one to at or before the head), or changes what blocks already accepted depended on.
 * `field` names the config field (`config.osakaTime`), `head` the stored head.
 */
export class IncompatibleChainConfigError extends Error {
  readonly code = 'CONFIG_INCOMPATIBLE'
  readonly field: string
  readonly head: { number: bigint; timestamp: bigint }

  constructor(field: string, head: { number: bigint; timestamp: bigint }, detail: string) {
    super(`incompatible chain config: ${detail}; keep the stored value or initialise a new datadir`)
    this.name = 'IncompatibleChainConfigError'
    this.field = field
    this.head = head
  }
}
