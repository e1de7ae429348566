// The read-after-write dependency DAG of one block, from each transaction's read and write sets.
// Pure: the node's parallax_blockParallelism, `parallax analyze` and the benchmark's bench:deps
// (test/bench/deps.ts) all compute their numbers here, so they agree by construction.
//
// Keys (recorder.ts): `addr.n` nonce, `addr.b` balance, `addr.c` code hash, `addr.s<slot>` a slot.
// Transaction j depends on every i < j that wrote a key j read (read-after-write only: with
// multi-version memory or ordered commit, write-after-write and write-after-read cost nothing;
// every writer, not only the last, since credits write without reading and are deltas on the
// earlier ones). Critical path cp[j] = w[j] + max over deps cp[i]; the bound for a perfect
// scheduler on P threads is total / max(cp, total / P).

/** The thread counts the bounds are reported for. */
export const PS = [2, 4, 8, 16] as const

/** One transaction's recorded accesses. */
export interface TxAccess {
  reads: readonly string[]
  writes: readonly string[]
  /** Gas used (the DAG's weight by gas). */
  gas: number
}

export interface PathStats {
  /** Sum of the weights, the heaviest path's weight and its share of the sum (%). */
  total: number
  criticalPath: number
  criticalPathPct: number
  /** `p2`..`p16`: total / max(criticalPath, total / P). */
  bound: Record<string, number>
}

export interface CriticalPath {
  stats: PathStats
  /** Longest dependency chain, in transactions. */
  chain: number
  /** Transactions with at least one dependency. */
  txsWithDeps: number
}

/** Critical path over the read-after-write DAG with weights `w`; chain = longest path in transactions. */
export function criticalPath(txs: readonly Pick<TxAccess, 'reads' | 'writes'>[], w: readonly number[]): CriticalPath {
  const keyCp = new Map<string, number>()
  const keyLen = new Map<string, number>()
  let cp = 0, chain = 0, txsWithDeps = 0, total = 0
  txs.forEach((tx, j) => {
    let before = 0, len = 0
    for (const k of tx.reads) {
      before = Math.max(before, keyCp.get(k) ?? 0)
      len = Math.max(len, keyLen.get(k) ?? 0)
    }
    if (len > 0) txsWithDeps++
    const c = before + w[j]!
    for (const k of tx.writes) {
      keyCp.set(k, Math.max(keyCp.get(k) ?? 0, c))
      keyLen.set(k, Math.max(keyLen.get(k) ?? 0, len + 1))
    }
    cp = Math.max(cp, c)
    chain = Math.max(chain, len + 1)
    total += w[j]!
  })
  return { stats: pathStats(total, cp), chain: txs.length === 0 ? 0 : chain, txsWithDeps }
}

export function pathStats(total: number, cp: number): PathStats {
  const bound = Object.fromEntries(PS.map((p) => [`p${p}`, total > 0 ? total / Math.max(cp, total / p) : 1]))
  return { total, criticalPath: cp, criticalPathPct: total > 0 ? (100 * cp) / total : 0, bound }
}

/** An edge of the DAG: `from` < `to`, through the keys `to` read that `from` wrote. */
export interface Dependency {
  from: number
  to: number
  keys: string[]
}

/** Every read-after-write edge, ordered by (to, from); keys in the reader's read order. */
export function dependencies(txs: readonly Pick<TxAccess, 'reads' | 'writes'>[]): Dependency[] {
  const writers = new Map<string, number[]>()
  const out: Dependency[] = []
  txs.forEach((tx, j) => {
    const byFrom = new Map<number, string[]>()
    for (const k of new Set(tx.reads)) {
      for (const i of writers.get(k) ?? []) {
        const keys = byFrom.get(i)
        if (keys === undefined) byFrom.set(i, [k])
        else keys.push(k)
      }
    }
    for (const i of [...byFrom.keys()].sort((a, b) => a - b)) out.push({ from: i, to: j, keys: byFrom.get(i)! })
    for (const k of new Set(tx.writes)) {
      const ws = writers.get(k)
      if (ws === undefined) writers.set(k, [j])
      else ws.push(j)
    }
  })
  return out
}

/** A key split into its account and field: nonce, balance, code, or a storage slot. */
export interface ParsedKey {
  address: string
  field: 'nonce' | 'balance' | 'code' | 'storage'
  slot?: string
}

export function parseKey(key: string): ParsedKey {
  const dot = key.indexOf('.')
  const address = key.slice(0, dot)
  const rest = key.slice(dot + 1)
  if (rest.startsWith('s')) return { address, field: 'storage', slot: rest.slice(1) }
  return { address, field: rest === 'n' ? 'nonce' : rest === 'b' ? 'balance' : 'code' }
}

/** Distinct accounts (any account field or slot) and slots among `keys`. */
export function countKeys(keys: readonly string[]): { accounts: number; slots: number } {
  const accounts = new Set<string>()
  let slots = 0
  for (const k of keys) {
    const p = parseKey(k)
    if (p.field === 'storage') slots++
    else accounts.add(p.address)
  }
  return { accounts: accounts.size, slots }
}

/** A key that serialised transactions: the transactions that depend on an earlier one through it. */
export interface HotKey {
  key: string
  contract: string
  /** The slot, or 'nonce' / 'balance' / 'code' for an account field. */
  slot: string
  dependents: number
}

/** The keys with the most dependent transactions (ties: key order), at most `limit`. */
export function hotKeys(deps: readonly Dependency[], limit: number): HotKey[] {
  const byKey = new Map<string, Set<number>>()
  for (const d of deps) {
    for (const k of d.keys) {
      const s = byKey.get(k)
      if (s === undefined) byKey.set(k, new Set([d.to]))
      else s.add(d.to)
    }
  }
  return [...byKey]
    .map(([key, s]) => {
      const p = parseKey(key)
      return { key, contract: p.address, slot: p.slot ?? p.field, dependents: s.size }
    })
    .sort((a, b) => b.dependents - a.dependents || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit)
}

/** Contracts (accounts) by dependent transactions: a transaction counts once per contract it waited on. */
export function contendedContracts(deps: readonly Dependency[]): Map<string, number> {
  const per = new Map<string, Set<number>>()
  for (const d of deps) {
    for (const k of d.keys) {
      const a = parseKey(k).address
      const s = per.get(a)
      if (s === undefined) per.set(a, new Set([d.to]))
      else s.add(d.to)
    }
  }
  return new Map([...per].map(([a, s]) => [a, s.size]))
}
