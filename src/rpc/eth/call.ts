// eth_call, eth_estimateGas (geth's binary search with its 1.5% error ratio) and eth_createAccessList.
import { RLP } from '@ethereumjs/rlp'
import { Address, bigIntToUnpaddedBytes, bytesToHex, createContractAddress, hexToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import {
  blockOverridesJSON, callDefaults, stateOverrideJSON, toMessage, transactionArgsJSON, type AccessListBytes, type CallMessage,
  type TransactionArgs,
} from './call-args.ts'
import { RevertError, ServerError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import { applyMessage, EvmTimeoutError, MessageError, prepareCall, type CallContext, type ExecutionResult } from './evm-call.ts'
import { arg, blockNumberOrHashJSON, checkArity, LATEST, optArg, toData, toQuantity } from './params.ts'

const TX_GAS = 21000n
const CALL_STIPEND = 2300n
const MAX_TX_GAS = 1n << 24n
const ERROR_RATIO = 0.015

/** Go's time.Duration text for whole milliseconds: 5s, 1.5s, 300ms, 2m0s. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${ms / 1000}s`
  const m = Math.floor(ms / 60_000)
  return `${m}m${(ms - m * 60_000) / 1000}s`
}

/** One estimation step: [failed, result]; throws for errors unrelated to the gas limit. */
async function execute(cc: CallContext, msg: CallMessage, gas: bigint): Promise<[boolean, ExecutionResult | undefined]> {
  try {
    const res = await applyMessage(cc, { ...msg, gasLimit: gas })
    return [res.failed, res]
  } catch (err) {
    if (err instanceof MessageError) {
      if (err.intrinsic) return [true, undefined]
      throw new ServerError(`failed with ${gas} gas: ${err.message}`)
    }
    throw err
  }
}

/** geth's gasestimator.Estimate. */
async function estimate(cc: CallContext, msg: CallMessage, gasCap: bigint): Promise<bigint> {
  const { header, common, state } = cc
  let hi = msg.gasLimit >= TX_GAS ? msg.gasLimit : header.gasLimit
  if (hi > MAX_TX_GAS && common.gteHardfork('osaka')) hi = MAX_TX_GAS
  const feeCap = msg.gasFeeCap !== 0n ? msg.gasFeeCap : msg.gasPrice
  if (feeCap !== 0n) {
    let available = (await state.getAccount(msg.from))?.balance ?? 0n
    if (msg.value >= available) throw new ServerError('insufficient funds for transfer')
    available -= msg.value
    if (common.isActivatedEIP(4844) && (msg.blobHashes?.length ?? 0) > 0) {
      const blobCost = BigInt(msg.blobHashes!.length) * 131072n * (msg.blobFeeCap ?? 0n)
      if (blobCost >= available) throw new ServerError('insufficient funds for gas * price + value')
      available -= blobCost
    }
    const allowance = available / feeCap
    if (allowance < 1n << 64n && hi > allowance) hi = allowance
  }
  if (gasCap !== 0n && hi > gasCap) hi = gasCap
  // A plain transfer: try exactly 21000 first.
  if (msg.data.length === 0 && msg.to !== undefined && (await state.getCode(msg.to)).length === 0) {
    const [failed] = await execute(cc, msg, TX_GAS).catch((): [boolean, undefined] => [true, undefined])
    if (!failed) return TX_GAS
  }
  const [failed, result] = await execute(cc, msg, hi)
  if (failed) {
    if (result !== undefined && !result.outOfGas) {
      if (result.reverted) throw new RevertError(result.returnValue)
      throw new ServerError(result.vmError ?? 'execution failed')
    }
    throw new ServerError(`gas required exceeds allowance (${hi})`)
  }
  let lo = result!.usedGas - 1n
  const optimistic = ((result!.maxUsedGas + CALL_STIPEND) * 64n) / 63n
  if (optimistic < hi) {
    const [f] = await execute(cc, msg, optimistic)
    if (f) lo = optimistic
    else hi = optimistic
  }
  while (lo + 1n < hi) {
    if (Number(hi - lo) / Number(hi) < ERROR_RATIO) break
    let mid = lo + (hi - lo) / 2n
    if (mid > lo * 2n) mid = lo * 2n
    const [f] = await execute(cc, msg, mid)
    if (f) lo = mid
    else hi = mid
  }
  return hi
}

/** geth's setFeeDefaults for eth_createAccessList: fill fees from the oracle. */
async function setFeeDefaults(env: EthEnv, cc: CallContext, args: TransactionArgs): Promise<void> {
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
    args.maxPriorityFeePerGas ??= await env.oracle.suggestTipCap()
    args.maxFeePerGas ??= args.maxPriorityFeePerGas + cc.header.baseFeePerGas * 2n
    if (args.maxFeePerGas < args.maxPriorityFeePerGas) {
      throw new ServerError(`maxFeePerGas (${toQuantity(args.maxFeePerGas)}) < maxPriorityFeePerGas (${toQuantity(args.maxPriorityFeePerGas)})`)
    }
  } else {
    if (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined) {
      throw new ServerError('maxFeePerGas and maxPriorityFeePerGas are not valid before London is active')
    }
    args.gasPrice = await env.oracle.suggestTipCap()
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
    out.push([hexToBytes(address as `0x${string}`), e.storageKeys.map((k) => hexToBytes(k as `0x${string}`))])
  }
  return out
}

const sameList = (a: AccessListBytes, b: AccessListBytes): boolean =>
  JSON.stringify(a.map(([x, ks]) => [bytesToHex(x), ks.map(bytesToHex).sort()]).sort()) ===
  JSON.stringify(b.map(([x, ks]) => [bytesToHex(x), ks.map(bytesToHex).sort()]).sort())

export function callMethods(env: EthEnv): Methods {
  const { reader, opts } = env
  const chainId = (): bigint => env.ctx.common.chainId()

  const setup = async (params: unknown[]) => {
    const args = arg(params, 0, transactionArgsJSON)
    const b = optArg(params, 1, blockNumberOrHashJSON) ?? LATEST
    const stateOverride = optArg(params, 2, stateOverrideJSON)
    const blockOverrides = optArg(params, 3, blockOverridesJSON)
    const { header, state } = await reader.state(b)
    const cc = await prepareCall(env, header, state, stateOverride, blockOverrides)
    return { args, cc }
  }

  return {
    eth_call: async (params) => {
      checkArity(params, 1, 4)
      const { args, cc } = await setup(params)
      callDefaults(args, opts.gasCap === 0n ? (1n << 64n) - 1n : opts.gasCap, cc.header.baseFeePerGas, chainId())
      const msg = toMessage(args, cc.header.baseFeePerGas)
      let res: ExecutionResult
      if (opts.evmTimeoutMs > 0) cc.deadline = Date.now() + opts.evmTimeoutMs
      try {
        res = await applyMessage(cc, msg)
      } catch (err) {
        if (err instanceof MessageError) throw new ServerError(`err: ${err.message} (supplied gas ${msg.gasLimit})`)
        if (err instanceof EvmTimeoutError) throw new ServerError(`execution aborted (timeout = ${goDuration(opts.evmTimeoutMs)})`)
        throw err
      }
      if (res.reverted) throw new RevertError(res.returnValue)
      if (res.failed) throw new ServerError(res.vmError ?? 'execution failed')
      return toData(res.returnValue)
    },
    eth_estimateGas: async (params) => {
      checkArity(params, 1, 4)
      const { args, cc } = await setup(params)
      args.gas ??= 0n
      callDefaults(args, opts.gasCap, cc.header.baseFeePerGas, chainId())
      const msg = toMessage(args, cc.header.baseFeePerGas)
      return toQuantity(await estimate(cc, msg, opts.gasCap))
    },
    eth_createAccessList: async (params) => {
      checkArity(params, 1, 3)
      const { args, cc } = await setup(params)
      await setFeeDefaults(env, cc, args)
      const from = new Address(args.from ?? new Uint8Array(20))
      args.nonce ??= (await cc.state.getAccount(from))?.nonce ?? 0n
      callDefaults(args, opts.gasCap, cc.header.baseFeePerGas, chainId())
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
          const out: { [k: string]: unknown } = {
            accessList: list.map(([a, ks]) => ({ address: bytesToHex(a), storageKeys: ks.map(bytesToHex) })),
          }
          if (res.failed) out['error'] = res.reverted ? 'execution reverted' : (res.vmError ?? 'execution failed')
          out['gasUsed'] = toQuantity(res.usedGas)
          return out
        }
        list = next
      }
      throw new ServerError('access list did not converge')
    },
  }
}

