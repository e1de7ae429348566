// How the fixture runners record one case: a known failure (test/spec/known-failures.ts) must still
// fail, so a fix shows up until its entry is removed; any other case must pass.
import type { Test } from 'tap'

export interface CaseResult {
  pass: boolean
  detail: string
}

export interface PassCounts {
  pass: number
  fail: number
}

/** Asserts `res` for the case `id` and counts it in `counts`. */
export function recordCase(t: Test, id: string, res: CaseResult, known: ReadonlyMap<string, string>, counts: PassCounts): void {
  const reason = known.get(id)
  if (reason !== undefined) {
    t.notOk(res.pass, `${id} is a known failure (${reason})`)
    counts.fail++
    return
  }
  if (res.pass) counts.pass++
  else counts.fail++
  t.ok(res.pass, id, res.pass ? {} : { detail: res.detail })
}

/** A thrown error as a failed case. */
export function threw(err: unknown): CaseResult {
  return { pass: false, detail: `threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` }
}
