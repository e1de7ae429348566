// geth's tracers by name: the struct logger (default), callTracer, flatCallTracer, prestateTracer,
// 4byteTracer and noopTracer (and trace_*'s parityTracer). JavaScript tracers (any other string) are not supported.
import type { InterpreterStep, Message } from '@ethereumjs/evm'
import { bytesToHex } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import type { Json } from '../eth/format.ts'
import { CallTracer } from './call-tracer.ts'
import { flattenCalls } from './flat-call.ts'
import { PrestateTracer } from './prestate-tracer.ts'
import { ParityTracer } from './parity-tracer.ts'
import { StructLogger } from './struct-logger.ts'
import type { TraceOptions, TxTracer } from './tracer.ts'

function isPrecompile(address: Uint8Array): boolean {
  for (let i = 0; i < 18; i++) if (address[i] !== 0) return false
  const n = (address[18]! << 8) | address[19]!
  return n >= 1 && n <= 0x11
}

/** geth's 4byteTracer: `0x<selector>-<calldata size after it>` → how often, over every call with at least 4 bytes of input. */
class FourByteTracer implements TxTracer {
  readonly wantsSteps = true
  private readonly ids = new Map<string, number>()
  private readonly opener: string[] = []
  private count(input: Uint8Array): void {
    if (input.length < 4) return
    const id = `${bytesToHex(input.subarray(0, 4))}-${input.length - 4}`
    this.ids.set(id, (this.ids.get(id) ?? 0) + 1)
  }
  start(): void {}
  step(step: InterpreterStep): void {
    this.opener[step.depth] = step.opcode.name
  }
  enter(msg: Message): void {
    if (msg.to === undefined) return
    const type = msg.depth === 0 ? 'CALL' : this.opener[msg.depth - 1]
    if (type === 'CREATE' || type === 'CREATE2') return
    const code = (msg as unknown as { _codeAddress?: { bytes: Uint8Array } })._codeAddress ?? msg.to
    if (isPrecompile(code.bytes)) return
    this.count(msg.data)
  }
  end(): Json {
    return Object.fromEntries(this.ids)
  }
}

class NoopTracer implements TxTracer {
  readonly wantsSteps = false
  start(): void {}
  end(): Json {
    return {}
  }
}

/** geth's flatCallTracer: the call tree as parity-style traces. */
export class FlatCallTracer extends CallTracer {
  /** `parity`: OpenEthereum's conventions (trace_*), see FlatContext. */
  constructor(private readonly parity = false) {
    super({ onlyTopCall: false, withLog: false })
  }
  override end(result: RunTxResult): Json {
    const root = this.builder.result(result)
    root.gasUsed = result.execResult.executionGasUsed // parity: the execution's gas, without the intrinsic part
    const { header } = this.ctx
    return flattenCalls(root, {
      blockHash: bytesToHex(header.hash()),
      blockNumber: header.number,
      ...(this.ctx.txHash !== undefined ? { txHash: bytesToHex(this.ctx.txHash) } : {}),
      ...(this.ctx.txIndex !== undefined ? { txIndex: this.ctx.txIndex } : {}),
      parity: this.parity,
    })
  }
}

export function createTracer(opts: TraceOptions): TxTracer {
  switch (opts.tracer) {
    case 'structLogger':
      return new StructLogger(opts)
    case 'callTracer':
      return new CallTracer(opts)
    case 'flatCallTracer':
      return new FlatCallTracer()
    case 'prestateTracer':
      return new PrestateTracer(opts)
    case '4byteTracer':
      return new FourByteTracer()
    case 'noopTracer':
      return new NoopTracer()
    case 'parityTracer':
      return new ParityTracer(opts)
  }
}
