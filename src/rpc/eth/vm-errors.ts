// geth's texts for EVM failures, from ethereumjs' EVMError messages: geth's wording for the same
// fault, and the cases where ethereumjs' error alone does not say which fault it was.
import { EVMError } from '@ethereumjs/evm'
import { Address, hexToBytes } from '@ethereumjs/util'
import type { CallMessage } from './call-args.ts'

const BLAKE2F_INPUT_LENGTH = 213

/** geth's texts for ethereumjs' EVM errors. */
const VM_ERRORS: ReadonlyMap<string, string> = new Map([
  [EVMError.errorMessages.OUT_OF_GAS, 'out of gas'],
  [EVMError.errorMessages.CODESTORE_OUT_OF_GAS, 'contract creation code storage out of gas'],
  [EVMError.errorMessages.CODESIZE_EXCEEDS_MAXIMUM, 'max code size exceeded'],
  [EVMError.errorMessages.STACK_UNDERFLOW, 'stack underflow'],
  [EVMError.errorMessages.STACK_OVERFLOW, 'stack overflow'],
  [EVMError.errorMessages.INVALID_JUMP, 'invalid jump destination'],
  [EVMError.errorMessages.INVALID_OPCODE, 'invalid opcode'],
  [EVMError.errorMessages.STATIC_STATE_CHANGE, 'write protection'],
  [EVMError.errorMessages.CREATE_COLLISION, 'contract address collision'],
  [EVMError.errorMessages.INSUFFICIENT_BALANCE, 'insufficient balance for transfer'],
  [EVMError.errorMessages.INVALID_BYTECODE_RESULT, 'invalid code: must not begin with 0xef'],
  [EVMError.errorMessages.INITCODE_SIZE_VIOLATION, 'max initcode size exceeded'],
  [EVMError.errorMessages.REVERT, 'execution reverted'],
  // Precompile input checks (geth's texts for the same failures).
  [EVMError.errorMessages.INVALID_INPUT_LENGTH, 'invalid input length'],
  [EVMError.errorMessages.BLS_12_381_INPUT_EMPTY, 'invalid input length'],
  [EVMError.errorMessages.INVALID_COMMITMENT, 'mismatched versioned hash'],
  [EVMError.errorMessages.INVALID_PROOF, 'error verifying kzg proof'],
])

const BLAKE2F = new Address(hexToBytes('0x0000000000000000000000000000000000000009'))

/**
 * geth's text for a failed top-level frame. ethereumjs reports blake2f's input errors as OUT_OF_RANGE
 * (which was mapped to geth's "return data out of bounds"; ethereumjs reports that one as out of gas).
 */
export function vmErrorText(error: string, msg: Pick<CallMessage, 'to' | 'data'>): string {
  if (error === EVMError.errorMessages.OUT_OF_RANGE && msg.to?.equals(BLAKE2F) === true) {
    return msg.data.length !== BLAKE2F_INPUT_LENGTH ? 'invalid input length' : 'invalid final flag'
  }
  return VM_ERRORS.get(error) ?? error
}

/** geth's ErrInvalidOpCode text: `invalid opcode: INVALID` for 0xfe, else `invalid opcode: opcode 0x.. not defined`. */
export function invalidOpcodeText(op: number): string {
  return op === 0xfe ? 'invalid opcode: INVALID' : `invalid opcode: opcode 0x${op.toString(16)} not defined`
}
