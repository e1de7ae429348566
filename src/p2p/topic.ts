// Gossip topic names, fork ids and message ids: pure functions, no libp2p.
//
// A topic is `/parallax/<genesis-prefix>/<fork-id>/blocks/rlp`: the first 4 bytes of the genesis hash
// and an EIP-2124-like fork id (CRC32 of the genesis hash, then of every scheduled fork activation,
// block numbers first, then timestamps, each as a big-endian uint64). Unlike EIP-2124 the whole
// schedule goes in, passed or not, so a node's topic never changes while it runs, and two nodes with
// different fork schedules never share a topic.
import type { Common } from '@ethereumjs/common'
import { sha256 } from '@noble/hashes/sha2.js'
import { crc32 } from 'node:zlib'

export const TOPIC_PREFIX = 'parallax'
/** The only gossip encoding so far: the block's RLP, uncompressed. */
export const BLOCK_TOPIC_NAME = 'blocks'
export const BLOCK_TOPIC_ENCODING = 'rlp'

export interface ForkSchedule {
  genesisHash: Uint8Array
  /** Block numbers of block-activated forks (0 and duplicates are skipped). */
  forkBlocks: readonly bigint[]
  /** Timestamps of time-activated forks (those at or before genesis are skipped). */
  forkTimes: readonly bigint[]
  genesisTimestamp: bigint
}

export interface BlockTopic {
  /** 8 lowercase hex chars: the first 4 bytes of the genesis hash. */
  genesisPrefix: string
  /** 8 lowercase hex chars. */
  forkId: string
  name: typeof BLOCK_TOPIC_NAME
  encoding: typeof BLOCK_TOPIC_ENCODING
}

const HEX8 = /^[0-9a-f]{8}$/

function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n))
  return out
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** The fork id: 8 hex chars (CRC32, big-endian), EIP-2124 style over the whole schedule. */
export function forkId(schedule: ForkSchedule): string {
  if (schedule.genesisHash.length !== 32) throw new RangeError('genesis hash must be 32 bytes')
  let crc = crc32(schedule.genesisHash)
  const blocks = [...new Set(schedule.forkBlocks.filter((b) => b > 0n))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const times = [...new Set(schedule.forkTimes.filter((t) => t > schedule.genesisTimestamp))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const n of [...blocks, ...times]) crc = crc32(u64be(n), crc)
  return (crc >>> 0).toString(16).padStart(8, '0')
}

/** The fork schedule a Common carries (its hardfork transitions). */
export function forkScheduleOf(common: Common, genesisHash: Uint8Array, genesisTimestamp: bigint): ForkSchedule {
  const forkBlocks: bigint[] = []
  const forkTimes: bigint[] = []
  for (const hf of common.hardforks()) {
    if (hf.block !== null && hf.block !== undefined) forkBlocks.push(BigInt(hf.block))
    else if (hf.timestamp !== undefined && hf.timestamp !== null) forkTimes.push(BigInt(hf.timestamp))
  }
  return { genesisHash, forkBlocks, forkTimes, genesisTimestamp }
}

export function blockTopic(genesisHash: Uint8Array, fork: string): string {
  if (genesisHash.length !== 32) throw new RangeError('genesis hash must be 32 bytes')
  if (!HEX8.test(fork)) throw new RangeError(`fork id must be 8 lowercase hex chars: ${fork}`)
  return `/${TOPIC_PREFIX}/${hex(genesisHash.subarray(0, 4))}/${fork}/${BLOCK_TOPIC_NAME}/${BLOCK_TOPIC_ENCODING}`
}

/** Parses a topic name; undefined when it is not a Parallax block topic. */
export function parseBlockTopic(topic: string): BlockTopic | undefined {
  const parts = topic.split('/')
  if (parts.length !== 6 || parts[0] !== '' || parts[1] !== TOPIC_PREFIX) return undefined
  const [, , genesisPrefix, fork, name, encoding] = parts as [string, string, string, string, string, string]
  if (!HEX8.test(genesisPrefix) || !HEX8.test(fork)) return undefined
  if (name !== BLOCK_TOPIC_NAME || encoding !== BLOCK_TOPIC_ENCODING) return undefined
  return { genesisPrefix, forkId: fork, name, encoding }
}

/** The gossip message id: the first 20 bytes of sha256(data). */
export function messageId(data: Uint8Array): Uint8Array {
  return sha256(data).subarray(0, 20)
}
