// Runs one transaction with a tracer attached to the VM's events: `beforeTx` starts it (the
// transaction is the one runTx builds, so eth_call-style messages work too), the EVM's step and
// message events feed it, and `afterTx` takes its result while the transaction's state is still
// there (a call's changes are reverted right after). Only the first transaction run is traced.
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { RunTxResult, VM } from '@ethereumjs/vm'
import type { Json } from '../eth/format.ts'
import type { TxContext, TxTracer } from './tracer.ts'

type Done = ((result?: unknown) => void) | undefined

/** Adapts a hook that may return a promise to ethereumjs' (data, resolve) listener form. */
function listener<T>(hook: (v: T) => Promise<void> | void, fail: (e: unknown) => void): (v: T, resolve: Done) => void {
  return (v, resolve) => {
    try {
      const r = hook(v)
      if (r instanceof Promise) r.then(() => resolve?.(), (e: unknown) => (fail(e), resolve?.()))
      else resolve?.()
    } catch (e) {
      fail(e)
      resolve?.()
    }
  }
}

/** Runs `run` (which runs one transaction on `vm`) with `tracer` attached; answers the tracer's result. */
export async function runTraced<T>(vm: VM, tracer: TxTracer, ctxOf: (tx: TypedTransaction) => TxContext, run: () => Promise<T>): Promise<{ value: T; trace: Json | undefined }> {
  const evm = vm.evm.events!
  let failure: unknown
  const fail = (e: unknown): void => {
    failure ??= e
  }
  let started = false
  let trace: Json | undefined
  const step = tracer.step === undefined || !tracer.wantsSteps ? undefined : listener<InterpreterStep>(tracer.step.bind(tracer), fail)
  const enter = tracer.enter === undefined ? undefined : listener<Message>(tracer.enter.bind(tracer), fail)
  const exit = tracer.exit === undefined ? undefined : listener<EVMResult>(tracer.exit.bind(tracer), fail)
  const detachEvm = (): void => {
    if (step !== undefined) evm.off('step', step)
    if (enter !== undefined) evm.off('beforeMessage', enter)
    if (exit !== undefined) evm.off('afterMessage', exit)
  }
  const before = listener<TypedTransaction>(async (tx) => {
    if (started) return
    started = true
    await tracer.start(ctxOf(tx))
    if (step !== undefined) evm.on('step', step)
    if (enter !== undefined) evm.on('beforeMessage', enter)
    if (exit !== undefined) evm.on('afterMessage', exit)
  }, fail)
  const after = listener<RunTxResult>(async (res) => {
    if (!started || trace !== undefined) return
    detachEvm()
    trace = await tracer.end(res)
  }, fail)
  vm.events.on('beforeTx', before)
  vm.events.on('afterTx', after)
  try {
    const value = await run()
    if (failure !== undefined) throw failure
    return { value, trace }
  } finally {
    vm.events.off('beforeTx', before)
    vm.events.off('afterTx', after)
    detachEvm()
    tracer.dispose?.()
  }
}
