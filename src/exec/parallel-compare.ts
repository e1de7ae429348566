// Field-by-field comparison of two ExecutionOutcomes (the parallel executor's differential tests and
// its optional self-check). `executor` and `reexecutions` are expected to differ and are ignored;
// `writes` are compared as a set (LevelDB batches do not depend on op order for distinct keys), or,
// against the stock executor (whose storage writes go through to the tries on every SSTORE, see
// state.ts writeThroughStorage), as a subset: the stock executor also writes every superseded node.
import type { Block } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { ExecutionOutcome } from './outcome.ts'
import { isSyncReader, type KVReader } from '../db/interface.ts'

function norm(x: unknown): unknown {
  if (x instanceof Uint8Array) return bytesToHex(x)
  if (typeof x === 'bigint') return `${x}n`
  if (Array.isArray(x)) return x.map(norm)
  if (x instanceof Map) return [...x.entries()].map(([k, v]) => [norm(k), norm(v)])
  if (x instanceof Set) return [...x.values()].map(norm)
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(x).sort()) {
      const v = (x as Record<string, unknown>)[k]
      if (v !== undefined) out[k] = norm(v)
    }
    return out
  }
  return x
}

export interface DiffOptions {
  /** 'subset': `b`'s trie-node writes need only be among `a`'s (a is the stock executor). Default 'equal'. */
  writes?: 'equal' | 'subset'
  /**
   * With 'subset': the parent store's value of a key. A put of `b`'s that `a` lacks is accepted when
   * the store already holds those bytes: the batched flush writes every node it hashed, the stock
   * executor only the nodes the store lacked (trie-db.ts `fresh`).
   */
  stored?: (key: Uint8Array) => Uint8Array | undefined
}

/** DiffOptions.stored for the parent store `base` (undefined where it cannot answer synchronously: rewrites then count as extra). */
export function storedIn(base: KVReader): DiffOptions['stored'] {
  return isSyncReader(base) ? (key) => base.getSync(key) : undefined
}

/** Names of the fields in which `a` and `b` differ (empty when bit-identical). */
export function diffOutcomes(a: ExecutionOutcome, b: ExecutionOutcome, opts: DiffOptions = {}): string[] {
  const out: string[] = []
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const k of [...keys].sort()) {
    if (k === 'executor' || k === 'reexecutions') continue
    const va = (a as unknown as Record<string, unknown>)[k]
    const vb = (b as unknown as Record<string, unknown>)[k]
    if (k === 'writes') {
      const wb = vb as ExecutionOutcome['writes']
      const sa = (va as ExecutionOutcome['writes']).map((o) => JSON.stringify(norm(o))).sort()
      const sb = wb.map((o) => JSON.stringify(norm(o))) // in wb's order until sorted below
      if (opts.writes === 'subset') {
        const inA = new Set(sa)
        const stored = opts.stored
        const rewrite = (o: ExecutionOutcome['writes'][number]): boolean => {
          if (o.type !== 'put' || stored === undefined) return false
          const had = stored(o.key)
          return had !== undefined && equalsBytes(had, o.value)
        }
        const extra = wb.filter((o, i) => !inA.has(sb[i]!) && !rewrite(o)).length
        if (extra > 0) out.push(`writes (${extra} of ${sb.length} not written by the reference)`)
      } else if (JSON.stringify(sa) !== JSON.stringify(sb.sort())) {
        const inA = new Set(sa)
        const inB = new Set(sb)
        const only = (xs: string[], other: Set<string>): string => xs.filter((x) => !other.has(x)).slice(0, 2).map((x) => x.slice(0, 80)).join(' ')
        out.push(`writes (${sa.length} vs ${sb.length}; only first: ${only(sa, inB)}; only second: ${only(sb, inA)})`)
      }
      continue
    }
    if (k === 'sealed') {
      // A Block object is large (Common, caches); its encoding says everything about it.
      const ea = va === undefined ? undefined : bytesToHex((va as Block).serialize())
      const eb = vb === undefined ? undefined : bytesToHex((vb as Block).serialize())
      if (ea !== eb) out.push('sealed')
      continue
    }
    if (k === 'receipts') {
      const ra = va as unknown[]
      const rb = vb as unknown[]
      if (ra.length !== rb.length) out.push(`receipts (${ra.length} vs ${rb.length})`)
      else
        for (let i = 0; i < ra.length; i++) {
          if (JSON.stringify(norm(ra[i])) !== JSON.stringify(norm(rb[i]))) out.push(`receipts[${i}]`)
        }
      continue
    }
    if (JSON.stringify(norm(va)) !== JSON.stringify(norm(vb))) out.push(k)
  }
  return out
}
