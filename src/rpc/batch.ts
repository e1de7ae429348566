// One JSON-RPC batch: its ordered entries (engine_*) as one job of the server's arrival-order FIFO,
// in order and back to back; the others BATCH_CONCURRENCY at a time beside it. Responses come back
// in request order. Once they pass the size limit (geth's -32003 "response too large") or the
// request's time limit passes (-32002 "request timed out"), every entry not yet answered gets that
// error and no more entries start.
import { RpcCode } from './errors.ts'

/** How many unordered entries of one batch run at once. */
export const BATCH_CONCURRENCY = 4

export interface BatchCall {
  method: string
  /** No id: a notification, which gets no response entry. */
  notification: boolean
}

/** A validated call, or the ready error response for an invalid entry (undefined: say nothing). */
export type BatchEntry<C extends BatchCall> = { call: C } | { response: string | undefined }

export interface BatchDeps<C extends BatchCall> {
  /** Runs one call; its serialized response (undefined for a notification). Never throws. */
  execute(call: C): Promise<string | undefined>
  /** Appends a job to the server's arrival-order FIFO. */
  enqueue(job: () => Promise<void>): Promise<void>
  ordered(method: string): boolean
  /** 0 = no limit. */
  maxResponseBytes: number
  /** The request's time limit: resolves to 'timeout' when it passes. */
  timer(): { expired: Promise<'timeout'>; cancel: () => void }
  /** The error response for a call that a limit stopped (undefined for a notification). */
  refusal(call: C, code: number, message: string): string | undefined
}

export async function runBatch<C extends BatchCall>(entries: BatchEntry<C>[], deps: BatchDeps<C>): Promise<(string | undefined)[]> {
  const slots = entries.map((e) => ('response' in e ? e.response : undefined))
  const done = entries.map((e) => 'response' in e)
  let open = done.filter((d) => !d).length
  let stopped = false
  let bytes = 0
  let finish: () => void = () => undefined
  const finished = new Promise<void>((resolve) => (finish = resolve))
  if (open === 0) finish()
  const fill = (i: number, response: string | undefined): void => {
    if (done[i]) return
    done[i] = true
    slots[i] = response
    bytes += response?.length ?? 0
    if (--open === 0) finish()
    if (deps.maxResponseBytes > 0 && bytes > deps.maxResponseBytes) stopAll(RpcCode.ResponseTooLarge, 'response too large')
  }
  const stopAll = (code: number, message: string): void => {
    stopped = true
    entries.forEach((e, i) => {
      if ('call' in e && !done[i]) fill(i, deps.refusal(e.call, code, message))
    })
  }
  const calls = entries.flatMap((e, i) => ('call' in e ? [{ call: e.call, i }] : []))
  const inOrder = calls.filter((x) => deps.ordered(x.call.method))
  const free = calls.filter((x) => !deps.ordered(x.call.method))
  if (inOrder.length > 0) {
    void deps.enqueue(async () => {
      for (const { call, i } of inOrder) if (!stopped) fill(i, await deps.execute(call))
    })
  }
  let next = 0
  const lane = async (): Promise<void> => {
    while (!stopped && next < free.length) {
      const { call, i } = free[next++]!
      fill(i, await deps.execute(call))
    }
  }
  for (let k = 0; k < Math.min(BATCH_CONCURRENCY, free.length); k++) void lane()
  const { expired, cancel } = deps.timer()
  const r = await Promise.race([finished, expired]).finally(cancel)
  if (r === 'timeout') stopAll(RpcCode.Timeout, 'request timed out')
  return slots
}
