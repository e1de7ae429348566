// Jump-destination analysis cached per code hash. ethereumjs' interpreter analyses a contract's code
// on every call frame (a pass over the code that also turns every PUSH immediate into a BigInt); a
// block calls the same few contracts (a token, a pool) hundreds of times. The analysis depends only
// on the code and the EVM's opcode table, so results are kept per opcode table, by code identity
// first and by keccak(code) when the bytes come in a new array. Installed in the speculation workers
// (worker-spec.ts), where transactions are executed; the sequential reference executor is left as
// the library ships it.
import { keccak256 } from '../util/keccak.ts'

interface Analysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: unknown[]
}

interface InterpreterLike {
  _evm: Record<string, unknown>
  common: { isActivatedEIP(n: number): boolean }
  _getValidJumpDestinations(code: Uint8Array): Analysis
}

/** Distinct codes kept per opcode table before the cache starts over. */
const MAX_ENTRIES = 4096

const PATCHED = Symbol('parallax.jumpdestCache')

export interface JumpdestStats {
  hits: number
  misses: number
}

export const jumpdestStats: JumpdestStats = { hits: 0, misses: 0 }

/** Resolves the interpreter class the EVM uses (not exported by @ethereumjs/evm) and patches it. */
export async function installJumpdestCache(): Promise<boolean> {
  let mod: { Interpreter?: { prototype: InterpreterLike } }
  try {
    const url = new URL('./interpreter.js', import.meta.resolve('@ethereumjs/evm'))
    mod = (await import(url.href)) as typeof mod
  } catch {
    return false // another layout: run without the cache
  }
  const proto = mod.Interpreter?.prototype as (InterpreterLike & Record<symbol, boolean>) | undefined
  if (proto === undefined || typeof proto._getValidJumpDestinations !== 'function') return false
  if (proto[PATCHED] === true) return true
  proto[PATCHED] = true
  const analyse = proto._getValidJumpDestinations
  const byTable = new WeakMap<object, { byCode: WeakMap<Uint8Array, Analysis>; byHash: Map<string, Analysis> }>()
  proto._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): Analysis {
    const table = this._evm['_opcodeMap'] as object | undefined
    if (table === undefined) return analyse.call(this, code)
    let c = byTable.get(table)
    if (c === undefined) byTable.set(table, (c = { byCode: new WeakMap(), byHash: new Map() }))
    let a = this.common.isActivatedEIP(8024) ? undefined : c.byCode.get(code)
    if (a !== undefined) {
      jumpdestStats.hits++
      return a
    }
    // EIP-8024 changes which bytes are immediates; the table usually differs too, but be explicit.
    const h = `${this.common.isActivatedEIP(8024) ? 1 : 0}${Buffer.from(keccak256(code)).toString('hex')}`
    a = c.byHash.get(h)
    if (a === undefined) {
      jumpdestStats.misses++
      a = analyse.call(this, code)
      if (c.byHash.size >= MAX_ENTRIES) c.byHash.clear()
      c.byHash.set(h, a)
    } else jumpdestStats.hits++
    if (!this.common.isActivatedEIP(8024)) c.byCode.set(code, a)
    return a
  }
  return true
}
