// Parity-style (OpenEthereum) traces derived from geth's call frames: geth's flatCallTracer and the
// trace_* namespace. Each frame becomes one trace with its traceAddress (the path of subcall
// indices), subtraces count, action and result; calls to precompiles are left out (as geth's
// flatCallTracer does by default; trace_* keeps them, as OpenEthereum did); the top frame's gas and
// gas used exclude the intrinsic gas.
import type { Json, JsonObject } from '../eth/format.ts'
import { toData, toQuantity } from '../eth/params.ts'
import type { CallFrame } from './call-tracer.ts'

export interface FlatContext {
  blockHash: string
  blockNumber: bigint
  txHash?: string
  txIndex?: number
  /**
   * OpenEthereum's conventions (trace_*) instead of geth's flatCallTracer: precompile calls kept,
   * OpenEthereum's error names, a failed frame's `result` null (a revert's keeps its output).
   */
  parity?: boolean
}

/** geth's error texts as OpenEthereum names them (trace/types/error.rs); others pass unchanged. */
const PARITY_ERRORS: [RegExp, string][] = [
  [/^execution reverted/, 'Reverted'],
  [/^out of gas/, 'Out of gas'],
  [/^invalid jump destination/, 'Bad jump destination'],
  [/^invalid opcode/, 'Bad instruction'],
  [/^stack underflow/, 'Stack underflow'],
  [/^stack (limit reached|overflow)/, 'Out of stack'],
  [/^write protection/, 'Mutable Call In Static Context'],
  [/^return data out of bounds/, 'Out of bounds'],
]

export function parityError(geth: string): string {
  for (const [re, name] of PARITY_ERRORS) if (re.test(geth)) return name
  return geth
}

function isPrecompile(address: string | undefined): boolean {
  if (address === undefined) return false
  const n = BigInt(address)
  return n >= 1n && n <= 0x11n
}

function keep(f: CallFrame): boolean {
  return !((f.type === 'CALL' || f.type === 'STATICCALL' || f.type === 'DELEGATECALL' || f.type === 'CALLCODE') && isPrecompile(f.to) && (f.value ?? 0n) === 0n)
}

function one(f: CallFrame, path: number[], subtraces: number, ctx: FlatContext): JsonObject {
  const gas = f.gas
  const used = f.gasUsed
  let action: JsonObject
  let result: Json
  let type: string
  if (f.type === 'SELFDESTRUCT') {
    type = 'suicide'
    action = { address: f.from, balance: toQuantity(f.value ?? 0n), refundAddress: f.to ?? '0x' }
    result = null
  } else if (f.type === 'CREATE' || f.type === 'CREATE2') {
    type = 'create'
    action = { creationMethod: f.type.toLowerCase(), from: f.from, gas: toQuantity(gas), init: toData(f.input), value: toQuantity(f.value ?? 0n) }
    result = { address: f.to ?? null, code: toData(f.output ?? new Uint8Array()), gasUsed: toQuantity(used) }
  } else {
    type = 'call'
    action = { callType: f.type.toLowerCase(), from: f.from, gas: toQuantity(gas), input: toData(f.input), to: f.to ?? null, value: toQuantity(f.value ?? 0n) }
    result = { gasUsed: toQuantity(used), output: toData(f.output ?? new Uint8Array()) }
  }
  const out: JsonObject = { action, blockHash: ctx.blockHash, blockNumber: Number(ctx.blockNumber) }
  if (f.error === undefined) out['result'] = result
  else if (ctx.parity !== true) out['error'] = f.error
  else {
    out['error'] = parityError(f.error)
    out['result'] = out['error'] === 'Reverted' && type !== 'suicide' ? { ...(result as JsonObject), ...(type === 'create' ? { code: toData(f.output ?? new Uint8Array()) } : { output: toData(f.output ?? new Uint8Array()) }) } : null
  }
  out['subtraces'] = subtraces
  out['traceAddress'] = path
  out['transactionHash'] = ctx.txHash ?? null
  out['transactionPosition'] = ctx.txIndex ?? null
  out['type'] = type
  return out
}

/** The frames of a call tree as parity traces, depth first. */
export function flattenCalls(root: CallFrame, ctx: FlatContext): JsonObject[] {
  const out: JsonObject[] = []
  const walk = (f: CallFrame, path: number[]): void => {
    const kids = ctx.parity === true ? f.calls : f.calls.filter(keep)
    out.push(one(f, path, kids.length, ctx))
    kids.forEach((c, i) => walk(c, [...path, i]))
  }
  walk(root, [])
  return out
}
