// The account methods: eth_accounts, eth_sign, personal_sign, eth_signTypedData_v4,
// eth_signTransaction (gas, fees and nonce required, as geth) and eth_sendTransaction. With unlocked dev accounts (--dev) they sign with
// those keys; without (every other mode) they answer as geth with no accounts: eth_accounts is [],
// the eth_ signing methods fail with "unknown account", and personal_sign / eth_signTypedData_v4 do
// not exist (geth has no personal namespace any more; its eth_ has no typed-data method).
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { transactionArgsJSON } from './eth/call-args.ts'
import { formatTx } from './eth/format.ts'
import { addressJSON, arg, bytesJSON, checkArity } from './eth/params.ts'
import { DevAccounts, UnknownAccountError } from './dev-accounts.ts'
import { ServerError } from './eth/errors.ts'
import { fillTransaction, type TxDefaultsEnv } from './tx-defaults.ts'
import { typedDataDigest, typedDataJSON } from './typed-data.ts'
import type { RpcHandler } from './types.ts'

export interface AccountMethodsContext extends TxDefaultsEnv {
  /** The unlocked accounts (dev mode); absent: none. */
  accounts: DevAccounts | undefined
  /** The Common at the head's fork (the transaction type signed must be active there). */
  headCommon(): Common
}

export function createAccountMethods(ctx: AccountMethodsContext): Map<string, RpcHandler> {
  const accounts = ctx.accounts
  if (accounts === undefined) {
    const none = (): never => {
      throw new UnknownAccountError()
    }
    return new Map<string, RpcHandler>([
      ['eth_accounts', (p) => (checkArity(p, 0, 0), [])],
      ['eth_sign', none],
      ['eth_signTransaction', none],
      ['eth_sendTransaction', none],
    ])
  }
  const signTx = async (params: unknown[]) => {
    checkArity(params, 1, 1)
    const args = arg(params, 0, transactionArgsJSON)
    if (args.from === undefined) throw new UnknownAccountError()
    const from = args.from
    accounts.get(from) // unknown account before any other check, as geth
    // geth's eth_signTransaction fills nothing the caller could get wrong unseen: gas, fees and nonce are required.
    if (args.gas === undefined) throw new ServerError('gas not specified')
    if (args.gasPrice === undefined && (args.maxPriorityFeePerGas === undefined || args.maxFeePerGas === undefined)) {
      throw new ServerError('missing gasPrice or maxFeePerGas/maxPriorityFeePerGas')
    }
    if (args.nonce === undefined) throw new ServerError('nonce not specified')
    return accounts.withLock(from, async () => {
      const data = await fillTransaction(ctx, args)
      return { tx: accounts.signTransaction(from, data, ctx.headCommon()), from }
    })
  }
  return new Map<string, RpcHandler>([
    ['eth_accounts', (p) => (checkArity(p, 0, 0), accounts.list())],
    [
      'eth_sign',
      (p) => {
        checkArity(p, 2, 2)
        return bytesToHex(accounts.signMessage(arg(p, 0, addressJSON), arg(p, 1, bytesJSON)))
      },
    ],
    [
      'personal_sign',
      (p) => {
        checkArity(p, 2, 3) // [data, address, password]: the password is ignored (dev keys are unlocked)
        return bytesToHex(accounts.signMessage(arg(p, 1, addressJSON), arg(p, 0, bytesJSON)))
      },
    ],
    [
      'eth_signTypedData_v4',
      (p) => {
        checkArity(p, 2, 2)
        const address = arg(p, 0, addressJSON)
        accounts.get(address)
        return bytesToHex(accounts.signDigest(address, typedDataDigest(arg(p, 1, typedDataJSON))))
      },
    ],
    [
      'eth_signTransaction',
      async (p) => {
        const { tx } = await signTx(p)
        return { raw: bytesToHex(tx.serialize()), tx: formatTx(tx) }
      },
    ],
    [
      'eth_sendTransaction',
      async (p) => {
        checkArity(p, 1, 1)
        const args = arg(p, 0, transactionArgsJSON)
        if (args.from === undefined) throw new UnknownAccountError()
        const from = args.from
        accounts.get(from)
        // Signing and pooling under one lock: the next call of this account sees this nonce pending.
        return accounts.withLock(from, async () => {
          const data = await fillTransaction(ctx, args)
          const tx = accounts.signTransaction(from, data, ctx.headCommon())
          const send = ctx.eth.get('eth_sendRawTransaction')
          if (send === undefined) throw new ServerError('eth_sendRawTransaction is not available')
          return send([bytesToHex(tx.serialize())])
        })
      },
    ],
  ])
}
