// The `testing` namespace (geth serves it only when asked: add `testing` to --http.api):
// testing_buildBlockV1. Parameters are decoded and the parent found here; the build is a job for the
// RPC call workers, so it never runs on the thread that serves the Engine API.
import { Blob4844Tx } from '@ethereumjs/tx'
import type { EthEnv, Methods } from './env.ts'
import { ServerError } from './errors.ts'
import { arg, bytesJSON, checkArity, hashJSON, optArg } from './params.ts'
import { buildAttributesJSON, rawTxsJSON, TESTING_GAS_TARGET } from './testing-build.ts'

/**
 * How long a build may take: a whole block (and, the first time, loading KZG's trusted setup) is
 * more than --rpc.evmtimeout's single call; geth bounds it by nothing but the request.
 */
export const TESTING_BUILD_TIMEOUT_MS = 60_000

export function testingMethods(env: EthEnv): Methods {
  return {
    testing_buildBlockV1: async (params) => {
      const arrived = Date.now()
      checkArity(params, 2, 4)
      const parentHash = arg(params, 0, hashJSON)
      const attributes = arg(params, 1, buildAttributesJSON)
      const given = optArg(params, 2, rawTxsJSON)
      const extraData = optArg(params, 3, bytesJSON) ?? new Uint8Array()
      const parent = await env.ctx.chain.store.getHeader(parentHash)
      if (parent === undefined) throw new ServerError('parent block not found')
      // geth's miner (prepareWork) refuses a block that is not after its parent.
      if (attributes.timestamp <= parent.timestamp) throw new ServerError(`invalid timestamp, parent ${parent.timestamp} given ${attributes.timestamp}`)
      const pooled = (): Uint8Array[] =>
        (env.ctx.txpool?.pending(parent.calcNextBaseFee()) ?? []).map((tx) => (tx instanceof Blob4844Tx && tx.blobs !== undefined ? tx.serializeNetworkWrapper() : tx.serialize()))
      const txs = given ?? pooled()
      return env.calls.run({
        method: 'testing_buildBlockV1',
        parentHash,
        attributes,
        txs,
        fromPool: given === undefined,
        extraData,
        gasTarget: TESTING_GAS_TARGET,
        timeoutMs: TESTING_BUILD_TIMEOUT_MS,
        deadline: arrived + TESTING_BUILD_TIMEOUT_MS,
      })
    },
  }
}
