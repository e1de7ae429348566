// geth's TransactionArgs.setDefaults for eth_sendTransaction / eth_signTransaction: fees (tip from the
// gas price oracle, fee cap = 2 × base fee + tip), nonce (the pool's pending nonce), gas (estimated
// on the latest block), chain id; then the transaction fields to sign. Reads go through the node's own
// eth_* method table, so they answer exactly as those methods do.
import type { EOACode7702TxData, TypedTxData } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import type { TransactionArgs } from './eth/call-args.ts'
import { ServerError } from './eth/errors.ts'
import type { MethodTable } from './types.ts'

export interface TxDefaultsEnv {
  /** The node's eth_* methods (eth_getTransactionCount, eth_estimateGas, eth_maxPriorityFeePerGas). */
  eth: MethodTable
  chainId: bigint
  /** The latest block's base fee; undefined before London. */
  headBaseFee(): bigint | undefined
}

export type SignableTx = TypedTxData

/** Fills what `args` leaves out and returns the transaction to sign (legacy, 2930, 1559 or 7702). */
export async function fillTransaction(env: TxDefaultsEnv, args: TransactionArgs): Promise<SignableTx> {
  const from = args.from
  if (from === undefined) throw new ServerError('missing "from": eth_sendTransaction needs the sending account')
  if (args.blobVersionedHashes !== undefined) throw new ServerError('blob transactions cannot be sent with eth_sendTransaction: sign one with its sidecar and use eth_sendRawTransaction')
  if (args.data !== undefined && args.input !== undefined && bytesToHex(args.data) !== bytesToHex(args.input)) {
    throw new ServerError('both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
  }
  const input = args.input ?? args.data ?? new Uint8Array()
  if (args.to === undefined && input.length === 0) throw new ServerError('contract creation without any data provided')
  if (args.gasPrice !== undefined && (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined)) {
    throw new ServerError('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  if (args.chainId !== undefined && args.chainId !== env.chainId) throw new ServerError(`chainId does not match node's (have=${args.chainId}, want=${env.chainId})`)
  const baseFee = env.headBaseFee()
  const dynamic = baseFee !== undefined && args.gasPrice === undefined
  let feeMarket: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | undefined
  let gasPrice = 0n
  if (dynamic) {
    const tip = args.maxPriorityFeePerGas ?? BigInt(await call(env, 'eth_maxPriorityFeePerGas', []))
    const cap = args.maxFeePerGas ?? tip + 2n * baseFee
    if (cap < tip) throw new ServerError(`maxFeePerGas (${cap}) < maxPriorityFeePerGas (${tip})`)
    feeMarket = { maxFeePerGas: cap, maxPriorityFeePerGas: tip }
  } else {
    gasPrice = args.gasPrice ?? BigInt(await call(env, 'eth_gasPrice', []))
  }
  const nonce = args.nonce ?? BigInt(await call(env, 'eth_getTransactionCount', [bytesToHex(from), 'pending']))
  const base = {
    nonce,
    to: args.to,
    value: args.value ?? 0n,
    data: input,
    chainId: env.chainId,
  }
  const feeFields = feeMarket ?? { gasPrice }
  const gasLimit = args.gas ?? BigInt(await call(env, 'eth_estimateGas', [estimateArgs(from, { ...base, ...feeFields }, args), 'latest']))
  if (args.authorizationList !== undefined) {
    if (feeMarket === undefined) throw new ServerError('a transaction with an authorizationList needs maxFeePerGas, not gasPrice')
    const authorizationList = args.authorizationList.map((a) => ({
      chainId: hexOf(a.chainId), address: bytesToHex(a.address), nonce: hexOf(a.nonce), yParity: hexOf(a.yParity), r: hexOf(a.r), s: hexOf(a.s),
    }))
    const tx: EOACode7702TxData = { ...base, ...feeMarket, gasLimit, type: 4, accessList: args.accessList ?? [], authorizationList }
    return tx
  }
  if (feeMarket !== undefined) return { ...base, ...feeMarket, gasLimit, type: 2, accessList: args.accessList ?? [] }
  if (args.accessList !== undefined) return { ...base, gasPrice, gasLimit, type: 1, accessList: args.accessList }
  return { ...base, gasPrice, gasLimit, type: 0 }
}

function hexOf(n: bigint): `0x${string}` {
  return `0x${n.toString(16)}`
}

function estimateArgs(from: Uint8Array, tx: { nonce: bigint; to: Uint8Array | undefined; value: bigint; data: Uint8Array } & Record<string, unknown>, args: TransactionArgs): Record<string, unknown> {
  const o: Record<string, unknown> = { from: bytesToHex(from), nonce: hexOf(tx.nonce), value: hexOf(tx.value), input: bytesToHex(tx.data) }
  if (tx.to !== undefined) o['to'] = bytesToHex(tx.to)
  for (const k of ['gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas'] as const) {
    const v = tx[k]
    if (typeof v === 'bigint') o[k] = hexOf(v)
  }
  if (args.accessList !== undefined) o['accessList'] = args.accessList.map(([a, keys]) => ({ address: bytesToHex(a), storageKeys: keys.map((k) => bytesToHex(k)) }))
  if (args.authorizationList !== undefined) {
    o['authorizationList'] = args.authorizationList.map((a) => ({ chainId: hexOf(a.chainId), address: bytesToHex(a.address), nonce: hexOf(a.nonce), yParity: hexOf(a.yParity), r: hexOf(a.r), s: hexOf(a.s) }))
  }
  return o
}

async function call(env: TxDefaultsEnv, method: string, params: unknown[]): Promise<string> {
  const h = env.eth.get(method)
  if (h === undefined) throw new ServerError(`${method} is not available`)
  const r = await h(params)
  if (typeof r !== 'string') throw new ServerError(`${method} answered ${typeof r}`)
  return r
}
