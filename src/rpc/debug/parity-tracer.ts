// The trace_* namespace's tracer (OpenEthereum's format): per transaction its parity traces (geth's
// flatCallTracer over the call frames), its output, and, when asked, parity's `stateDiff` built from
// the prestate tracer's view of what changed ("=" unchanged, "+" born, "-" died, "*" from/to).
// Both tracers see the same run.
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import type { RunTxResult } from '@ethereumjs/vm'
import type { Json, JsonObject } from '../eth/format.ts'
import { toData, toQuantity } from '../eth/params.ts'
import { PrestateTracer, type AccountChange, type AccountState } from './prestate-tracer.ts'
import type { TraceOptions, TxContext, TxTracer } from './tracer.ts'
import { FlatCallTracer } from './tracers.ts'

type Field = (s: AccountState) => string
const EMPTY: AccountState = { balance: 0n, nonce: 0n, code: new Uint8Array() }

function fieldDiff(born: boolean, c: AccountChange, f: Field): Json {
  if (born) return { '+': f(c.after!) }
  if (c.after === null) return { '-': f(c.before ?? EMPTY) }
  const from = f(c.before ?? EMPTY)
  const to = f(c.after)
  return from === to ? '=' : { '*': { from, to } }
}

/**
 * parity's stateDiff of one transaction's account changes. An account is born ("+") when the
 * transaction created it; one that only received value was, by EIP-161, empty before: "*" from 0
 * (as revm-inspectors, which anvil serves, reports it).
 */
export function parityStateDiff(changes: AccountChange[]): JsonObject {
  const out: JsonObject = {}
  for (const c of changes) {
    const born = c.created && c.after !== null && (c.before === null || (c.before.nonce === 0n && c.before.code.length === 0))
    const storage: JsonObject = {}
    for (const [slot, from, to] of c.storage) {
      storage[slot] = born ? { '+': to } : c.after === null ? { '-': from } : { '*': { from, to } }
    }
    out[c.address] = {
      balance: fieldDiff(born, c, (s) => toQuantity(s.balance)),
      code: fieldDiff(born, c, (s) => toData(s.code)),
      nonce: fieldDiff(born, c, (s) => toQuantity(s.nonce)),
      storage,
    }
  }
  return out
}

export class ParityTracer implements TxTracer {
  readonly wantsSteps = true
  private readonly flat = new FlatCallTracer(true)
  private readonly diff: PrestateTracer | undefined

  /** `diffMode` asks for the stateDiff too. */
  constructor(opts: TraceOptions) {
    if (opts.diffMode) this.diff = new PrestateTracer({ ...opts, diffMode: true, disableCode: false, disableStorage: false })
  }
  async start(ctx: TxContext): Promise<void> {
    this.flat.start(ctx)
    await this.diff?.start(ctx)
  }
  async step(s: InterpreterStep): Promise<void> {
    await this.flat.step(s)
    await this.diff?.step(s)
  }
  enter(m: Message): void {
    this.flat.enter(m)
    this.diff?.enter(m)
  }
  exit(r: EVMResult): void {
    this.flat.exit(r)
    this.diff?.exit(r)
  }
  async end(result: RunTxResult): Promise<Json> {
    return {
      output: toData(result.execResult.returnValue),
      stateDiff: this.diff === undefined ? null : parityStateDiff(await this.diff.changes()),
      trace: this.flat.end(result),
    }
  }
  dispose(): void {
    this.diff?.dispose()
  }
}
