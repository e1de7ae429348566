// Hand-assembled contracts for the workloads: a minimal ERC-20 (balances mapping at slot 0, Transfer
// log), a Uniswap-v2-like constant-product pair (reserves at slots 0/1, token balances mappings at
// slots 2/3, 0.3% fee), a counter, CREATE/CREATE2 factories, and the small probes the differential
// mix needs (coinbase balance, BLOCKHASH, precompiles, SELFDESTRUCT, revert, gas burner).
import type { Address } from '@ethereumjs/util'
import { bigIntToBytes, bytesToHex, concatBytes, setLengthLeft, utf8ToBytes } from '@ethereumjs/util'
import type { PrefixedHexString } from '@ethereumjs/util'
import { Asm, initCode } from './asm.ts'
import { keccak } from './keys.ts'

const word = (v: bigint): Uint8Array => setLengthLeft(bigIntToBytes(v), 32)
const selector = (sig: string): Uint8Array => keccak(utf8ToBytes(sig)).subarray(0, 4)
const ADDRESS_MASK = (1n << 160n) - 1n

export const TRANSFER_TOPIC = keccak(utf8ToBytes('Transfer(address,address,uint256)'))
export const SWAP_TOPIC = keccak(utf8ToBytes('Swap(address,bool,uint256,uint256)'))
export const SEL_TRANSFER = selector('transfer(address,uint256)')
export const SEL_BALANCE_OF = selector('balanceOf(address)')
export const SEL_SWAP = selector('swap(uint256,bool)')

/** Storage slot of `mapping(address => uint256)` entry `holder` of the mapping declared at `index`. */
export function mappingSlot(holder: Address, index: bigint): PrefixedHexString {
  return bytesToHex(keccak(concatBytes(setLengthLeft(holder.bytes, 32), word(index))))
}

/** A plain slot number as the 32-byte hex key genesis storage uses. */
export function slotKey(n: bigint): PrefixedHexString {
  return bytesToHex(word(n))
}

/** Dispatch on the 4-byte selector; falls through to revert. */
function dispatch(a: Asm, routes: [Uint8Array, string][]): Asm {
  a.push(0).op('CALLDATALOAD').push(0xe0).op('SHR')
  for (const [sel, label] of routes) a.op('DUP1').push(sel).op('EQ').jumpi(label)
  return a.op('PUSH0 PUSH0 REVERT')
}

/** ERC-20 runtime: transfer(address,uint256) → bool with Transfer log, balanceOf(address). */
export function erc20Runtime(): Uint8Array {
  const a = new Asm()
  dispatch(a, [[SEL_TRANSFER, 'transfer'], [SEL_BALANCE_OF, 'balanceOf']])
  a.label('transfer')
  a.op('CALLVALUE').jumpi('fail')
  // fromSlot = keccak(caller . 0)
  a.op('CALLER PUSH0 MSTORE').push(0).push(0x20).op('MSTORE').push(0x40).push(0).op('SHA3') // fs
  a.op('DUP1 SLOAD') // fs fb
  a.push(0x24).op('CALLDATALOAD') // fs fb amt
  a.op('DUP1 DUP3 LT').jumpi('fail') // fb < amt → revert
  a.op('DUP1 DUP3 SUB') // fs fb amt fb-amt
  a.op('DUP4 SSTORE') // fs fb amt
  // toSlot = keccak(to . 0)
  a.push(4).op('CALLDATALOAD').push(ADDRESS_MASK).op('AND PUSH0 MSTORE') // mem[32..64] is still 0
  a.push(0x40).push(0).op('SHA3') // fs fb amt ts
  a.op('DUP1 SLOAD DUP3 ADD SWAP1 SSTORE') // fs fb amt
  // Transfer(from, to, amount)
  a.op('PUSH0 MSTORE')
  a.push(4).op('CALLDATALOAD').push(ADDRESS_MASK).op('AND CALLER').push(TRANSFER_TOPIC).push(0x20).push(0).op('LOG3')
  a.push(1).op('PUSH0 MSTORE').push(0x20).push(0).op('RETURN')
  a.label('balanceOf')
  a.push(4).op('CALLDATALOAD PUSH0 MSTORE').push(0).push(0x20).op('MSTORE').push(0x40).push(0).op('SHA3 SLOAD')
  a.op('PUSH0 MSTORE').push(0x20).push(0).op('RETURN')
  a.label('fail').op('PUSH0 PUSH0 REVERT')
  return a.code()
}

/** ERC-20 storage: balance slot of `holder`. */
export const erc20BalanceSlot = (holder: Address): PrefixedHexString => mappingSlot(holder, 0n)

/**
 * Constant-product pair runtime: swap(uint256 amountIn, bool zeroForOne) → amountOut.
 * amountOut = reserveOut·amountIn·997 / (reserveIn·1000 + amountIn·997); debits the caller's
 * in-token balance (mapping 2 for token0, 3 for token1; reverts when short), credits the out-token,
 * updates both reserves (slots 0 and 1) and logs Swap(sender, zeroForOne, amountIn, amountOut).
 */
export function pairRuntime(): Uint8Array {
  const a = new Asm()
  dispatch(a, [[SEL_SWAP, 'swap']])
  a.label('swap')
  a.push(0x24).op('CALLDATALOAD ISZERO ISZERO') // z (1: token0 in)
  a.op('DUP1 ISZERO') // z rIn (reserve slot of the in-token: 0 when z)
  a.op('DUP1 SLOAD') // z rIn resIn
  a.op('DUP3 SLOAD') // z rIn resIn resOut
  a.push(4).op('CALLDATALOAD') // z rIn resIn resOut amtIn
  a.op('DUP1').push(997).op('MUL') // ... amtIn aif
  a.op('DUP1 DUP4 MUL') // ... amtIn aif num
  a.op('SWAP1 DUP5').push(1000).op('MUL ADD') // ... amtIn num den
  a.op('SWAP1 DIV') // z rIn resIn resOut amtIn out
  a.op('DUP1 ISZERO').jumpi('fail')
  // debit the in-token: slot keccak(caller . rIn+2)
  a.op('CALLER PUSH0 MSTORE DUP5').push(2).op('ADD').push(0x20).op('MSTORE')
  a.push(0x40).push(0).op('SHA3 DUP1 SLOAD') // ... amtIn out sIn bIn
  a.op('DUP4 DUP2 LT').jumpi('fail')
  a.op('DUP4 SWAP1 SUB SWAP1 SSTORE') // z rIn resIn resOut amtIn out
  // credit the out-token: slot keccak(caller . z+2)
  a.op('DUP6').push(2).op('ADD').push(0x20).op('MSTORE')
  a.push(0x40).push(0).op('SHA3 DUP1 SLOAD DUP3 ADD SWAP1 SSTORE')
  // reserves
  a.op('DUP1 DUP4 SUB DUP7 SSTORE') // reserveOut -= out (slot z)
  a.op('DUP2 DUP5 ADD DUP6 SSTORE') // reserveIn += amtIn (slot rIn)
  // Swap(sender, zeroForOne) data: amountIn, amountOut
  a.op('DUP2 PUSH0 MSTORE DUP1').push(0x20).op('MSTORE')
  a.op('DUP6').op('CALLER').push(SWAP_TOPIC).push(0x40).push(0).op('LOG3')
  a.op('DUP1 PUSH0 MSTORE').push(0x20).push(0).op('RETURN')
  a.label('fail').op('PUSH0 PUSH0 REVERT')
  return a.code()
}

export const pairReserveSlot = (token: 0 | 1): PrefixedHexString => slotKey(BigInt(token))
export const pairBalanceSlot = (holder: Address, token: 0 | 1): PrefixedHexString => mappingSlot(holder, 2n + BigInt(token))

/** Uniswap-v2 getAmountOut, as pairRuntime computes it. */
export function amountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  const aif = amountIn * 997n
  return (aif * reserveOut) / (reserveIn * 1000n + aif)
}

/** Counter: every call adds 1 to slot 0 (also used as an EIP-7702 delegation target). */
export function counterRuntime(): Uint8Array {
  return new Asm().push(0).op('SLOAD').push(1).op('ADD PUSH0 SSTORE STOP').code()
}

/**
 * CREATE2 factory: calldata = salt (32 bytes) ‖ init code; creates with the call's value, stores the
 * new address (0 on failure, e.g. a collision) in slot 0 and returns it.
 */
export function create2FactoryRuntime(): Uint8Array {
  return new Asm()
    .push(0x20).op('CALLDATASIZE SUB DUP1').push(0x20).push(0).op('CALLDATACOPY') // len
    .push(0).op('CALLDATALOAD SWAP1 PUSH0 CALLVALUE CREATE2')
    .op('DUP1 PUSH0 SSTORE PUSH0 MSTORE').push(0x20).push(0).op('RETURN')
    .code()
}

/** CREATE factory: calldata = init code; creates with the call's value, stores the address in slot 0. */
export function createFactoryRuntime(): Uint8Array {
  return new Asm()
    .op('CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY CALLDATASIZE PUSH0 CALLVALUE CREATE')
    .op('DUP1 PUSH0 SSTORE PUSH0 MSTORE').push(0x20).push(0).op('RETURN')
    .code()
}

/** Runtime that self-destructs, sending its balance to the caller. */
export function selfdestructToCallerRuntime(): Uint8Array {
  return new Asm().op('CALLER SELFDESTRUCT').code()
}

/** Init code that self-destructs during creation (sending the endowment to `beneficiary`). */
export function selfdestructInit(beneficiary: Address | 'self'): Uint8Array {
  const a = new Asm().push(7).push(0).op('SSTORE') // a write that must vanish with the account
  if (beneficiary === 'self') a.op('ADDRESS')
  else a.push(beneficiary.bytes)
  return a.op('SELFDESTRUCT').code()
}

/** Init code deploying the counter after writing slot 1 in the constructor. */
export function counterInit(): Uint8Array {
  return initCode(counterRuntime(), new Asm().push(42).push(1).op('SSTORE'))
}

/** Stores BALANCE(COINBASE) in slot 0 and SELFBALANCE in slot 1. */
export function coinbaseReaderRuntime(): Uint8Array {
  return new Asm().op('COINBASE BALANCE PUSH0 SSTORE SELFBALANCE').push(1).op('SSTORE STOP').code()
}

/** Stores BLOCKHASH(NUMBER-1) in slot 0, BLOCKHASH(NUMBER) (always 0) in slot 1, NUMBER in slot 2. */
export function blockhashReaderRuntime(): Uint8Array {
  return new Asm()
    .push(1).op('NUMBER SUB BLOCKHASH PUSH0 SSTORE')
    .op('NUMBER BLOCKHASH').push(1).op('SSTORE')
    .op('NUMBER').push(2).op('SSTORE STOP')
    .code()
}

/**
 * Calls ecrecover (0x01) with the 128-byte calldata, sha256 (0x02) and identity (0x04) over the
 * calldata; stores the first word of each result in slots 0, 1, 2.
 */
export function precompileCallerRuntime(): Uint8Array {
  const a = new Asm().op('CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY')
  const call = (addr: number, argsSize: 'all' | number, ret: number, slot: number): void => {
    a.push(0x20).push(ret)
    if (argsSize === 'all') a.op('CALLDATASIZE')
    else a.push(argsSize)
    a.push(0).push(0).push(addr).op('GAS CALL POP').push(ret).op('MLOAD').push(slot).op('SSTORE')
  }
  call(1, 128, 0x200, 0)
  call(2, 'all', 0x220, 1)
  call(4, 'all', 0x300, 2)
  return a.op('STOP').code()
}

/** Writes slot 0 then reverts (the write must not survive). */
export function reverterRuntime(): Uint8Array {
  return new Asm().push(1).op('PUSH0 SSTORE PUSH0 PUSH0 REVERT').code()
}

/** Spins until out of gas. */
export function burnerRuntime(): Uint8Array {
  return new Asm().label('loop').jump('loop').code()
}

// ---- calldata ----

export function erc20TransferData(to: Address, amount: bigint): Uint8Array {
  return concatBytes(SEL_TRANSFER, setLengthLeft(to.bytes, 32), word(amount))
}

export function swapData(amountIn: bigint, zeroForOne: boolean): Uint8Array {
  return concatBytes(SEL_SWAP, word(amountIn), word(zeroForOne ? 1n : 0n))
}

export function create2Data(salt: bigint, init: Uint8Array): Uint8Array {
  return concatBytes(word(salt), init)
}

/** CREATE2 address (EIP-1014). */
export function create2Address(factory: Address, salt: bigint, init: Uint8Array): Uint8Array {
  return keccak(concatBytes(Uint8Array.of(0xff), factory.bytes, word(salt), keccak(init))).subarray(12)
}
