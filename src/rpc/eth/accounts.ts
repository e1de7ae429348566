// Account state reads at a block: eth_getBalance, eth_getCode, eth_getStorageAt, eth_getStorageValues,
// eth_getTransactionCount, eth_getProof (EIP-1186), eth_accounts.
import { createMerkleProof } from '@ethereumjs/mpt'
import { Address, bytesToBigInt, bytesToHex, equalsBytes, hexToBytes, KECCAK256_RLP, setLengthLeft } from '@ethereumjs/util'
import { Overlay } from '../../db/overlay.ts'
import { openTrie } from '../../exec/state.ts'
import { InvalidParamsError } from '../errors.ts'
import { ClientLimitError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import type { JsonObject } from './format.ts'
import { addressJSON, arg, blockNumberOrHashJSON, checkArity, DecodeError, hashJSON, jsonKind, LATEST, optArg, toData, toQuantity, type BlockNumberOrHash } from './params.ts'

const MAX_PROOF_KEYS = 1024
const MAX_STORAGE_SLOTS = 1024

/** geth's decodeStorageKey: lenient hex (0x optional, odd length padded), at most 32 bytes. */
function decodeStorageKey(s: string): { key: Uint8Array; length: number } {
  let raw = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  if (raw.length % 2 === 1) raw = `0${raw}`
  if (raw.length > 64) throw new InvalidParamsError(`storage key too long (want at most 32 bytes): ${JSON.stringify(s)}`)
  if (!/^[0-9a-fA-F]*$/.test(raw)) throw new InvalidParamsError(`invalid hex in storage key: ${JSON.stringify(s)}`)
  const bytes = hexToBytes(`0x${raw}`)
  return { key: setLengthLeft(bytes, 32), length: bytes.length }
}

const stringJSON = (v: unknown): string => {
  if (typeof v !== 'string') throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`)
  return v
}

function stringListJSON(v: unknown): string[] {
  if (v === null) return []
  if (!Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type []string`)
  return v.map((x) => {
    if (typeof x !== 'string') throw new DecodeError(`json: cannot unmarshal ${jsonKind(x)} into Go value of type string`)
    return x
  })
}

function storageRequestsJSON(v: unknown): Map<string, Uint8Array[]> {
  if (v === null) return new Map()
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type map[common.Address][]common.Hash`)
  }
  const out = new Map<string, Uint8Array[]>()
  for (const [k, slots] of Object.entries(v as Record<string, unknown>)) {
    let address: Uint8Array
    try {
      address = addressJSON(k)
    } catch (err) {
      throw new DecodeError((err as Error).message)
    }
    if (slots !== null && !Array.isArray(slots)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(slots)} into Go value of type []common.Hash`)
    out.set(bytesToHex(address), ((slots as unknown[] | null) ?? []).map((s) => hashJSON(s)))
  }
  return out
}

export function accountMethods(env: EthEnv): Methods {
  const { reader } = env
  const block = (params: unknown[], i: number): BlockNumberOrHash => optArg(params, i, blockNumberOrHashJSON) ?? LATEST

  return {
    eth_accounts: (params) => {
      checkArity(params, 0, 0)
      return []
    },
    eth_getBalance: async (params) => {
      checkArity(params, 1, 2)
      const address = new Address(arg(params, 0, addressJSON))
      const { state } = await reader.state(block(params, 1))
      const account = await state.getAccount(address)
      return toQuantity(account?.balance ?? 0n)
    },
    eth_getCode: async (params) => {
      checkArity(params, 1, 2)
      const address = new Address(arg(params, 0, addressJSON))
      const { state } = await reader.state(block(params, 1))
      return toData(await state.getCode(address))
    },
    eth_getStorageAt: async (params) => {
      checkArity(params, 2, 3)
      const address = new Address(arg(params, 0, addressJSON))
      const hexKey = arg(params, 1, stringJSON)
      const { state } = await reader.state(block(params, 2))
      const { key } = decodeStorageKey(hexKey)
      return toData(setLengthLeft(await state.getStorage(address, key), 32))
    },
    eth_getStorageValues: async (params) => {
      checkArity(params, 1, 2)
      const requests = arg(params, 0, storageRequestsJSON)
      let total = 0
      for (const slots of requests.values()) {
        total += slots.length
        if (total > MAX_STORAGE_SLOTS) throw new ClientLimitError(`too many slots (max ${MAX_STORAGE_SLOTS})`)
      }
      if (total === 0) throw new InvalidParamsError('empty request')
      const { state } = await reader.state(block(params, 1))
      const out: JsonObject = {}
      for (const [address, slots] of requests) {
        const a = new Address(hexToBytes(address as `0x${string}`))
        const values: string[] = []
        for (const slot of slots) values.push(toData(setLengthLeft(await state.getStorage(a, slot), 32)))
        out[address] = values
      }
      return out
    },
    eth_getTransactionCount: async (params) => {
      checkArity(params, 1, 2)
      const address = new Address(arg(params, 0, addressJSON))
      const b = block(params, 1)
      if (b.number === 'pending') return toQuantity(await poolNonce(env, address))
      const { state } = await reader.state(b)
      const account = await state.getAccount(address)
      return toQuantity(account?.nonce ?? 0n)
    },
    eth_getProof: async (params) => {
      checkArity(params, 2, 3)
      const address = new Address(arg(params, 0, addressJSON))
      const rawKeys = arg(params, 1, stringListJSON)
      if (rawKeys.length > MAX_PROOF_KEYS) throw new InvalidParamsError(`too many storage keys requested (max ${MAX_PROOF_KEYS}, got ${rawKeys.length})`)
      const keys = rawKeys.map(decodeStorageKey)
      const { header, state } = await reader.state(block(params, 2))
      const account = await state.getAccount(address)
      const storageRoot = account?.storageRoot ?? new Uint8Array(32)
      const codeHash = account?.codeHash ?? new Uint8Array(32)
      const kv = env.ctx.chain.store.kv
      const storageProof: JsonObject[] = []
      const hasStorage = account !== undefined && !equalsBytes(storageRoot, KECCAK256_RLP)
      const storageTrie = hasStorage ? openTrie(new Overlay(kv), storageRoot) : undefined
      for (const { key, length } of keys) {
        const outKey = length !== 32 ? toQuantity(bytesToBigInt(key)) : toData(key)
        if (storageTrie === undefined) {
          storageProof.push({ key: outKey, value: '0x0', proof: [] })
          continue
        }
        const proof = (await createMerkleProof(storageTrie, key)).map((n) => toData(n))
        const value = bytesToBigInt(await state.getStorage(address, key))
        storageProof.push({ key: outKey, value: toQuantity(value), proof })
      }
      const accountTrie = openTrie(new Overlay(kv), header.stateRoot)
      const accountProof = (await createMerkleProof(accountTrie, address.bytes)).map((n) => toData(n))
      return {
        address: address.toString(),
        accountProof,
        balance: toQuantity(account?.balance ?? 0n),
        codeHash: toData(account === undefined ? new Uint8Array(32) : codeHash),
        nonce: toQuantity(account?.nonce ?? 0n),
        storageHash: toData(account === undefined ? new Uint8Array(32) : storageRoot),
        storageProof,
      }
    },
  }
}

/**
 * The next nonce of `address` counting its executable pool transactions (geth's GetPoolNonce).
 * The state nonce and the pool are read at one head: when a block is imported while the state is
 * read, the pool may already have dropped the block's transactions while the state is the old
 * head's (a nonce too low for eth_sendTransaction), so the read is repeated for the new head.
 */
export async function poolNonce(env: EthEnv, address: Address): Promise<bigint> {
  for (let tries = 0; ; tries++) {
    const head = env.reader.head
    const state = await env.reader.stateAt(head)
    let nonce = (await state.getAccount(address))?.nonce ?? 0n
    const pool = env.ctx.txpool
    if (pool === undefined) return nonce
    if (!equalsBytes(env.reader.head.hash(), head.hash()) && tries < 5) continue
    // Every executable transaction, whatever its fee cap: one below the next base fee waits in the
    // pool but holds its nonce (geth's GetPoolNonce counts it too).
    const mine = pool
      .pending(0n)
      .filter((tx) => tx.getSenderAddress().equals(address))
      .map((tx) => tx.nonce)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (const n of mine) if (n === nonce) nonce++
    return nonce
  }
}

