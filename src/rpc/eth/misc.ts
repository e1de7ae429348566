// Node and network identity: eth_chainId, eth_syncing, net_version, net_listening, net_peerCount,
// web3_clientVersion, web3_sha3.
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { EthEnv, Methods } from './env.ts'
import { arg, bytesJSON, checkArity, toData, toQuantity } from './params.ts'

export function miscMethods(env: EthEnv): Methods {
  const { ctx } = env
  return {
    eth_chainId: (params) => {
      checkArity(params, 0, 0)
      return toQuantity(ctx.common.chainId())
    },
    eth_syncing: (params) => {
      checkArity(params, 0, 0)
      const progress = ctx.syncing?.() ?? false
      if (progress === false) return false
      const zero = toQuantity(0)
      return {
        startingBlock: toQuantity(progress.startingBlock),
        currentBlock: toQuantity(progress.currentBlock),
        highestBlock: toQuantity(progress.highestBlock),
        syncedAccounts: zero,
        syncedAccountBytes: zero,
        syncedBytecodes: zero,
        syncedBytecodeBytes: zero,
        syncedStorage: zero,
        syncedStorageBytes: zero,
        healedTrienodes: zero,
        healedTrienodeBytes: zero,
        healedBytecodes: zero,
        healedBytecodeBytes: zero,
        healingTrienodes: zero,
        healingBytecode: zero,
        txIndexFinishedBlocks: zero,
        txIndexRemainingBlocks: zero,
        stateIndexRemaining: zero,
      }
    },
    net_version: (params) => {
      checkArity(params, 0, 0)
      return ctx.networkId.toString()
    },
    net_peerCount: (params) => {
      checkArity(params, 0, 0)
      return toQuantity(ctx.peerCount?.() ?? 0)
    },
    net_listening: (params) => {
      checkArity(params, 0, 0)
      return true
    },
    web3_clientVersion: (params) => {
      checkArity(params, 0, 0)
      return ctx.clientVersion
    },
    web3_sha3: (params) => {
      checkArity(params, 1, 1)
      return toData(keccak_256(arg(params, 0, bytesJSON)))
    },
  }
}
