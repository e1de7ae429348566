// The eth_*, net_*, web3_* (and cheap debug_getRaw*) JSON-RPC methods, answering like geth: block
// and state reads, transactions and receipts, logs, calls and gas estimation, fees, node identity.
// `createEthMethods(ctx)` returns the method table; the HTTP server (src/rpc/server.ts) dispatches it.
import { debugMethods } from '../debug/methods.ts'
import { traceMethods } from '../debug/trace-methods.ts'
import type { RpcHandler } from '../types.ts'
import { accountMethods } from './accounts.ts'
import { blockMethods } from './blocks.ts'
import { callMethods } from './call.ts'
import type { EthContext } from './context.ts'
import { createEnv } from './env.ts'
import { feeMethods } from './fees.ts'
import { configMethods } from './fork-config.ts'
import { logMethods } from './logs.ts'
import { miscMethods } from './misc.ts'
import { testingMethods } from './testing.ts'
import { transactionMethods } from './transactions.ts'

export type { EthContext, EthOptions, EthTxPool, SyncProgress } from './context.ts'
export { DEFAULT_ETH_OPTIONS } from './context.ts'

export function createEthMethods(ctx: EthContext): Map<string, RpcHandler> {
  const env = createEnv(ctx)
  const tables = [
    miscMethods(env),
    blockMethods(env),
    accountMethods(env),
    transactionMethods(env),
    logMethods(env),
    callMethods(env),
    feeMethods(env),
    configMethods(env),
    debugMethods(env),
    testingMethods(env),
    traceMethods(env),
  ]
  const methods = new Map<string, RpcHandler>()
  for (const table of tables) for (const [name, handler] of Object.entries(table)) methods.set(name, handler)
  return methods
}
