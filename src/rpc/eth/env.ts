// What every eth_* method module is built from: the context, its options with defaults applied, the
// chain reader (block/state lookup with geth's semantics) and the gas price oracle.
import type { RpcHandler } from '../types.ts'
import { chainBackend, InlineCallRunner, type CallRunner } from './call-runner.ts'
import { ethOptions, type EthContext, type EthOptions } from './context.ts'
import { GasOracle } from './gas-oracle.ts'
import { ChainReader } from './resolve.ts'

export interface EthEnv {
  ctx: EthContext
  opts: EthOptions
  reader: ChainReader
  oracle: GasOracle
  /** Where eth_call / eth_estimateGas / eth_createAccessList run: the context's runner, else in-process. */
  calls: CallRunner
}

export type Methods = Record<string, RpcHandler>

export function createEnv(ctx: EthContext): EthEnv {
  const opts = ethOptions(ctx)
  const reader = new ChainReader(ctx.chain)
  const calls = ctx.calls ?? new InlineCallRunner({ ...chainBackend(ctx.chain), common: ctx.common })
  return { ctx, opts, reader, oracle: new GasOracle(reader, opts), calls }
}
