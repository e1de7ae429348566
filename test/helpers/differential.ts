// Differential execution for the parallel executor's tests: an Executor that runs every block through
// the stock sequential executor (ethereumjs' own read path: the reference), the fast sequential one
// (the node's single-threaded executor) and one or more ParallelExecutors ("lanes"), compares the outcomes
// field by field (or the two rejections), records every difference and hands the sequential result
// on, so the chain under test always moves on the reference outcome. Every executor gets the same
// Block object, as in the node (Chain.insertBlock validates the body, which recovers the senders,
// before it executes).
import type { ExecutionOutcome } from '../../src/exec/outcome.ts'
import type { ParallelExecutor } from '../../src/exec/parallel.ts'
import { diffOutcomes, storedIn } from '../../src/exec/parallel-compare.ts'
import { errorMessage, SequentialExecutor, type ExecuteRequest, type Executor } from '../../src/exec/sequential.ts'

export interface Lane {
  /** How mismatches name it, e.g. "4 workers". */
  name: string
  executor: ParallelExecutor
  /** The reason of the last fallback the executor reported (set through its onFallback option). */
  lastFallback?: string
}

/** A lane around the executor `make` builds; `make` must pass `onFallback` on to the executor's options. */
export function lane(name: string, make: (onFallback: (reason: string) => void) => ParallelExecutor): Lane {
  const l: Partial<Lane> = { name }
  l.executor = make((reason) => {
    l.lastFallback = reason
  })
  return l as Lane
}

/** What one Differential saw of one lane. */
export interface LaneStats {
  /** Blocks it executed, and of those how many really ran in parallel (not fallen back). */
  runs: number
  parallelRuns: number
  reexecutions: number
  /** Fallback reasons (numbers in parentheses dropped) and how often. */
  fallbacks: Map<string, number>
}

type Settled = { ok: true; o: ExecutionOutcome } | { ok: false; e: unknown }

const settle = (p: Promise<ExecutionOutcome>): Promise<Settled> =>
  p.then(
    (o) => ({ ok: true as const, o }),
    (e: unknown) => ({ ok: false as const, e }),
  )

export class Differential implements Executor {
  readonly kind = 'sequential' as const
  readonly mismatches: string[] = []
  readonly lanes: Lane[]
  readonly stats = new Map<Lane, LaneStats>()
  blocks = 0
  /** Prefix of mismatch lines (the fixture case, the chain seed). */
  label = ''
  /** Which lanes run the next block (default: every lane). */
  choose: (req: ExecuteRequest) => Lane[]
  private readonly seq = new SequentialExecutor({ stock: true })
  private readonly fast = new SequentialExecutor()
  /** Blocks the fast sequential executor was compared on. */
  fastRuns = 0

  constructor(lanes: Lane[]) {
    this.lanes = lanes
    for (const l of lanes) this.stats.set(l, { runs: 0, parallelRuns: 0, reexecutions: 0, fallbacks: new Map() })
    this.choose = () => this.lanes
  }

  async execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
    this.blocks++
    const lanes = this.choose(req)
    // The executors share nothing but the committed parent state, which they only read: run them
    // side by side, so one works on the main thread while another waits for its workers.
    const [s, f, ...ps] = await Promise.all([settle(this.seq.execute(req)), settle(this.fast.execute(req)), ...lanes.map((l) => this.runLane(l, req))])
    this.fastRuns++
    // The fast executor against the stock one (it writes fewer trie nodes: a subset), the parallel
    // lanes against the fast one (the same storage layer: every field, writes included).
    this.compare(req, s!, 'fast sequential', f!, 'subset')
    lanes.forEach((l, i) => this.compare(req, f!, l.name, ps[i]!, 'equal'))
    if (s!.ok) return s!.o
    throw s!.e
  }

  private async runLane(l: Lane, req: ExecuteRequest): Promise<Settled> {
    const st = this.stats.get(l)!
    const p = await settle(l.executor.execute(req))
    st.runs++
    const fallback = takeFallback(l)
    if (fallback !== undefined) {
      const k = fallback.replace(/\(.*\)/, '').trim().slice(0, 60)
      st.fallbacks.set(k, (st.fallbacks.get(k) ?? 0) + 1)
    }
    if (p.ok) {
      if (p.o.executor === 'parallel') st.parallelRuns++
      st.reexecutions += p.o.reexecutions
    }
    return p
  }

  private compare(req: ExecuteRequest, s: Settled, name: string, p: Settled, writes: 'equal' | 'subset'): void {
    const where = `${this.label} block ${req.block.header.number}${req.generate === true ? ' sealing' : ''} (${name})`
    if (s.ok && p.ok) {
      const d = diffOutcomes(s.o, p.o, { writes, stored: storedIn(req.base) })
      if (d.length > 0) this.mismatches.push(`${where}: ${d.join(', ')}`)
    } else if (s.ok !== p.ok) {
      this.mismatches.push(`${where}: sequential ${s.ok ? 'ok' : `threw ${errorMessage(s.e)}`}, parallel ${p.ok ? 'ok' : `threw ${errorMessage(p.e)}`}`)
    } else if (!s.ok && !p.ok && (s.e as Error).constructor !== (p.e as Error).constructor) {
      this.mismatches.push(`${where}: different errors: ${errorMessage(s.e)} / ${errorMessage(p.e)}`)
    }
  }

  /** One line per lane for the test output. */
  summary(): string[] {
    const fast = `fast sequential: ${this.fastRuns} blocks`
    return [fast, ...this.lanes.map((l) => {
      const st = this.stats.get(l)!
      const fb = [...st.fallbacks].map(([r, n]) => `${r} ×${n}`).join(', ')
      return `${l.name}: ${st.runs} blocks, ${st.parallelRuns} in parallel, ${st.reexecutions} re-executions${fb !== '' ? `, fallbacks: ${fb}` : ''}`
    })]
  }
}

function takeFallback(l: Lane): string | undefined {
  const r = l.lastFallback
  delete l.lastFallback
  return r
}
