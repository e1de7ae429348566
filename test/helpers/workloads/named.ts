// The benchmark's named workloads: seeded, reproducible genesis allocs plus signed transactions that
// fill a target amount of gas. Each generator returns independent accounts per call (fresh Signers),
// so the same (name, seed, gas) always yields byte-identical transactions.
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'
import { AllocBuilder, type Alloc } from './genesis.ts'
import {
  counterRuntime,
  erc20BalanceSlot,
  erc20Runtime,
  erc20TransferData,
  pairBalanceSlot,
  pairReserveSlot,
  pairRuntime,
  slotKey,
  swapData,
} from './contracts.ts'
import { deriveAddress, Rng, Signer } from './keys.ts'
import { signedTx } from './txs.ts'

export const WORKLOAD_NAMES = [
  'raw-transfers/independent',
  'raw-transfers/hot-recipient',
  'erc20/independent',
  'erc20/hot-recipient',
  'uniswap/independent-pools',
  'uniswap/pools-4',
  'uniswap/pools-1',
  'mixed/hybrid-hot30',
  'worst/erc20-chain',
] as const

export type WorkloadName = (typeof WORKLOAD_NAMES)[number]

export function isWorkloadName(s: string): s is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(s)
}

export interface WorkloadParams {
  /** Target gas of the block (the generator stops once its estimate reaches it). */
  gas: bigint
  /** The Common transactions are signed for (see benchCommon). */
  common: Common
  seed?: number
}

export interface Workload {
  name: string
  description: string
  /** Accounts to add to the genesis (senders funded, contracts with their storage). */
  alloc: Alloc
  /** Signed transactions in block order (all valid in order against the genesis). */
  txs: TypedTransaction[]
  /** The fee recipient to build the block with. */
  coinbase: Address
  /** The generator's estimate of the gas the transactions use. */
  estimatedGas: bigint
}

export const DEFAULT_SEED = 4
const ETH = 10n ** 18n
const SENDER_BALANCE = 100n * ETH
const TOKEN = 10n ** 18n

type TxKind = 'transfer' | 'transferFresh' | 'erc20Fresh' | 'erc20Warm' | 'erc20Drain' | 'swap' | 'counter'
/** Gas of one transaction in the two EIP-8037 dimensions; block gas = max(Σ regular, Σ state). */
export interface GasCost {
  regular: bigint
  state: bigint
}
const g = (regular: bigint, state = 0n): GasCost => ({ regular, state })

/** Gas each kind of transaction uses, measured on the Prague bench chain (one dimension). */
export const GAS_ESTIMATE: Readonly<Record<TxKind, GasCost>> = {
  transfer: g(21_000n),
  transferFresh: g(21_000n),
  erc20Fresh: g(50_770n), // recipient slot zero → non-zero
  erc20Warm: g(33_676n), // recipient slot already non-zero
  erc20Drain: g(45_976n), // sender's slot to zero (refund), recipient zero → non-zero
  swap: g(43_805n),
  counter: g(26_010n),
}

/**
 * The same on @ethereumjs 10.1.3's Amsterdam: EIP-8037 charges new accounts and slots in a separate
 * state dimension, EIP-7778 keeps refunds out of block gas.
 */
export const GAS_ESTIMATE_AMSTERDAM: Readonly<Record<TxKind, GasCost>> = {
  transfer: g(21_000n),
  transferFresh: g(21_000n, 183_600n),
  erc20Fresh: g(42_064n, 97_920n),
  erc20Warm: g(42_064n),
  erc20Drain: g(42_064n, 97_920n),
  swap: g(66_611n),
  counter: g(27_210n),
}

/** Per-tx gas limits: comfortably above use (Amsterdam charges state gas beyond 21000 to create an account). */
function limits(common: Common): { transfer: bigint; erc20: bigint; swap: bigint; counter: bigint } {
  const stateGas = common.isActivatedEIP(8037)
  return { transfer: stateGas ? 300_000n : 21_000n, erc20: 300_000n, swap: 300_000n, counter: 100_000n }
}

interface Ctx {
  seed: number
  common: Common
  est: Readonly<Record<TxKind, GasCost>>
  limit: ReturnType<typeof limits>
  alloc: AllocBuilder
  txs: TypedTransaction[]
  regular: bigint
  state: bigint
}

function ctxOf(p: WorkloadParams): Ctx {
  const est = p.common.isActivatedEIP(8037) ? GAS_ESTIMATE_AMSTERDAM : GAS_ESTIMATE
  return { seed: p.seed ?? DEFAULT_SEED, common: p.common, est, limit: limits(p.common), alloc: new AllocBuilder(), txs: [], regular: 0n, state: 0n }
}

function sender(c: Ctx, label: string, i: number): Signer {
  const s = Signer.derive(c.seed, label, i)
  c.alloc.fund(s.address, SENDER_BALANCE)
  return s
}

const blockGas = (c: Ctx): bigint => (c.regular > c.state ? c.regular : c.state)

/** Would one more transaction of `kind` still fit in `target` (by the estimates)? */
function fits(c: Ctx, kind: TxKind, target: bigint): boolean {
  const e = c.est[kind]
  const r = c.regular + e.regular
  const st = c.state + e.state
  return (r > st ? r : st) <= target
}

function add(c: Ctx, tx: TypedTransaction, kind: TxKind): void {
  c.txs.push(tx)
  c.regular += c.est[kind].regular
  c.state += c.est[kind].state
}

// ---- building blocks shared by several workloads ----

interface Erc20 {
  address: Address
}
function deployErc20(c: Ctx, label: string): Erc20 {
  const address = deriveAddress(c.seed, `erc20:${label}`, 0)
  c.alloc.contract(address, erc20Runtime())
  return { address }
}
function giveTokens(c: Ctx, token: Erc20, holder: Address, amount: bigint): void {
  c.alloc.store(token.address, erc20BalanceSlot(holder), amount)
}

interface Pool {
  address: Address
  reserve0: bigint
  reserve1: bigint
}
function deployPool(c: Ctx, rng: Rng, i: number): Pool {
  const address = deriveAddress(c.seed, 'pool', i)
  const reserve0 = rng.bigint(1_000_000n, 2_000_000n) * TOKEN
  const reserve1 = rng.bigint(1_000_000n, 2_000_000n) * TOKEN
  c.alloc.contract(address, pairRuntime())
  c.alloc.store(address, pairReserveSlot(0), reserve0)
  c.alloc.store(address, pairReserveSlot(1), reserve1)
  return { address, reserve0, reserve1 }
}
function swapTx(c: Ctx, rng: Rng, from: Signer, pool: Pool): TypedTransaction {
  // the trader holds enough of both tokens for any direction
  c.alloc.store(pool.address, pairBalanceSlot(from.address, 0), 1_000n * TOKEN)
  c.alloc.store(pool.address, pairBalanceSlot(from.address, 1), 1_000n * TOKEN)
  return signedTx(c.common, from, { to: pool.address, data: swapData(rng.bigint(1n, 100n) * TOKEN, rng.chance(0.5)), gasLimit: c.limit.swap })
}

function done(c: Ctx, name: string, description: string): Workload {
  return {
    name,
    description,
    alloc: c.alloc.alloc,
    txs: c.txs,
    coinbase: deriveAddress(c.seed, 'coinbase', 0),
    estimatedGas: blockGas(c),
  }
}

// ---- the workloads ----

function rawIndependent(p: WorkloadParams): Workload {
  const c = ctxOf(p)
  for (let i = 0; fits(c, 'transferFresh', p.gas); i++) {
    const s = sender(c, 'sender', i)
    add(c, signedTx(c.common, s, { to: deriveAddress(c.seed, 'recipient', i), value: 1n + BigInt(i), gasLimit: c.limit.transfer }), 'transferFresh')
  }
  return done(c, 'raw-transfers/independent', 'ETH transfers, distinct senders to distinct fresh recipients')
}

function rawHotRecipient(p: WorkloadParams): Workload {
  const c = ctxOf(p)
  const hot = deriveAddress(c.seed, 'hot', 0)
  for (let i = 0; fits(c, 'transfer', p.gas); i++) {
    const s = sender(c, 'sender', i)
    add(c, signedTx(c.common, s, { to: hot, value: 1n + BigInt(i), gasLimit: c.limit.transfer }), 'transfer')
  }
  return done(c, 'raw-transfers/hot-recipient', 'ETH transfers, distinct senders all paying one recipient')
}

function erc20Independent(p: WorkloadParams): Workload {
  const c = ctxOf(p)
  const token = deployErc20(c, 'token')
  for (let i = 0; fits(c, 'erc20Fresh', p.gas); i++) {
    const s = sender(c, 'sender', i)
    giveTokens(c, token, s.address, 1_000n * TOKEN)
    const data = erc20TransferData(deriveAddress(c.seed, 'recipient', i), TOKEN + BigInt(i))
    add(c, signedTx(c.common, s, { to: token.address, data, gasLimit: c.limit.erc20 }), 'erc20Fresh')
  }
  return done(c, 'erc20/independent', 'one ERC-20, distinct holders each paying a distinct fresh recipient')
}

function erc20HotRecipient(p: WorkloadParams): Workload {
  const c = ctxOf(p)
  const token = deployErc20(c, 'token')
  const hot = deriveAddress(c.seed, 'hot', 0)
  giveTokens(c, token, hot, 1n) // non-zero: every transfer is a warm read-modify-write of one slot
  for (let i = 0; fits(c, 'erc20Warm', p.gas); i++) {
    const s = sender(c, 'sender', i)
    giveTokens(c, token, s.address, 1_000n * TOKEN)
    add(c, signedTx(c.common, s, { to: token.address, data: erc20TransferData(hot, TOKEN + BigInt(i)), gasLimit: c.limit.erc20 }), 'erc20Warm')
  }
  return done(c, 'erc20/hot-recipient', 'one ERC-20, distinct holders all paying one recipient (one hot slot)')
}

function uniswap(p: WorkloadParams, pools: number | 'independent'): Workload {
  const c = ctxOf(p)
  const rng = new Rng(c.seed, `uniswap:${pools}`)
  const fixed: Pool[] = []
  if (pools !== 'independent') for (let k = 0; k < pools; k++) fixed.push(deployPool(c, rng, k))
  for (let i = 0; fits(c, 'swap', p.gas); i++) {
    const s = sender(c, 'trader', i)
    const pool = pools === 'independent' ? deployPool(c, rng, i) : fixed[i % pools]!
    add(c, swapTx(c, rng, s, pool), 'swap')
  }
  const name = pools === 'independent' ? 'uniswap/independent-pools' : `uniswap/pools-${pools}`
  const description =
    pools === 'independent'
      ? 'constant-product swaps, one pool per trader'
      : `constant-product swaps, distinct traders round-robin over ${pools} pool${pools === 1 ? ' (every swap conflicts)' : 's'}`
  return done(c, name, description)
}

/** ~30% of transactions increment one hot counter; the rest are independent transfers, ERC-20 transfers and swaps. */
function hybridHot30(p: WorkloadParams, name = 'mixed/hybrid-hot30'): Workload {
  const c = ctxOf(p)
  const rng = new Rng(c.seed, 'hybrid')
  const counter = deriveAddress(c.seed, 'counter', 0)
  c.alloc.contract(counter, counterRuntime())
  c.alloc.store(counter, slotKey(0n), 1n)
  const token = deployErc20(c, 'token')
  const others = ['transferFresh', 'erc20Fresh', 'swap'] as const
  for (let i = 0; ; i++) {
    const kind: TxKind = rng.chance(0.3) ? 'counter' : others[rng.int(0, 2)]!
    if (!fits(c, kind, p.gas)) break
    const s = sender(c, 'sender', i)
    if (kind === 'counter') {
      add(c, signedTx(c.common, s, { to: counter, gasLimit: c.limit.counter }), kind)
    } else if (kind === 'transferFresh') {
      add(c, signedTx(c.common, s, { to: deriveAddress(c.seed, 'recipient', i), value: 1n + BigInt(i), gasLimit: c.limit.transfer }), kind)
    } else if (kind === 'erc20Fresh') {
      giveTokens(c, token, s.address, 1_000n * TOKEN)
      add(c, signedTx(c.common, s, { to: token.address, data: erc20TransferData(deriveAddress(c.seed, 'recipient', i), TOKEN), gasLimit: c.limit.erc20 }), kind)
    } else {
      add(c, swapTx(c, rng, s, deployPool(c, rng, i)), kind)
    }
  }
  return done(c, name, '30% increments of one hot counter, 70% independent transfers / ERC-20 transfers / swaps')
}

/** A→B, B→C, C→D, ...: each transfer moves the whole balance the previous one delivered. */
function erc20Chain(p: WorkloadParams): Workload {
  const c = ctxOf(p)
  const token = deployErc20(c, 'token')
  const amount = 1_000_000n * TOKEN
  let from = sender(c, 'link', 0)
  giveTokens(c, token, from.address, amount)
  for (let i = 1; fits(c, 'erc20Drain', p.gas); i++) {
    const next = sender(c, 'link', i)
    add(c, signedTx(c.common, from, { to: token.address, data: erc20TransferData(next.address, amount), gasLimit: c.limit.erc20 }), 'erc20Drain')
    from = next
  }
  return done(c, 'worst/erc20-chain', 'ERC-20 relay A→B→C→…: every transaction depends on the one before')
}

/** Generates the named workload for a gas target. */
export function generateWorkload(name: WorkloadName, params: WorkloadParams): Workload {
  switch (name) {
    case 'raw-transfers/independent':
      return rawIndependent(params)
    case 'raw-transfers/hot-recipient':
      return rawHotRecipient(params)
    case 'erc20/independent':
      return erc20Independent(params)
    case 'erc20/hot-recipient':
      return erc20HotRecipient(params)
    case 'uniswap/independent-pools':
      return uniswap(params, 'independent')
    case 'uniswap/pools-4':
      return uniswap(params, 4)
    case 'uniswap/pools-1':
      return uniswap(params, 1)
    case 'mixed/hybrid-hot30':
      return hybridHot30(params)
    case 'worst/erc20-chain':
      return erc20Chain(params)
  }
}

/** The hybrid-hot30 mix under another name (the Amsterdam BAL row builds it on an Amsterdam chain). */
export function hybridWorkload(params: WorkloadParams, name: string): Workload {
  return hybridHot30(params, name)
}
