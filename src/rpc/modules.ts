// rpc_modules (geth): the namespaces an endpoint serves, each "1.0", read off its method table.
import { checkArity } from './eth/params.ts'
import type { MethodTable, RpcHandler } from './types.ts'

export function namespacesOf(methods: MethodTable): string[] {
  return [...new Set([...methods.keys()].map((m) => m.split('_')[0]!))].sort()
}

/** The rpc_modules handler of an endpoint (its own name included: geth lists "rpc" too). */
export function rpcModulesMethod(methods: MethodTable): RpcHandler {
  return (params) => {
    checkArity(params, 0, 0)
    const out: Record<string, string> = {}
    for (const ns of new Set([...namespacesOf(methods), 'rpc'])) out[ns] = '1.0'
    return out
  }
}
