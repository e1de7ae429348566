// Signed transactions for workloads: EIP-1559 by default (legacy and EIP-2930 on request), EIP-7702
// set-code transactions with signed authorizations. Nonces come from the Signer and advance.
import type { Common } from '@ethereumjs/common'
import {
  createAccessList2930Tx,
  createEOACode7702Tx,
  createFeeMarket1559Tx,
  createLegacyTx,
} from '@ethereumjs/tx'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address, EOACode7702AuthorizationListBytesItem } from '@ethereumjs/util'
import { bigIntToUnpaddedBytes, eoaCode7702AuthorizationHashedMessageToSign } from '@ethereumjs/util'
import { signHash } from './keys.ts'
import type { Signer } from './keys.ts'

/** Fees every generated transaction pays: well above the dev chain's base fee after genesis. */
export const MAX_FEE = 10_000_000_000n // 10 gwei
export const PRIORITY_FEE = 1_000_000_000n // 1 gwei

export interface TxFields {
  to?: Address
  value?: bigint
  data?: Uint8Array
  gasLimit: bigint
  /** 0 legacy, 1 EIP-2930, 2 EIP-1559 (default). */
  type?: 0 | 1 | 2
}

export function signedTx(common: Common, from: Signer, f: TxFields): TypedTransaction {
  const base = {
    nonce: from.nonce,
    gasLimit: f.gasLimit,
    value: f.value ?? 0n,
    data: f.data ?? new Uint8Array(),
    ...(f.to !== undefined ? { to: f.to } : {}),
  }
  const type = f.type ?? 2
  let signed: TypedTransaction
  if (type === 0) {
    const tx = createLegacyTx({ ...base, gasPrice: MAX_FEE }, { common })
    const sig = signHash(tx.getHashedMessageToSign(), from.key)
    signed = tx.addSignature(sig.yParity, sig.r, sig.s, true) // EIP-155 v
  } else {
    const tx =
      type === 1
        ? createAccessList2930Tx({ ...base, gasPrice: MAX_FEE, accessList: [] }, { common })
        : createFeeMarket1559Tx({ ...base, maxFeePerGas: MAX_FEE, maxPriorityFeePerGas: PRIORITY_FEE }, { common })
    const sig = signHash(tx.getHashedMessageToSign(), from.key)
    signed = tx.addSignature(sig.yParity, sig.r, sig.s)
  }
  from.nonce++
  return signed
}

/** An EIP-7702 authorization by `authority` for `delegate` at `nonce` (chainId 0 = any chain). */
export function signAuthorization(
  authority: Signer,
  delegate: Address,
  nonce: bigint,
  chainId: bigint,
): EOACode7702AuthorizationListBytesItem {
  const unsigned: [Uint8Array, Uint8Array, Uint8Array] = [bigIntToUnpaddedBytes(chainId), delegate.bytes, bigIntToUnpaddedBytes(nonce)]
  const sig = signHash(eoaCode7702AuthorizationHashedMessageToSign(unsigned), authority.key)
  return [unsigned[0], unsigned[1], unsigned[2], bigIntToUnpaddedBytes(sig.yParity), bigIntToUnpaddedBytes(sig.r), bigIntToUnpaddedBytes(sig.s)]
}

/** A type-4 (EIP-7702) transaction carrying `authorizations`. */
export function setCodeTx(
  common: Common,
  from: Signer,
  f: { to: Address; value?: bigint; data?: Uint8Array; gasLimit: bigint; authorizations: EOACode7702AuthorizationListBytesItem[] },
): TypedTransaction {
  const unsigned = createEOACode7702Tx(
    {
      nonce: from.nonce,
      gasLimit: f.gasLimit,
      to: f.to,
      value: f.value ?? 0n,
      data: f.data ?? new Uint8Array(),
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: PRIORITY_FEE,
      accessList: [],
      authorizationList: f.authorizations,
    },
    { common },
  )
  const sig = signHash(unsigned.getHashedMessageToSign(), from.key)
  from.nonce++
  return unsigned.addSignature(sig.yParity, sig.r, sig.s)
}
