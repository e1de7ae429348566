// geth's callTracer: the tree of call frames of one transaction (CALL, CALLCODE, DELEGATECALL,
// STATICCALL, CREATE, CREATE2, SELFDESTRUCT) with gas, input, output, errors and revert reasons as
// geth reports them; `onlyTopCall` keeps the top frame only, `withLog` adds each frame's logs (those
// of failed frames and their subcalls dropped, as geth does). The opcode that opened a frame is read
// from the step before it, so DELEGATECALL and STATICCALL are told apart from CALL exactly.
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import { EVMError } from '@ethereumjs/evm'
import type { Address } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import { decodeRevertReason } from '../eth/errors.ts'
import type { Json, JsonObject } from '../eth/format.ts'
import { toData, toQuantity } from '../eth/params.ts'
import { invalidOpcodeText, vmErrorText } from '../eth/vm-errors.ts'
import type { TraceOptions, TxContext, TxTracer } from './tracer.ts'

export interface CallLog {
  address: string
  topics: string[]
  data: string
  /** How many subcalls the frame had made before the log. */
  position: number
  /** The log's index among the transaction's logs. */
  index: number
}

export interface CallFrame {
  type: string
  from: string
  to?: string
  value?: bigint
  gas: bigint
  gasUsed: bigint
  input: Uint8Array
  output?: Uint8Array
  error?: string
  revertReason?: string
  calls: CallFrame[]
  logs: CallLog[]
}

const OPENERS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL', 'CREATE', 'CREATE2'])

function word(v: bigint): string {
  return `0x${v.toString(16).padStart(64, '0')}`
}

function memorySlice(memory: Uint8Array, offset: bigint, size: bigint): Uint8Array {
  const out = new Uint8Array(Number(size))
  if (size === 0n || offset >= BigInt(memory.length)) return out
  out.set(memory.subarray(Number(offset), Math.min(memory.length, Number(offset + size))))
  return out
}

interface Open {
  frame: CallFrame
  msg: Message
  /** The last step of this frame (for the byte of an invalid opcode). */
  lastPc?: number
}

/** Builds geth's call frames from the EVM's events; `result()` gives the top frame. */
export class CallFrameBuilder {
  private readonly opts: Pick<TraceOptions, 'onlyTopCall' | 'withLog'>
  private readonly stack: Open[] = []
  private readonly opener: string[] = []
  private root: CallFrame | undefined
  private logCount = 0
  private ctx!: TxContext

  constructor(opts: Pick<TraceOptions, 'onlyTopCall' | 'withLog'>) {
    this.opts = opts
  }

  start(ctx: TxContext): void {
    this.ctx = ctx
  }

  async step(step: InterpreterStep): Promise<void> {
    const name = step.opcode.name
    const open = this.stack[this.stack.length - 1]
    if (open !== undefined) open.lastPc = step.pc
    if (OPENERS.has(name)) this.opener[step.depth] = name
    else if (name.startsWith('LOG') && this.opts.withLog && open !== undefined) {
      const s = step.stack
      const n = s.length
      const topics: string[] = []
      const count = Number(name.slice(3))
      if (n < 2 + count) return
      for (let i = 0; i < count; i++) topics.push(word(s[n - 3 - i]!))
      const data = memorySlice(step.memory, s[n - 1]!, s[n - 2]!)
      open.frame.logs.push({ address: step.address.toString(), topics, data: toData(data), position: open.frame.calls.length, index: this.logCount++ })
    } else if (name === 'SELFDESTRUCT' && open !== undefined && !this.opts.onlyTopCall && step.stack.length >= 1) {
      const beneficiary = `0x${step.stack[step.stack.length - 1]!.toString(16).padStart(40, '0').slice(-40)}`
      const balance = (await step.stateManager.getAccount(step.address))?.balance ?? 0n
      open.frame.calls.push({
        type: 'SELFDESTRUCT', from: step.address.toString(), to: beneficiary, value: balance, gas: 0n, gasUsed: 0n,
        input: new Uint8Array(), calls: [], logs: [],
      })
    }
  }

  enter(msg: Message): void {
    const depth = msg.depth
    const type = depth === 0 ? (msg.to === undefined ? 'CREATE' : 'CALL') : (this.opener[depth - 1] ?? 'CALL')
    const codeAddress = (msg as unknown as { _codeAddress?: Address })._codeAddress ?? msg.to
    let from = msg.caller.toString()
    let to = msg.to?.toString()
    if (type === 'DELEGATECALL') {
      from = msg.to!.toString()
      to = codeAddress?.toString()
    } else if (type === 'CALLCODE') to = codeAddress?.toString()
    const frame: CallFrame = { type, from, gas: msg.gasLimit, gasUsed: 0n, input: msg.data.slice(), calls: [], logs: [] }
    if (to !== undefined) frame.to = to
    if (type !== 'STATICCALL') frame.value = msg.value
    this.stack.push({ frame, msg })
  }

  exit(result: EVMResult): void {
    const open = this.stack.pop()
    if (open === undefined) return
    const { frame, msg } = open
    const r = result.execResult
    frame.gasUsed = r.executionGasUsed
    if (frame.to === undefined) {
      const created = result.createdAddress ?? msg.to
      if (created !== undefined) frame.to = created.toString()
    }
    frame.output = r.returnValue.slice()
    const err = r.exceptionError
    if (err !== undefined) {
      frame.error = this.errorText(err.error, open)
      if (err.error === EVMError.errorMessages.REVERT) {
        const reason = decodeRevertReason(r.returnValue)
        if (reason !== undefined) frame.revertReason = reason
      } else {
        frame.output = undefined
      }
    }
    const parent = this.stack[this.stack.length - 1]
    if (parent === undefined) this.root = frame
    else if (!this.opts.onlyTopCall) parent.frame.calls.push(frame)
  }

  private errorText(error: string, open: Open): string {
    if (error === EVMError.errorMessages.INVALID_OPCODE) {
      const code = open.msg.code instanceof Uint8Array ? open.msg.code : open.msg.to === undefined ? open.msg.data : undefined
      return invalidOpcodeText(code !== undefined && open.lastPc !== undefined ? (code[open.lastPc] ?? 0xfe) : 0xfe)
    }
    const to = open.msg.to
    return vmErrorText(error, { ...(to !== undefined ? { to } : {}), data: open.msg.data })
  }

  /** The top frame with geth's gas figures: what was left after the intrinsic gas, and the receipt's gas used. */
  result(res: RunTxResult): CallFrame {
    const root = this.root ?? { type: 'CALL', from: this.ctx.from.toString(), gas: 0n, gasUsed: 0n, input: new Uint8Array(), calls: [], logs: [] }
    root.gasUsed = res.totalGasSpent
    clearFailedLogs(root, false)
    return root
  }
}

function clearFailedLogs(frame: CallFrame, parentFailed: boolean): void {
  const failed = parentFailed || frame.error !== undefined
  if (failed) frame.logs = []
  for (const c of frame.calls) clearFailedLogs(c, failed)
}

/** geth's JSON of a call frame. */
export function callFrameJson(f: CallFrame): JsonObject {
  const out: JsonObject = { from: f.from, gas: toQuantity(f.gas), gasUsed: toQuantity(f.gasUsed) }
  if (f.to !== undefined) out['to'] = f.to
  out['input'] = toData(f.input)
  if (f.output !== undefined && f.output.length > 0) out['output'] = toData(f.output)
  if (f.error !== undefined) out['error'] = f.error
  if (f.revertReason !== undefined) out['revertReason'] = f.revertReason
  if (f.calls.length > 0) out['calls'] = f.calls.map(callFrameJson)
  if (f.logs.length > 0) out['logs'] = f.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data, position: toQuantity(l.position), index: toQuantity(l.index) }))
  if (f.value !== undefined) out['value'] = toQuantity(f.value)
  out['type'] = f.type
  return out
}

export class CallTracer implements TxTracer {
  readonly wantsSteps = true
  protected readonly builder: CallFrameBuilder
  protected ctx!: TxContext

  constructor(opts: Pick<TraceOptions, 'onlyTopCall' | 'withLog'>) {
    this.builder = new CallFrameBuilder(opts)
  }
  start(ctx: TxContext): void {
    this.ctx = ctx
    this.builder.start(ctx)
  }
  step(step: InterpreterStep): Promise<void> {
    return this.builder.step(step)
  }
  enter(msg: Message): void {
    this.builder.enter(msg)
  }
  exit(result: EVMResult): void {
    this.builder.exit(result)
  }
  end(result: RunTxResult): Json {
    return callFrameJson(this.builder.result(result))
  }
}
