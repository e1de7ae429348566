// The node's accounts: the keys --dev derives (src/node/dev-keys.ts) and --keystore's (unlocked by
// --password, else listed but locked), looked up by address, with the two signatures the RPC needs
// (a 32-byte digest; a transaction) and a per-account lock so concurrent eth_sendTransaction calls
// of one account take consecutive nonces.
import type { Common } from '@ethereumjs/common'
import { createTx, type TypedTxData, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, concatBytes, createAddressFromPrivateKey } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { RpcCode, RpcError } from './errors.ts'

/** geth's accounts.ErrUnknownAccount: no unlocked account has this address. */
export class UnknownAccountError extends RpcError {
  constructor() {
    super(RpcCode.Server, 'unknown account')
  }
}

/** geth's keystore ErrLocked: the keystore has the account, but it was not unlocked (no --password). */
export class AccountLockedError extends RpcError {
  constructor() {
    super(RpcCode.Server, 'authentication needed: password or unlock')
  }
}

export interface UnlockedAccount {
  /** Lower-case 0x address. */
  address: `0x${string}`
  privateKey: Uint8Array
}

export class DevAccounts {
  private readonly byAddress = new Map<string, UnlockedAccount>()
  private readonly locks = new Map<string, Promise<unknown>>()

  /** Listed, but without a key (a --keystore account no --password unlocked). */
  private readonly locked = new Set<string>()

  constructor(privateKeys: readonly Uint8Array[], locked: readonly string[] = []) {
    for (const privateKey of privateKeys) {
      const address = createAddressFromPrivateKey(privateKey).toString() as `0x${string}`
      this.byAddress.set(address, { address, privateKey })
    }
    for (const a of locked) if (!this.byAddress.has(a.toLowerCase())) this.locked.add(a.toLowerCase())
  }

  /** The addresses, unlocked ones in derivation order, then the locked ones (eth_accounts). */
  list(): `0x${string}`[] {
    return [...this.byAddress.keys(), ...this.locked] as `0x${string}`[]
  }

  /** The account for `address`; throws UnknownAccountError, or AccountLockedError for a locked one. */
  get(address: Uint8Array): UnlockedAccount {
    const k = bytesToHex(address).toLowerCase()
    const a = this.byAddress.get(k)
    if (a === undefined) throw this.locked.has(k) ? new AccountLockedError() : new UnknownAccountError()
    return a
  }

  /** A 65-byte r ‖ s ‖ v signature (v = 27 or 28) of a 32-byte digest, as geth's eth_sign answers. */
  signDigest(address: Uint8Array, digest: Uint8Array): Uint8Array {
    const sig = secp256k1.sign(digest, this.get(address).privateKey, { prehash: false, format: 'recovered' })
    return concatBytes(sig.subarray(1, 65), Uint8Array.of(27 + sig[0]!))
  }

  /** EIP-191 personal message signature: keccak256("\x19Ethereum Signed Message:\n" + len + data). */
  signMessage(address: Uint8Array, data: Uint8Array): Uint8Array {
    return this.signDigest(address, personalMessageDigest(data))
  }

  signTransaction(address: Uint8Array, data: TypedTxData, common: Common): TypedTransaction {
    return createTx(data, { common }).sign(this.get(address).privateKey)
  }

  /** Runs `job` after every earlier job of the same account has settled (nonce assignment). */
  withLock<T>(address: Uint8Array, job: () => Promise<T>): Promise<T> {
    const k = bytesToHex(address).toLowerCase()
    const run = (this.locks.get(k) ?? Promise.resolve()).then(job, job)
    const tail = run.catch(() => undefined)
    this.locks.set(k, tail)
    void tail.then(() => {
      if (this.locks.get(k) === tail) this.locks.delete(k)
    })
    return run
  }
}

export function personalMessageDigest(data: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${data.length}`)
  return keccak_256(concatBytes(prefix, data))
}
