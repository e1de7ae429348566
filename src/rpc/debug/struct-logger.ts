// geth's struct logger (the default tracer of debug_trace*): one entry per opcode with pc, op, gas,
// gasCost, depth, the stack and memory before the opcode, the storage the contract touched so far
// (on SLOAD/SSTORE), the refund counter and the last call's return data; encoded as geth encodes
// them (stack as quantities, memory as 32-byte words, storage as 32-byte keys and values). With a
// `limit` only that many entries are kept, so a traced block never holds more.
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import { EVMError } from '@ethereumjs/evm'
import { bytesToHex, setLengthLeft } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import type { Json, JsonObject } from '../eth/format.ts'
import { toData, toQuantity } from '../eth/params.ts'
import type { TraceOptions, TxTracer } from './tracer.ts'

const HALTS = new Set(['STOP', 'RETURN', 'REVERT', 'SELFDESTRUCT', 'INVALID'])
const CALLS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL'])
/** Failures geth detects before it logs the opcode (so its entry carries the error). */
const PRE_CHECK_ERRORS: ReadonlyMap<string, string> = new Map([
  [EVMError.errorMessages.OUT_OF_GAS, 'out of gas'],
  [EVMError.errorMessages.STACK_UNDERFLOW, 'stack underflow'],
  [EVMError.errorMessages.STACK_OVERFLOW, 'stack overflow'],
])

const word = (v: bigint): string => bytesToHex(setLengthLeft(bigIntBytes(v), 32))

function bigIntBytes(v: bigint): Uint8Array {
  const hex = v.toString(16)
  const padded = hex.length % 2 === 0 ? hex : `0${hex}`
  return Uint8Array.from(Buffer.from(padded, 'hex'))
}

/** geth's callGas (EIP-150): what a CALL forwards, which geth counts in the opcode's gasCost. */
function forwardedGas(step: InterpreterStep): bigint {
  const requested = step.stack[step.stack.length - 1] ?? 0n
  const available = step.gasLeft - step.opcode.dynamicFee!
  if (available <= 0n) return 0n
  const cap = available - available / 64n
  return requested < cap ? requested : cap
}

export class StructLogger implements TxTracer {
  readonly wantsSteps = true
  private readonly opts: TraceOptions
  private readonly logs: JsonObject[] = []
  /** Slots seen per contract (geth's per-address storage map), in order of first touch. */
  private readonly storage = new Map<string, Map<string, string>>()
  /** The last call's return data, per call depth. */
  private readonly returnData: Uint8Array[] = []
  /** The last entry logged at each depth (the one a failing frame's error belongs to). */
  private readonly lastAt: (JsonObject | undefined)[] = []

  constructor(opts: TraceOptions) {
    this.opts = opts
  }

  start(): void {}

  async step(step: InterpreterStep): Promise<void> {
    // Past the limit nothing more is logged, so nothing more needs to be followed either.
    if (this.opts.limit !== 0 && this.logs.length >= this.opts.limit) return
    const name = step.opcode.name
    const isStorage = name === 'SLOAD' || name === 'SSTORE'
    let gasCost = step.opcode.dynamicFee ?? BigInt(step.opcode.fee)
    if (CALLS.has(name)) gasCost += forwardedGas(step)
    const entry: JsonObject = { pc: step.pc, op: name, gas: Number(step.gasLeft), gasCost: Number(gasCost), depth: step.depth + 1 }
    if (!this.opts.disableStack) entry['stack'] = step.stack.map((v) => toQuantity(v))
    if (this.opts.enableMemory && step.memory.length > 0) {
      const words: string[] = []
      for (let i = 0; i < step.memory.length; i += 32) words.push(bytesToHex(step.memory.subarray(i, i + 32)))
      entry['memory'] = words
    }
    if (!this.opts.disableStorage && isStorage) {
      const address = step.address.toString()
      let seen = this.storage.get(address)
      if (seen === undefined) this.storage.set(address, (seen = new Map()))
      const n = step.stack.length
      if (name === 'SLOAD' && n >= 1) {
        const slot = step.stack[n - 1]!
        const value = await step.stateManager.getStorage(step.address, setLengthLeft(bigIntBytes(slot), 32))
        seen.set(word(slot), bytesToHex(setLengthLeft(value, 32)))
      } else if (name === 'SSTORE' && n >= 2) {
        seen.set(word(step.stack[n - 1]!), word(step.stack[n - 2]!))
      }
      entry['storage'] = Object.fromEntries(seen)
    }
    if (step.gasRefund !== 0n) entry['refund'] = Number(step.gasRefund)
    const rd = this.returnData[step.depth]
    if (this.opts.enableReturnData && rd !== undefined && rd.length > 0) entry['returnData'] = toData(rd)
    this.logs.push(entry)
    this.lastAt[step.depth] = entry
  }

  enter(msg: Message): void {
    this.returnData.length = msg.depth
    this.returnData.push(new Uint8Array())
    this.lastAt[msg.depth] = undefined
  }

  exit(result: EVMResult): void {
    const depth = this.returnData.length - 1
    const err = result.execResult.exceptionError
    if (err === undefined) this.implicitStop(result, depth)
    const last = this.lastAt[depth]
    const text = err === undefined ? undefined : PRE_CHECK_ERRORS.get(err.error)
    if (text !== undefined && last !== undefined && !('error' in last)) last['error'] = text
    this.returnData.pop()
    // geth keeps a CREATE's return data only when it failed (its revert data).
    if (depth > 0) this.returnData[depth - 1] = result.createdAddress !== undefined && err === undefined ? new Uint8Array() : result.execResult.returnValue
  }

  /** geth logs the STOP a frame runs into past the end of its code; ethereumjs simply ends the loop. */
  private implicitStop(result: EVMResult, depth: number): void {
    const rs = result.execResult.runState
    const last = this.lastAt[depth]
    if (rs === undefined || last === undefined || HALTS.has(last['op'] as string)) return
    if (rs.programCounter < rs.code.length) return
    if (this.opts.limit !== 0 && this.logs.length >= this.opts.limit) return
    const entry: JsonObject = { pc: rs.programCounter, op: 'STOP', gas: Number(rs.gasLeft), gasCost: 0, depth: depth + 1 }
    if (!this.opts.disableStack) entry['stack'] = rs.stack.getStack().map((v) => toQuantity(v))
    if (this.opts.enableMemory && rs.memoryWordCount > 0n) {
      const mem = rs.memory.read(0, Number(rs.memoryWordCount) * 32)
      const words: string[] = []
      for (let i = 0; i < mem.length; i += 32) words.push(bytesToHex(mem.subarray(i, i + 32)))
      entry['memory'] = words
    }
    if (rs.gasRefund !== 0n) entry['refund'] = Number(rs.gasRefund)
    const rd = this.returnData[depth]
    if (this.opts.enableReturnData && rd !== undefined && rd.length > 0) entry['returnData'] = toData(rd)
    this.logs.push(entry)
  }

  end(result: RunTxResult): Json {
    const out: JsonObject = {
      gas: Number(result.totalGasSpent),
      failed: result.execResult.exceptionError !== undefined,
      returnValue: toData(result.execResult.returnValue),
      structLogs: this.logs,
    }
    return out
  }
}
