// randomBlockMix: small seeded blocks (5-40 transactions) mixing everything that makes parallel EVM
// execution diverge from sequential: same-sender chains, fee-recipient transfers and reads, hot
// ERC-20 accounts, AMM swaps on few pools, CREATE/CREATE2 (with collisions), SELFDESTRUCT (new and
// pre-existing), EIP-7702 delegations, reverts, out-of-gas, BLOCKHASH and precompile calls. For
// differential tests: build the block with buildOnParent, run it through both executors, compare.
// MixChain: the same mix as a chain of blocks on one genesis (each block valid on the state the
// previous ones left: nonces, spendable balances, contracts deployed earlier, CREATE2 salts used
// earlier, a different fee recipient per block), for long differential runs on one store.
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address, bigIntToBytes, concatBytes, generateAddress, setLengthLeft } from '@ethereumjs/util'
import {
  blockhashReaderRuntime,
  burnerRuntime,
  coinbaseReaderRuntime,
  counterInit,
  counterRuntime,
  create2Address,
  create2Data,
  create2FactoryRuntime,
  createFactoryRuntime,
  erc20BalanceSlot,
  erc20Runtime,
  erc20TransferData,
  pairBalanceSlot,
  pairReserveSlot,
  pairRuntime,
  precompileCallerRuntime,
  reverterRuntime,
  selfdestructInit,
  selfdestructToCallerRuntime,
  slotKey,
  swapData,
} from './contracts.ts'
import { AllocBuilder, benchCommon } from './genesis.ts'
import type { Alloc } from './genesis.ts'
import { deriveAddress, keccak, Rng, Signer, signHash } from './keys.ts'
import { MAX_FEE, setCodeTx, signAuthorization, signedTx, type TxFields } from './txs.ts'

export const MIX_KINDS = [
  'transfer',
  'sender-chain',
  'coinbase-transfer',
  'erc20-hot',
  'amm-swap',
  'create',
  'create2',
  'create2-collision',
  'selfdestruct-new',
  'selfdestruct-existing',
  'eip7702',
  'revert',
  'out-of-gas',
  'coinbase-reader',
  'blockhash',
  'precompiles',
] as const

export type MixKind = (typeof MIX_KINDS)[number]

export interface RandomMixOptions {
  /** About how many transactions (actions are whole: a few more may come). Default: seeded, 5..40. */
  txs?: number
  /** The Common to sign for (chainId, fork). Default: benchCommon() (Prague, chainId 1337). */
  common?: Common
  /** Kinds to draw from. Default: all of MIX_KINDS; with ≥ 16 txs each appears at least once. */
  kinds?: readonly MixKind[]
}

export interface MixBlock {
  seed: number
  /** Genesis accounts: funded senders, every contract the mix may call, collision targets. */
  alloc: Alloc
  /** Signed transactions in block order; all includable (some revert or run out of gas on purpose). */
  txs: TypedTransaction[]
  /** What each transaction exercises (same length as txs). */
  kinds: MixKind[]
  /** The fee recipient the block must be built with (the mix transfers to it and reads it). */
  coinbase: Address
  /** Well-known addresses of the mix, for assertions. */
  addresses: MixAddresses
}

export interface MixAddresses {
  token: Address
  pools: Address[]
  counter: Address
  createFactory: Address
  create2Factory: Address
  selfdestructor: Address
  coinbaseReader: Address
  blockhashReader: Address
  precompileCaller: Address
  reverter: Address
  burner: Address
  /** EIP-7702 authorities (keys known, funded with 1 ETH). */
  authorities: Address[]
}

const ETH = 10n ** 18n
const TOKEN = 10n ** 18n
const SENDERS = 24
const HOT_HOLDERS = 4
const AUTHORITIES = 3
/** CREATE2 salts whose targets are occupied in the genesis: by a contract / by storage only (EIP-7610). */
const SALT_OCCUPIED = 0xdeadn
const SALT_STORAGE_ONLY = 0xbeefn
/** A chain's signer must keep this much spendable (the dearest transaction costs ~1.01 ETH upfront). */
const RESERVE = 2n * ETH

const word = (v: bigint): Uint8Array => setLengthLeft(bigIntToBytes(v), 32)

/** Genesis balances: a single block needs little, a chain of thousands of blocks much more. */
interface Funding {
  sender: bigint
  authority: bigint
  token: bigint
  hotToken: bigint
  pool: bigint
}
const BLOCK_FUNDING: Funding = { sender: 100n * ETH, authority: ETH, token: 500n * TOKEN, hotToken: 10_000n * TOKEN, pool: 1_000n * TOKEN }
const CHAIN_FUNDING: Funding = { sender: 100_000n * ETH, authority: 1_000n * ETH, token: 10n ** 7n * TOKEN, hotToken: 10n ** 8n * TOKEN, pool: 10n ** 7n * TOKEN }

/** What a chain remembers from block to block (block mode has none). */
interface ChainMemory {
  /** Counters deployed by earlier transactions (CREATE from an EOA, CREATE2): later ones call them. */
  deployed: Address[]
  /** CREATE2 salts already used with counterInit(): using one again collides with a contract the chain made. */
  salts: bigint[]
  /** What each signer may still spend: its genesis balance less every upfront cost (value + gas limit × max fee). */
  budget: Map<Signer, bigint>
}

interface Mix {
  rng: Rng
  common: Common
  senders: Signer[]
  authorities: Signer[]
  delegated: boolean[]
  coinbase: Address
  a: MixAddresses
  txs: TypedTransaction[]
  kinds: MixKind[]
  salt: bigint
  chain?: ChainMemory
}

function emit(m: Mix, kind: MixKind, tx: TypedTransaction): void {
  m.txs.push(tx)
  m.kinds.push(kind)
}

/** Charges a chain signer's budget (nothing to track for a single block). */
function charge(m: Mix, from: Signer, cost: bigint): void {
  if (m.chain !== undefined) m.chain.budget.set(from, (m.chain.budget.get(from) ?? 0n) - cost)
}

const affordable = (m: Mix, s: Signer): boolean => m.chain === undefined || (m.chain.budget.get(s) ?? 0n) >= RESERVE

function tx(m: Mix, from: Signer, f: TxFields): TypedTransaction {
  charge(m, from, f.gasLimit * MAX_FEE + (f.value ?? 0n))
  return signedTx(m.common, from, f)
}

/** A contract creation the chain can call later (only chains remember). */
function remember(m: Mix, address: Uint8Array, salt?: bigint): void {
  if (m.chain === undefined) return
  m.chain.deployed.push(new Address(address))
  if (salt !== undefined) m.chain.salts.push(salt)
}

function anySender(m: Mix): Signer {
  const s = m.rng.pick(m.senders)
  if (affordable(m, s)) return s
  const left = m.senders.filter((x) => affordable(m, x))
  if (left.length === 0) throw new Error('MixChain: every sender has spent its genesis balance (fund them more)')
  return m.rng.pick(left)
}

/** One of the hot ERC-20 holders (another sender when a chain's hot holder is short of ether). */
function hotHolder(m: Mix): Signer {
  const s = m.rng.pick(m.senders.slice(0, HOT_HOLDERS))
  return affordable(m, s) ? s : anySender(m)
}

function transferTarget(m: Mix): Address {
  if (m.chain !== undefined && m.chain.deployed.length > 0 && m.rng.chance(0.15)) return m.rng.pick(m.chain.deployed)
  const r = m.rng.int(0, 4)
  if (r === 0) return anySender(m).address
  if (r === 1) return m.rng.pick(m.authorities).address // may carry a delegation by now
  if (r === 2) return m.a.counter
  return deriveAddress(m.rng.int(0, 1 << 30), 'mix-fresh', m.txs.length)
}

function erc20Tx(m: Mix, from: Signer): TypedTransaction {
  const hot = m.senders.slice(0, HOT_HOLDERS)
  const to = m.rng.chance(0.7) ? m.rng.pick(hot).address : transferTarget(m)
  return tx(m, from, { to: m.a.token, data: erc20TransferData(to, m.rng.bigint(1n, 50n) * TOKEN), gasLimit: 120_000n })
}

function action(m: Mix, kind: MixKind): void {
  const { rng, common: c, a } = m
  switch (kind) {
    case 'transfer': {
      const type = rng.pick([0, 1, 2] as const)
      emit(m, kind, tx(m, anySender(m), { to: transferTarget(m), value: rng.bigint(1n, 10n ** 15n), gasLimit: 80_000n, type }))
      return
    }
    case 'sender-chain': {
      const s = anySender(m)
      const n = rng.int(2, 4)
      for (let i = 0; i < n; i++) {
        if (rng.chance(0.5)) emit(m, kind, tx(m, s, { to: transferTarget(m), value: rng.bigint(1n, 10n ** 15n), gasLimit: 80_000n }))
        else emit(m, kind, erc20Tx(m, s))
      }
      return
    }
    case 'coinbase-transfer':
      emit(m, kind, tx(m, anySender(m), { to: m.coinbase, value: rng.bigint(1n, ETH), gasLimit: 21_000n }))
      return
    case 'erc20-hot': {
      const from = rng.chance(0.6) ? hotHolder(m) : anySender(m)
      emit(m, kind, erc20Tx(m, from))
      return
    }
    case 'amm-swap': {
      const pool = rng.pick(a.pools)
      emit(m, kind, tx(m, anySender(m), { to: pool, data: swapData(rng.bigint(1n, 100n) * TOKEN, rng.chance(0.5)), gasLimit: 150_000n }))
      return
    }
    case 'create': {
      const value = rng.chance(0.5) ? rng.bigint(1n, 1000n) : 0n
      if (rng.chance(0.5)) {
        const from = anySender(m)
        remember(m, generateAddress(from.address.bytes, bigIntToBytes(from.nonce)))
        emit(m, kind, tx(m, from, { data: counterInit(), value, gasLimit: 300_000n }))
      } else emit(m, kind, tx(m, anySender(m), { to: a.createFactory, data: counterInit(), value, gasLimit: 300_000n }))
      return
    }
    case 'create2': {
      m.salt++
      remember(m, create2Address(a.create2Factory, m.salt, counterInit()), m.salt)
      emit(m, kind, tx(m, anySender(m), { to: a.create2Factory, data: create2Data(m.salt, counterInit()), gasLimit: 300_000n }))
      return
    }
    case 'create2-collision': {
      if (m.chain !== undefined && m.chain.salts.length > 0 && rng.chance(0.35)) {
        // a salt an earlier transaction deployed with (often in an earlier block)
        emit(m, kind, tx(m, anySender(m), { to: a.create2Factory, data: create2Data(rng.pick(m.chain.salts), counterInit()), gasLimit: 1_000_000n }))
        return
      }
      const variant = rng.int(0, 2)
      if (variant === 0) {
        // the same salt and init code twice in the block: the second CREATE2 collides (a collision
        // burns the gas handed to CREATE2; 1/64 of 1M is left to record the failed create)
        m.salt++
        remember(m, create2Address(a.create2Factory, m.salt, counterInit()), m.salt)
        const data = create2Data(m.salt, counterInit())
        emit(m, kind, tx(m, anySender(m), { to: a.create2Factory, data, gasLimit: 1_000_000n }))
        emit(m, kind, tx(m, anySender(m), { to: a.create2Factory, data, gasLimit: 1_000_000n }))
      } else {
        const salt = variant === 1 ? SALT_OCCUPIED : SALT_STORAGE_ONLY
        emit(m, kind, tx(m, anySender(m), { to: a.create2Factory, data: create2Data(salt, counterInit()), value: rng.bigint(0n, 5n), gasLimit: 1_000_000n }))
      }
      return
    }
    case 'selfdestruct-new': {
      const beneficiary = rng.chance(0.3) ? 'self' : rng.chance(0.5) ? m.coinbase : anySender(m).address
      const init = selfdestructInit(beneficiary)
      const value = rng.bigint(1n, ETH)
      const r = rng.int(0, 2)
      if (r === 0) emit(m, kind, tx(m, anySender(m), { data: init, value, gasLimit: 200_000n }))
      else if (r === 1) emit(m, kind, tx(m, anySender(m), { to: a.createFactory, data: init, value, gasLimit: 200_000n }))
      else {
        m.salt++
        emit(m, kind, tx(m, anySender(m), { to: a.create2Factory, data: create2Data(m.salt, init), value, gasLimit: 200_000n }))
      }
      return
    }
    case 'selfdestruct-existing':
      emit(m, kind, tx(m, anySender(m), { to: a.selfdestructor, value: rng.chance(0.5) ? rng.bigint(1n, 1000n) : 0n, gasLimit: 100_000n }))
      return
    case 'eip7702': {
      const i = rng.int(0, AUTHORITIES - 1)
      const authority = m.authorities[i]!
      const variant = rng.int(0, 3)
      const chainId = rng.chance(0.3) ? 0n : c.chainId()
      if (variant === 3 && m.delegated[i] === true && affordable(m, authority)) {
        // a delegated EOA still sends its own transactions (EIP-3607 exempts delegations)
        emit(m, kind, tx(m, authority, { to: transferTarget(m), value: 1n, gasLimit: 80_000n }))
        return
      }
      const stale = variant === 2 // wrong nonce: the authorization is skipped, the transaction still runs
      const delegate = rng.chance(0.8) ? a.counter : a.coinbaseReader
      const auth = signAuthorization(authority, delegate, stale ? authority.nonce + 7n : authority.nonce, chainId)
      if (!stale) {
        authority.nonce++ // a valid authorization bumps the authority's nonce
        m.delegated[i] = true
      }
      const to = variant === 0 ? authority.address : transferTarget(m)
      const from = anySender(m)
      charge(m, from, 200_000n * MAX_FEE)
      emit(m, kind, setCodeTx(c, from, { to, gasLimit: 200_000n, authorizations: [auth] }))
      return
    }
    case 'revert':
      if (rng.chance(0.5)) emit(m, kind, tx(m, anySender(m), { to: a.reverter, gasLimit: 100_000n }))
      else emit(m, kind, tx(m, anySender(m), { to: a.token, data: erc20TransferData(anySender(m).address, 10n ** 30n), gasLimit: 100_000n }))
      return
    case 'out-of-gas':
      if (rng.chance(0.5)) emit(m, kind, tx(m, anySender(m), { to: a.burner, gasLimit: rng.bigint(30_000n, 80_000n) }))
      else emit(m, kind, tx(m, anySender(m), { to: a.counter, gasLimit: 22_000n })) // dies on the cold SLOAD
      return
    case 'coinbase-reader':
      emit(m, kind, tx(m, anySender(m), { to: a.coinbaseReader, value: rng.chance(0.3) ? 5n : 0n, gasLimit: 100_000n }))
      return
    case 'blockhash':
      emit(m, kind, tx(m, anySender(m), { to: a.blockhashReader, gasLimit: 100_000n }))
      return
    case 'precompiles': {
      const signer = anySender(m)
      const hash = keccak(word(rng.bigint(0n, 1n << 50n)))
      const sig = signHash(hash, signer.key)
      const input = concatBytes(hash, word(27n + sig.yParity), word(sig.r), word(sig.s))
      const r = rng.int(0, 3)
      if (r === 0) emit(m, kind, tx(m, anySender(m), { to: a.precompileCaller, data: input, gasLimit: 200_000n }))
      else {
        // straight to a precompile, sometimes with value (the precompile account then exists)
        const target = new Address(setLengthLeft(Uint8Array.of(r === 1 ? 1 : r === 2 ? 2 : 4), 20))
        emit(m, kind, tx(m, anySender(m), { to: target, data: input, value: rng.chance(0.5) ? 1n : 0n, gasLimit: 100_000n }))
      }
      return
    }
  }
}

interface World {
  alloc: Alloc
  senders: Signer[]
  authorities: Signer[]
  a: MixAddresses
  /** The genesis fee recipient (funded or not, by a coin flip). */
  coinbase: Address
}

/** The genesis of a mix: funded senders and authorities, every contract it calls, collision targets. */
function mixWorld(seed: number, rng: Rng, f: Funding): World {
  const alloc = new AllocBuilder()
  const at = (label: string): Address => deriveAddress(seed, `mix:${label}`, 0)

  const senders = Array.from({ length: SENDERS }, (_, i) => Signer.derive(seed, 'mix-sender', i))
  const authorities = Array.from({ length: AUTHORITIES }, (_, i) => Signer.derive(seed, 'mix-authority', i))
  const a: MixAddresses = {
    token: at('token'),
    pools: [at('pool0'), at('pool1')],
    counter: at('counter'),
    createFactory: at('create-factory'),
    create2Factory: at('create2-factory'),
    selfdestructor: at('selfdestructor'),
    coinbaseReader: at('coinbase-reader'),
    blockhashReader: at('blockhash-reader'),
    precompileCaller: at('precompile-caller'),
    reverter: at('reverter'),
    burner: at('burner'),
    authorities: authorities.map((s) => s.address),
  }
  const coinbase = at('coinbase')
  if (rng.chance(0.5)) alloc.fund(coinbase, ETH)

  alloc.contract(a.token, erc20Runtime())
  for (const [i, s] of senders.entries()) {
    alloc.fund(s.address, f.sender)
    alloc.store(a.token, erc20BalanceSlot(s.address), i < HOT_HOLDERS ? f.hotToken : f.token)
    for (const pool of a.pools) {
      alloc.store(pool, pairBalanceSlot(s.address, 0), f.pool)
      alloc.store(pool, pairBalanceSlot(s.address, 1), f.pool)
    }
  }
  for (const s of authorities) alloc.fund(s.address, f.authority)
  for (const pool of a.pools) {
    alloc.contract(pool, pairRuntime())
    alloc.store(pool, pairReserveSlot(0), rng.bigint(10_000n, 20_000n) * TOKEN)
    alloc.store(pool, pairReserveSlot(1), rng.bigint(10_000n, 20_000n) * TOKEN)
  }
  alloc.contract(a.counter, counterRuntime())
  alloc.store(a.counter, slotKey(0n), 1n)
  alloc.contract(a.createFactory, createFactoryRuntime())
  alloc.contract(a.create2Factory, create2FactoryRuntime())
  alloc.contract(a.selfdestructor, selfdestructToCallerRuntime(), ETH)
  alloc.contract(a.coinbaseReader, coinbaseReaderRuntime())
  alloc.contract(a.blockhashReader, blockhashReaderRuntime())
  alloc.contract(a.precompileCaller, precompileCallerRuntime())
  alloc.contract(a.reverter, reverterRuntime())
  alloc.contract(a.burner, burnerRuntime())
  // CREATE2 targets already taken: a contract, and an account with storage only (EIP-7610)
  alloc.contract(new Address(create2Address(a.create2Factory, SALT_OCCUPIED, counterInit())), counterRuntime())
  alloc.account(new Address(create2Address(a.create2Factory, SALT_STORAGE_ONLY, counterInit())), { storage: new Map([[slotKey(0n), 1n]]) })
  // the create factory's first CREATE (nonce 1) lands on an address that already holds ether (no collision)
  alloc.fund(new Address(generateAddress(a.createFactory.bytes, bigIntToBytes(1n))), 3n)
  return { alloc: alloc.alloc, senders, authorities, a, coinbase }
}

function newMix(seed: number, rng: Rng, common: Common, w: World, chain?: ChainMemory): Mix {
  const { senders, authorities, a, coinbase } = w
  return { rng, common, senders, authorities, delegated: authorities.map(() => false), coinbase, a, txs: [], kinds: [], salt: BigInt(seed) << 32n, ...(chain !== undefined ? { chain } : {}) }
}

/** Appends about `target` transactions; with target ≥ kinds.length every kind comes at least once. */
function fill(m: Mix, target: number, kinds: readonly MixKind[]): void {
  const order: MixKind[] = target >= kinds.length ? m.rng.shuffle([...kinds]) : []
  while (m.txs.length < target) action(m, order.shift() ?? m.rng.pick(kinds))
}

/** A seeded random block of mixed transactions (see MIX_KINDS) with the genesis it runs on. */
export function randomBlockMix(seed: number, opts: RandomMixOptions = {}): MixBlock {
  const rng = new Rng(seed, 'mix')
  const common = opts.common ?? benchCommon()
  const target = opts.txs ?? rng.int(5, 40)
  const w = mixWorld(seed, rng, BLOCK_FUNDING)
  const m = newMix(seed, rng, common, w)
  fill(m, target, opts.kinds ?? MIX_KINDS)
  return { seed, alloc: w.alloc, txs: m.txs, kinds: m.kinds, coinbase: w.coinbase, addresses: w.a }
}

/** One block of a MixChain: its transactions (in order) and the fee recipient to build it with. */
export interface MixChainBlock {
  txs: TypedTransaction[]
  kinds: MixKind[]
  coinbase: Address
}

/**
 * The random mix as a chain: one genesis (`alloc`), then `next()` hands out block after block, each
 * valid on the state the blocks before it left, provided every one of them was included whole and
 * in order (nonces carry over). Besides randomBlockMix's mix, later blocks call contracts earlier
 * ones deployed, re-use earlier CREATE2 salts (collisions across blocks), send from authorities
 * delegated blocks ago, and change fee recipient (the genesis one, a sender, an authority, the
 * coinbase-reading contract, a fresh address). Senders never spend beyond their genesis balance.
 */
export class MixChain {
  readonly seed: number
  readonly common: Common
  readonly alloc: Alloc
  readonly addresses: MixAddresses
  /** Blocks handed out so far. */
  blocks = 0
  private readonly w: World
  private readonly m: Mix

  constructor(seed: number, opts: { common?: Common } = {}) {
    this.seed = seed
    this.common = opts.common ?? benchCommon()
    const rng = new Rng(seed, 'mix-chain')
    this.w = mixWorld(seed, rng, CHAIN_FUNDING)
    this.alloc = this.w.alloc
    this.addresses = this.w.a
    const budget = new Map<Signer, bigint>()
    for (const s of this.w.senders) budget.set(s, CHAIN_FUNDING.sender)
    for (const s of this.w.authorities) budget.set(s, CHAIN_FUNDING.authority)
    this.m = newMix(seed, rng, this.common, this.w, { deployed: [], salts: [], budget })
  }

  /** The next block: about `txs` transactions (0 gives an empty block) drawn from `kinds` (default all). */
  next(opts: { txs: number; kinds?: readonly MixKind[] }): MixChainBlock {
    const { m, w } = this
    this.blocks++
    const r = m.rng.int(0, 9)
    m.coinbase =
      r < 4 ? w.coinbase
      : r < 6 ? m.rng.pick(w.senders).address
      : r < 7 ? m.rng.pick(w.authorities).address
      : r < 8 ? w.a.coinbaseReader
      : deriveAddress(this.seed, 'mix-coinbase', this.blocks)
    m.txs = []
    m.kinds = []
    fill(m, opts.txs, opts.kinds ?? MIX_KINDS)
    return { txs: m.txs, kinds: m.kinds, coinbase: m.coinbase }
  }
}
