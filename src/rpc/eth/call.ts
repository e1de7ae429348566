// eth_call, eth_estimateGas and eth_createAccessList: parameters are decoded and the block picked
// here, on the main thread; the EVM work is a CallJob for the context's CallRunner (the node's call
// workers). The --rpc.evmtimeout deadline starts when the call arrives, so time spent waiting for a
// free worker counts: a call never answers later than its limit (plus the pool's grace).
import { blockOverridesJSON, stateOverrideJSON, transactionArgsJSON } from './call-args.ts'
import type { CallMethod, EvmCallJob } from './call-job.ts'
import type { EthEnv, Methods } from './env.ts'
import { arg, blockNumberOrHashJSON, checkArity, LATEST, optArg } from './params.ts'
import { checkSimLimits, simOptsJSON } from './simulate-args.ts'

export function callMethods(env: EthEnv): Methods {
  const { reader, opts } = env

  const job = async (method: CallMethod, params: unknown[]): Promise<EvmCallJob> => {
    const arrived = Date.now()
    const args = arg(params, 0, transactionArgsJSON)
    const b = optArg(params, 1, blockNumberOrHashJSON) ?? LATEST
    const stateOverride = optArg(params, 2, stateOverrideJSON)
    const blockOverrides = method === 'eth_createAccessList' ? undefined : optArg(params, 3, blockOverridesJSON)
    const header = await reader.stateHeader(b)
    return {
      method,
      args,
      headerHash: header.hash(),
      ...(stateOverride !== undefined ? { stateOverride } : {}),
      ...(blockOverrides !== undefined ? { blockOverrides } : {}),
      gasCap: opts.gasCap,
      timeoutMs: opts.evmTimeoutMs,
      deadline: opts.evmTimeoutMs > 0 ? arrived + opts.evmTimeoutMs : Infinity,
      ...(method === 'eth_createAccessList' ? { tipCap: await env.oracle.suggestTipCap() } : {}),
    }
  }

  return {
    eth_call: async (params) => {
      checkArity(params, 1, 4)
      return env.calls.run(await job('eth_call', params))
    },
    eth_estimateGas: async (params) => {
      checkArity(params, 1, 4)
      return env.calls.run(await job('eth_estimateGas', params))
    },
    eth_createAccessList: async (params) => {
      checkArity(params, 1, 3)
      return env.calls.run(await job('eth_createAccessList', params))
    },
    // Runs in the call workers like eth_call; --rpc.evmtimeout bounds the whole simulation, --rpc.gascap its total gas.
    eth_simulateV1: async (params) => {
      const arrived = Date.now()
      checkArity(params, 1, 2)
      const sim = arg(params, 0, simOptsJSON)
      checkSimLimits(sim)
      const header = await reader.stateHeader(optArg(params, 1, blockNumberOrHashJSON) ?? LATEST)
      return env.calls.run({
        method: 'eth_simulateV1',
        opts: sim,
        headerHash: header.hash(),
        gasCap: opts.gasCap,
        timeoutMs: opts.evmTimeoutMs,
        deadline: opts.evmTimeoutMs > 0 ? arrived + opts.evmTimeoutMs : Infinity,
      })
    },
  }
}
