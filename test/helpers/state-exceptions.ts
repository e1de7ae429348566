// What the node must answer to each `expectException` of a state test: at which stage it refuses
// the transaction (the Engine API's payload decoding, or execution finding the block invalid) and
// what the refusal says. ethereumjs throws plain Errors, which the node wraps in typed ones
// (InvalidPayloadError, InvalidBlockError) carrying the library's message; the message patterns
// below are this test's expectation of the cause, checked so that a refusal for another reason (a
// different bug) does not count as the expected one.
import { InvalidPayloadError } from '../../src/engine-api/block.ts'
import { isInternalError } from '../../src/exec/sequential.ts'
import { InvalidBlockError, MalformedBlockError } from '../../src/util/errors.ts'

/** Where a transaction was refused: decoding the payload, executing the block, or not at all (our fault). */
export type RefusalKind = 'decode' | 'execute' | 'internal'

export interface Refusal {
  kind: RefusalKind
  message: string
}

/** Classifies what a stage threw: typed consensus refusals by class, everything else is ours. */
export function refusalOf(err: unknown, stage: 'decode' | 'execute'): Refusal {
  const message = err instanceof Error ? err.message : String(err)
  if (isInternalError(err)) return { kind: 'internal', message }
  if (stage === 'decode' && (err instanceof InvalidPayloadError || err instanceof MalformedBlockError)) return { kind: 'decode', message }
  if (stage === 'execute' && err instanceof InvalidBlockError) return { kind: 'execute', message }
  return { kind: 'internal', message: `${err instanceof Error ? err.constructor.name : typeof err}: ${message}` }
}

export interface ExpectedRefusal {
  kinds: readonly RefusalKind[]
  message: RegExp
}

const decode = ['decode'] as const
const execute = ['execute'] as const

/** Every exception the state tests here use; a new one fails its case until it is added. */
const EXPECTED: Record<string, ExpectedRefusal> = {
  'TransactionException.INSUFFICIENT_MAX_FEE_PER_GAS': { kinds: execute, message: /maxFeePerGas \(\d+\) is less than the block's baseFeePerGas/ },
  'TransactionException.INITCODE_SIZE_EXCEEDED': { kinds: decode, message: /initcode size of this transaction is too large/ },
  'TransactionException.TYPE_3_TX_CONTRACT_CREATION': { kinds: decode, message: /should have a "to" field and cannot be used to create contracts/ },
  'TransactionException.TYPE_3_TX_ZERO_BLOBS': { kinds: decode, message: /should contain at least one blob/ },
  'TransactionException.TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH': { kinds: decode, message: /versioned hash does not start with KZG commitment version/ },
  'TransactionException.TYPE_3_TX_BLOB_COUNT_EXCEEDED': { kinds: decode, message: /total blob gas of \d+ to exceed maximum blob gas per block/ },
  // The fixture's transaction (eip7702 contract_create) also has an empty authorization list, which
  // ethereumjs checks first: either fault is a right refusal.
  'TransactionException.TYPE_4_TX_CONTRACT_CREATION': { kinds: decode, message: /cannot be used to create contracts|authorization list is empty/ },
}

/** The refusals an exception name allows (one name, or alternatives joined by `|`: any of them). */
export function expectedRefusals(exception: string): ExpectedRefusal[] | undefined {
  const out = exception.split('|').flatMap((name) => EXPECTED[name.trim()] ?? [])
  return out.length > 0 ? out : undefined
}
