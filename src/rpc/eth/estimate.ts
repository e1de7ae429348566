// geth's gasestimator.Estimate for eth_estimateGas: the highest allowed gas first (its failure is the
// answer), then a binary search down to within 1.5% of the least gas that succeeds.
import type { CallMessage } from './call-args.ts'
import { RevertError, ServerError } from './errors.ts'
import { applyMessage, MessageError, type CallContext, type ExecutionResult } from './evm-call.ts'

const TX_GAS = 21000n
const CALL_STIPEND = 2300n
const MAX_TX_GAS = 1n << 24n
const ERROR_RATIO = 0.015

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

/** The upper bound: the message's gas (else the block's), the sender's allowance, the gas cap. */
async function highest(cc: CallContext, msg: CallMessage, gasCap: bigint): Promise<bigint> {
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
  return hi
}

export async function estimateGas(cc: CallContext, msg: CallMessage, gasCap: bigint): Promise<bigint> {
  let hi = await highest(cc, msg, gasCap)
  // A plain transfer: try exactly 21000 first (a failure here is no answer yet).
  if (msg.data.length === 0 && msg.to !== undefined && (await cc.state.getCode(msg.to)).length === 0) {
    const [failed] = await execute(cc, msg, TX_GAS).catch((err: unknown): [boolean, undefined] => {
      if (err instanceof ServerError) return [true, undefined]
      throw err
    })
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
