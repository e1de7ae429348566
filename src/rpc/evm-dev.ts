// The dev-chain helpers of --dev (the anvil/hardhat names tools call): evm_mine, evm_setNextBlockTimestamp,
// evm_increaseTime, evm_setAutomine, evm_snapshot, evm_revert. Every one acts through blocks that the
// dev driver builds and imports over the node's own Engine API. Methods that would change state outside
// a block (anvil_setBalance and friends, impersonation) are refused with a message that says why.
import { InvalidParamsError, UnsupportedMethodError } from './errors.ts'
import { arg, boolJSON, checkArity, optArg, toQuantity, uint64JSON } from './eth/params.ts'
import type { RpcHandler } from './types.ts'

/** What the helpers need of the dev driver (src/node/dev-driver.ts). */
export interface DevChainControl {
  mine(timestamp?: bigint): Promise<unknown>
  increaseTime(seconds: bigint): bigint
  setNextBlockTimestamp(ts: bigint): void
  setAutomine(on: boolean): void
  readonly automine: boolean
  snapshot(): bigint
  revert(id: bigint): Promise<boolean>
}

const STATE_EDITS = ['setBalance', 'setCode', 'setNonce', 'setStorageAt', 'setCoinbase', 'setMinGasPrice', 'setNextBlockBaseFeePerGas', 'reset', 'dumpState', 'loadState']
const IMPERSONATION = ['impersonateAccount', 'stopImpersonatingAccount', 'autoImpersonateAccount']

const STATE_WHY =
  "Parallax's dev chain changes state only by executing blocks that it builds and imports through its own Engine API, " +
  'as a consensus-driven chain must, so state cannot be edited outside a block; send a transaction from a dev account (eth_accounts) instead'
const IMPERSONATE_WHY =
  'a transaction from an account without its key has no valid signature, so no block could carry it; use one of the unlocked dev accounts (eth_accounts)'

/** Reads a timestamp given as a quantity, a decimal number or string (anvil and hardhat take both). */
function secondsJSON(v: unknown): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v)
  return uint64JSON(v)
}

export function createDevChainMethods(dev: DevChainControl): Map<string, RpcHandler> {
  const m = new Map<string, RpcHandler>([
    [
      'evm_mine',
      async (p) => {
        checkArity(p, 0, 1)
        // anvil: evm_mine(timestamp) or evm_mine({ timestamp, blocks }).
        const raw = p[0]
        let timestamp: bigint | undefined
        let blocks = 1n
        if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
          const o = raw as Record<string, unknown>
          if (o['timestamp'] !== undefined && o['timestamp'] !== null) timestamp = secondsJSON(o['timestamp'])
          if (o['blocks'] !== undefined && o['blocks'] !== null) blocks = secondsJSON(o['blocks'])
          if (blocks < 1n || blocks > 1000n) throw new InvalidParamsError('evm_mine: blocks must be 1..1000')
        } else if (raw !== undefined && raw !== null) {
          timestamp = secondsJSON(raw)
        }
        for (let i = 0n; i < blocks; i++) await dev.mine(i === 0n ? timestamp : undefined)
        return '0x0'
      },
    ],
    [
      'evm_increaseTime',
      (p) => {
        checkArity(p, 1, 1)
        return toQuantity(dev.increaseTime(arg(p, 0, secondsJSON)))
      },
    ],
    [
      'evm_setNextBlockTimestamp',
      (p) => {
        checkArity(p, 1, 1)
        dev.setNextBlockTimestamp(arg(p, 0, secondsJSON))
        return null
      },
    ],
    [
      'evm_setAutomine',
      (p) => {
        checkArity(p, 1, 1)
        dev.setAutomine(arg(p, 0, boolJSON))
        return null
      },
    ],
    ['anvil_getAutomine', (p) => (checkArity(p, 0, 0), dev.automine)],
    ['hardhat_getAutomine', (p) => (checkArity(p, 0, 0), dev.automine)],
    ['evm_snapshot', (p) => (checkArity(p, 0, 0), toQuantity(dev.snapshot()))],
    [
      'evm_revert',
      async (p) => {
        checkArity(p, 1, 1)
        return dev.revert(arg(p, 0, secondsJSON))
      },
    ],
  ])
  for (const ns of ['anvil', 'hardhat']) {
    for (const name of STATE_EDITS) m.set(`${ns}_${name}`, refuse(`${ns}_${name}`, STATE_WHY))
    for (const name of IMPERSONATION) m.set(`${ns}_${name}`, refuse(`${ns}_${name}`, IMPERSONATE_WHY))
  }
  m.set('evm_setAccountBalance', refuse('evm_setAccountBalance', STATE_WHY))
  const mineMany: RpcHandler = async (p) => {
    checkArity(p, 0, 2)
    const n = optArg(p, 0, secondsJSON) ?? 1n
    if (n < 1n || n > 1000n) throw new InvalidParamsError('blocks must be 1..1000')
    for (let i = 0n; i < n; i++) await dev.mine()
    return null
  }
  // anvil_mine / hardhat_mine(blocks, interval): the interval is not applied (blocks take the clock's time).
  m.set('anvil_mine', mineMany)
  m.set('hardhat_mine', mineMany)
  return m
}

function refuse(method: string, why: string): RpcHandler {
  return () => {
    throw new UnsupportedMethodError(method, why)
  }
}
