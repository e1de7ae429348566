// eth_createAccessList like geth's AccessList: fee defaults from the gas price oracle, then the call
// run again with the access list it touched until the list stops changing.
import { RLP } from '@ethereumjs/rlp'
import { Address, bigIntToUnpaddedBytes, bytesToHex, createContractAddress, hexToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { callDefaults, toMessage, type AccessListBytes, type TransactionArgs } from './call-args.ts'
import { ServerError } from './errors.ts'
import { applyMessage, MessageError, type CallContext, type ExecutionResult } from './evm-call.ts'
import { toQuantity, type Hex } from './params.ts'

export interface AccessListResult {
  accessList: { address: Hex; storageKeys: Hex[] }[]
  error?: string
  gasUsed: Hex
}

/** geth's setFeeDefaults for eth_createAccessList: fill fees from the oracle's tip (`tipCap`). */
function setFeeDefaults(cc: CallContext, args: TransactionArgs, tipCap: bigint): void {
  if (args.maxFeePerBlobGas !== undefined && args.maxFeePerBlobGas === 0n) throw new ServerError('maxFeePerBlobGas, if specified, must be non-zero')
  if (args.gasPrice !== undefined && (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined)) {
    throw new ServerError('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  const full1559 = args.maxFeePerGas !== undefined && args.maxPriorityFeePerGas !== undefined
  if ((args.gasPrice !== undefined && !full1559) || (args.gasPrice === undefined && full1559)) {
    if (args.gasPrice === undefined && args.maxFeePerGas! < args.maxPriorityFeePerGas!) {
      throw new ServerError(`maxFeePerGas (${toQuantity(args.maxFeePerGas!)}) < maxPriorityFeePerGas (${toQuantity(args.maxPriorityFeePerGas!)})`)
    }
    if (args.gasPrice === 0n && cc.header.baseFeePerGas !== undefined) throw new ServerError('gasPrice must be non-zero after london fork')
    return
  }
  if (cc.header.baseFeePerGas !== undefined) {
    args.maxPriorityFeePerGas ??= tipCap
    args.maxFeePerGas ??= args.maxPriorityFeePerGas + cc.header.baseFeePerGas * 2n
    if (args.maxFeePerGas < args.maxPriorityFeePerGas) {
      throw new ServerError(`maxFeePerGas (${toQuantity(args.maxFeePerGas)}) < maxPriorityFeePerGas (${toQuantity(args.maxPriorityFeePerGas)})`)
    }
  } else {
    if (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined) {
      throw new ServerError('maxFeePerGas and maxPriorityFeePerGas are not valid before London is active')
    }
    args.gasPrice = tipCap
  }
}

/** The hash geth names in "failed to apply transaction": the args as an unsigned legacy transaction. */
function legacyHash(args: TransactionArgs): string {
  const u = (n: bigint | undefined) => bigIntToUnpaddedBytes(n ?? 0n)
  const fields = [u(args.nonce), u(args.gasPrice), u(args.gas), args.to ?? new Uint8Array(), u(args.value), args.input ?? args.data ?? new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()]
  return bytesToHex(keccak_256(RLP.encode(fields)))
}

function toAccessList(entries: { address: string; storageKeys: string[] }[], exclude: Set<string>): AccessListBytes {
  const out: AccessListBytes = []
  for (const e of entries) {
    const address = e.address.toLowerCase()
    if (e.storageKeys.length === 0 && exclude.has(address)) continue
    out.push([hexToBytes(address as Hex), e.storageKeys.map((k) => hexToBytes(k as Hex))])
  }
  return out
}

const sameList = (a: AccessListBytes, b: AccessListBytes): boolean =>
  JSON.stringify(a.map(([x, ks]) => [bytesToHex(x), ks.map(bytesToHex).sort()]).sort()) ===
  JSON.stringify(b.map(([x, ks]) => [bytesToHex(x), ks.map(bytesToHex).sort()]).sort())

export async function createAccessList(cc: CallContext, args: TransactionArgs, gasCap: bigint, chainId: bigint, tipCap: bigint): Promise<AccessListResult> {
  setFeeDefaults(cc, args, tipCap)
  const from = new Address(args.from ?? new Uint8Array(20))
  args.nonce ??= (await cc.state.getAccount(from))?.nonce ?? 0n
  callDefaults(args, gasCap, cc.header.baseFeePerGas, chainId)
  const to = args.to !== undefined ? new Address(args.to) : createContractAddress(from, args.nonce)
  const exclude = new Set([from.toString(), to.toString()])
  for (let i = 1; i <= 0x11; i++) exclude.add(`0x${i.toString(16).padStart(40, '0')}`)
  exclude.add(`0x${'100'.padStart(40, '0')}`)
  let list: AccessListBytes = args.accessList ?? []
  for (let round = 0; round < 16; round++) {
    args.accessList = list
    const msg = toMessage(args, cc.header.baseFeePerGas)
    let res: ExecutionResult
    try {
      res = await applyMessage(cc, msg, { reportAccessList: true })
    } catch (err) {
      if (err instanceof MessageError) throw new ServerError(`failed to apply transaction: ${legacyHash(args)} err: ${err.message}`)
      throw err
    }
    const next = toAccessList(res.accessList ?? [], exclude)
    if (sameList(next, list)) {
      const accessList = list.map(([a, ks]) => ({ address: bytesToHex(a), storageKeys: ks.map(bytesToHex) }))
      const gasUsed = toQuantity(res.usedGas)
      if (!res.failed) return { accessList, gasUsed }
      return { accessList, error: res.reverted ? 'execution reverted' : (res.vmError ?? 'execution failed'), gasUsed }
    }
    list = next
  }
  throw new ServerError('access list did not converge')
}
