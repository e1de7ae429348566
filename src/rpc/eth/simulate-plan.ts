// eth_simulateV1's plan, before anything runs: the spec's error codes (and geth's mapping of its
// pre-check errors to them), the chain of blocks to simulate (numbers and timestamps in order,
// defaults set, gaps filled: geth's sanitizeChain), and the request-wide gas budget.
import type { BlockHeader } from '@ethereumjs/block'
import { RpcCode, RpcError } from '../errors.ts'
import type { BlockOverrides, StateOverride } from './call-args.ts'
import { ServerError } from './errors.ts'
import type { MessageErrorKind } from './evm-call.ts'
import { SIMULATE_LIMITS, TIMESTAMP_INCREMENT, type SimBlock } from './simulate-args.ts'

/** The spec's error codes (execution-apis eth_simulateV1; geth's internal/ethapi/errors.go). */
export const SimCode = {
  NonceTooHigh: -38011,
  NonceTooLow: -38010,
  BaseFeeTooLow: -38012,
  IntrinsicGas: -38013,
  InsufficientFunds: -38014,
  BlockGasLimitReached: -38015,
  BlockNumberInvalid: -38020,
  BlockTimestampInvalid: -38021,
  MaxInitCodeSizeExceeded: -38025,
  ClientLimitExceeded: -38026,
  VmError: -32015,
} as const

export const KIND_CODES: Record<MessageErrorKind, number> = {
  nonceTooHigh: SimCode.NonceTooHigh,
  nonceTooLow: SimCode.NonceTooLow,
  nonceMax: RpcCode.Internal,
  tipAboveFeeCap: RpcCode.InvalidParams,
  feeCapTooLow: SimCode.BaseFeeTooLow,
  insufficientFunds: SimCode.InsufficientFunds,
  intrinsicGas: SimCode.IntrinsicGas,
  initCodeSize: SimCode.MaxInitCodeSizeExceeded,
  other: RpcCode.Internal,
}

export const MAX_UINT64 = (1n << 64n) - 1n

export interface PlannedBlock {
  number: bigint
  time: bigint
  overrides: BlockOverrides
  stateOverrides?: StateOverride
  calls: SimBlock['calls']
}

/** geth's sanitizeChain: numbers and timestamps strictly increasing, defaults set, gaps filled. */
export function planBlocks(base: BlockHeader, blocks: SimBlock[]): PlannedBlock[] {
  const out: PlannedBlock[] = []
  let prevNumber = base.number
  let prevTime = base.timestamp
  for (const b of blocks) {
    const o = { ...(b.blockOverrides ?? {}) }
    const number = o.number ?? prevNumber + 1n
    if (number <= prevNumber) throw new RpcError(SimCode.BlockNumberInvalid, `block numbers must be in order: ${BigInt.asUintN(64, number)} <= ${prevNumber}`)
    if (number - base.number > BigInt(SIMULATE_LIMITS.blocks)) throw new RpcError(SimCode.ClientLimitExceeded, 'too many blocks')
    for (let n = prevNumber + 1n; n < number; n++) {
      prevTime += TIMESTAMP_INCREMENT
      out.push({ number: n, time: prevTime, overrides: { number: n, time: prevTime }, calls: [] })
    }
    prevNumber = number
    let time: bigint
    if (o.time === undefined) time = prevTime + TIMESTAMP_INCREMENT
    else {
      time = o.time
      if (time <= prevTime) throw new RpcError(SimCode.BlockTimestampInvalid, `block timestamps must be in order: ${time} <= ${prevTime}`)
    }
    prevTime = time
    out.push({ number, time, overrides: { ...o, number, time }, ...(b.stateOverrides !== undefined ? { stateOverrides: b.stateOverrides } : {}), calls: b.calls })
  }
  return out
}

/** The request-wide gas budget (--rpc.gascap; 0 = none). */
export class GasBudget {
  remaining: bigint
  constructor(cap: bigint) {
    this.remaining = cap === 0n ? MAX_UINT64 : cap
  }
  consume(gas: bigint): void {
    if (gas > this.remaining) throw new ServerError(`RPC gas cap exhausted: need ${gas}, remaining ${this.remaining}`)
    this.remaining -= gas
  }
}
