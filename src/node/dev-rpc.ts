// The account and dev-chain RPC methods the node adds to its eth_* table: eth_accounts and the
// signing methods (unlocked dev keys in --dev, --keystore accounts, geth's "no accounts" answers
// otherwise), and in --dev
// the evm_* helpers acting through the dev driver, which starts after the servers (hence `driver()`).
import type { Chain } from '../chain/chain.ts'
import { DevAccounts } from '../rpc/dev-accounts.ts'
import { createDevChainMethods, type DevChainControl } from '../rpc/evm-dev.ts'
import { createAccountMethods } from '../rpc/personal.ts'
import type { MethodTable, RpcHandler } from '../rpc/types.ts'
import { DevChainError } from './dev-errors.ts'
import type { DevDriver } from './dev-driver.ts'

export interface DevRpcOptions {
  chain: Chain
  /** The node's eth_* methods (nonce, estimate, fees, eth_sendRawTransaction). */
  eth: MethodTable
  /** --dev: the unlocked keys and the driver (once started). */
  dev?: { keys: readonly Uint8Array[]; driver: () => DevDriver | undefined }
  /** --keystore: its unlocked keys and locked addresses. */
  keystore?: { keys: readonly Uint8Array[]; locked: readonly string[] }
}

/** The namespaces --dev serves on --http besides --http.api (viem and ethers wallets need them). */
export const DEV_NAMESPACES = ['personal', 'evm', 'anvil', 'hardhat', 'txpool']

export function createDevRpcMethods(o: DevRpcOptions): Map<string, RpcHandler> {
  const chain = o.chain
  const ks = o.keystore
  const accounts = o.dev !== undefined || ks !== undefined ? new DevAccounts([...(o.dev?.keys ?? []), ...(ks?.keys ?? [])], ks?.locked ?? []) : undefined
  const out = createAccountMethods({
    accounts,
    eth: o.eth,
    chainId: chain.common.chainId(),
    headBaseFee: () => chain.head.baseFeePerGas,
    headCommon: () => chain.head.common,
  })
  if (o.dev !== undefined) for (const [k, v] of createDevChainMethods(lazyControl(o.dev.driver))) out.set(k, v)
  return out
}

function lazyControl(get: () => DevDriver | undefined): DevChainControl {
  const d = (): DevDriver => {
    const driver = get()
    if (driver === undefined) throw new DevChainError('the dev driver has not started yet')
    return driver
  }
  return {
    mine: (ts) => d().mine(ts),
    increaseTime: (s) => d().increaseTime(s),
    setNextBlockTimestamp: (ts) => d().setNextBlockTimestamp(ts),
    setAutomine: (on) => d().setAutomine(on),
    get automine() {
      return d().automine
    },
    snapshot: () => d().snapshot(),
    revert: (id) => d().revert(id),
  }
}
