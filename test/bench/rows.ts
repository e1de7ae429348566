// The benchmark's rows and the option parsing that run.ts (timings) and deps.ts (dependency bound)
// share, so both measure the same blocks.
import { generateWorkload, hybridWorkload, WORKLOAD_NAMES, type Workload, type WorkloadName, type WorkloadParams } from '../helpers/workloads/named.ts'

/** The one Amsterdam row: a hybrid block built with its EIP-7928 access list. */
export const AMSTERDAM_ROW = 'amsterdam/bal-hybrid'
export const ROWS: readonly string[] = [...WORKLOAD_NAMES, AMSTERDAM_ROW]

/** The workload generator of row `name` (see ROWS) with `seed`. */
export function rowWorkload(name: string, seed: number): (p: WorkloadParams) => Workload {
  return (p) => (name === AMSTERDAM_ROW ? hybridWorkload({ ...p, seed }, AMSTERDAM_ROW) : generateWorkload(name as WorkloadName, { ...p, seed }))
}

/** `--gas`: 30M, 300M, 1.5G or a plain number. */
export function parseGas(s: string): bigint {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(s.trim())
  if (m === null) throw new Error(`--gas: expected e.g. 30M, 300M or 30000000, got ${s}`)
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']
  return BigInt(Math.round(Number(m[1]) * mult))
}

/** `--only` values (repeatable, comma-separated; a name or a prefix such as `uniswap`), checked. */
export function parseOnly(values: readonly string[] | undefined): string[] | undefined {
  const only = values?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0)
  for (const o of only ?? []) {
    if (!ROWS.some((r) => r === o || r.startsWith(`${o}/`))) throw new Error(`--only: unknown workload ${o} (known: ${ROWS.join(', ')})`)
  }
  return only
}

/** The rows `only` selects (all of them when it is undefined). */
export function selectRows(only: readonly string[] | undefined): string[] {
  return ROWS.filter((r) => only === undefined || only.some((x) => r === x || r.startsWith(`${x}/`)))
}
