// eth_getLogs: geth's FilterCriteria (blockHash, or fromBlock/toBlock; address: one or a list; topics:
// per position null = any, a hash, or a list of alternatives), its errors, and limits on the work: a
// block range limit and a result count limit (reth's defaults and result-limit message). Blocks are
// skipped by their header bloom before receipts are read; the scan yields to the event loop every
// YIELD_EVERY blocks, so a long query never holds the thread that serves other calls.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { BlockHeader } from '@ethereumjs/block'
import { equalsBytes, hexToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { LogTuple } from '../../db/receipts.ts'
import { InvalidParamsError } from '../errors.ts'
import { ServerError } from './errors.ts'
import type { EthEnv, Methods } from './env.ts'
import { formatLog, type JsonObject } from './format.ts'
import { receiptsOf } from './transactions.ts'
import { arg, blockNumberJSON, checkArity, DecodeError, hashJSON, HexErr, jsonKind, type BlockNumber } from './params.ts'

const MAX_TOPICS = 4
const MAX_SUB_TOPICS = 1000
const YIELD_EVERY = 8n

/** More logs matched than --rpc.max-logs-per-response: reth's message, with the range that fits. */
export class LogResultLimitError extends InvalidParamsError {
  constructor(limit: number, from: bigint, to: bigint) {
    super(`query exceeds max results ${limit}, retry with the range ${from}-${to}`)
  }
}

export interface LogFilter {
  blockHash?: Uint8Array
  fromBlock?: BlockNumber
  toBlock?: BlockNumber
  addresses: Uint8Array[]
  /** Per position: empty = wildcard, else any of the hashes. */
  topics: Uint8Array[][]
}

/** hexutil.Decode of a plain string (not JSON): geth's decodeAddress / decodeTopic. */
function decodeHexText(s: string): Uint8Array {
  if (s.length === 0) throw new DecodeError(HexErr.EmptyString)
  if (!(s.startsWith('0x') || s.startsWith('0X'))) throw new DecodeError(HexErr.MissingPrefix)
  const raw = s.slice(2)
  if (raw.length % 2 !== 0) throw new DecodeError(HexErr.OddLength)
  if (!/^[0-9a-fA-F]*$/.test(raw)) throw new DecodeError(HexErr.Syntax)
  return hexToBytes(`0x${raw}`)
}

function decodeFixed(s: string, size: number, what: string): Uint8Array {
  const b = decodeHexText(s)
  if (b.length !== size) throw new DecodeError(`hex has invalid length ${b.length} after decoding; expected ${size} for ${what}`)
  return b
}

/** geth's FilterCriteria.UnmarshalJSON. */
export function filterJSON(v: unknown): LogFilter {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go value of type filters.input`)
  }
  const o = v as Record<string, unknown>
  const present = (k: string): boolean => o[k] !== undefined && o[k] !== null
  const blockHash = present('blockHash') ? hashJSON(o['blockHash'], { struct: 'input', field: 'blockHash' }) : undefined
  const fromBlock = present('fromBlock') ? blockNumberJSON(o['fromBlock']) : undefined
  const toBlock = present('toBlock') ? blockNumberJSON(o['toBlock']) : undefined
  if (present('topics') && !Array.isArray(o['topics'])) {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(o['topics'])} into Go struct field input.topics of type []interface {}`)
  }
  const f: LogFilter = { addresses: [], topics: [] }
  if (blockHash !== undefined) {
    if (fromBlock !== undefined || toBlock !== undefined) {
      throw new DecodeError('cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other')
    }
    f.blockHash = blockHash
  } else {
    if (fromBlock !== undefined) f.fromBlock = fromBlock
    if (toBlock !== undefined) f.toBlock = toBlock
  }
  const addr = o['address']
  if (addr !== undefined && addr !== null) {
    if (Array.isArray(addr)) {
      addr.forEach((a, i) => {
        if (typeof a !== 'string') throw new DecodeError(`non-string address at index ${i}`)
        try {
          f.addresses.push(decodeFixed(a, 20, 'address'))
        } catch (err) {
          throw new DecodeError(`invalid address at index ${i}: ${(err as Error).message}`)
        }
      })
    } else if (typeof addr === 'string') {
      try {
        f.addresses.push(decodeFixed(addr, 20, 'address'))
      } catch (err) {
        throw new DecodeError(`invalid address: ${(err as Error).message}`)
      }
    } else {
      throw new DecodeError('invalid addresses in query')
    }
  }
  const topics = (o['topics'] as unknown[] | undefined | null) ?? []
  if (topics.length > MAX_TOPICS) throw new DecodeError('exceed max topics')
  for (const t of topics) {
    if (t === null) {
      f.topics.push([])
    } else if (typeof t === 'string') {
      f.topics.push([decodeFixed(t, 32, 'topic')])
    } else if (Array.isArray(t)) {
      if (t.length > MAX_SUB_TOPICS) throw new DecodeError('exceed max topics')
      let alts: Uint8Array[] = []
      for (const x of t) {
        if (x === null) {
          alts = [] // a null alternative matches everything
          break
        }
        if (typeof x !== 'string') throw new DecodeError('invalid topic(s)')
        alts.push(decodeFixed(x, 32, 'topic'))
      }
      f.topics.push(alts)
    } else {
      throw new DecodeError('invalid topic(s)')
    }
  }
  return f
}

/** Where a value sits in a 2048-bit header bloom: three [byte index, bit] pairs. */
type BloomBits = [number, number][]

function bloomBits(value: Uint8Array): BloomBits {
  const h = keccak_256(value)
  return [0, 1, 2].map((i): [number, number] => {
    const loc = ((h[2 * i]! << 8) | h[2 * i + 1]!) & 2047
    return [255 - (loc >> 3), 1 << (loc % 8)]
  })
}

/** A filter's addresses and topics as bloom bits, hashed once per query instead of once per block. */
interface BloomFilter {
  addresses: BloomBits[]
  topics: BloomBits[][]
}

const bloomFilter = (f: LogFilter): BloomFilter => ({ addresses: f.addresses.map(bloomBits), topics: f.topics.map((alts) => alts.map(bloomBits)) })
const inBloom = (bloom: Uint8Array, bits: BloomBits): boolean => bits.every(([at, bit]) => (bloom[at]! & bit) !== 0)

function bloomMatches(bloom: Uint8Array, f: BloomFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.some((a) => inBloom(bloom, a))) return false
  return f.topics.every((alts) => alts.length === 0 || alts.some((t) => inBloom(bloom, t)))
}

/** geth's filterLogs check: more filter positions than log topics never match. */
export function logMatches(log: LogTuple, f: LogFilter): boolean {
  const [address, topics] = log
  if (f.addresses.length > 0 && !f.addresses.some((a) => equalsBytes(a, address))) return false
  if (f.topics.length > topics.length) return false
  return f.topics.every((alts, i) => alts.length === 0 || alts.some((t) => equalsBytes(t, topics[i]!)))
}

async function blockLogs(env: EthEnv, header: BlockHeader, f: LogFilter, bloom: BloomFilter, out: JsonObject[]): Promise<void> {
  if (!bloomMatches(header.logsBloom, bloom)) return
  const block = await env.reader.blockByHash(header.hash())
  if (block === undefined) throw new ServerError('header found, but block body is missing')
  const receipts = await receiptsOf(env, block)
  let logIndex = 0
  receipts.forEach((r, txIndex) => {
    for (const log of r.logs) {
      if (logMatches(log, f)) {
        out.push(
          formatLog(log, {
            blockHash: block.hash(),
            blockNumber: header.number,
            blockTimestamp: header.timestamp,
            txHash: block.transactions[txIndex]!.hash(),
            txIndex,
            logIndex,
          }),
        )
      }
      logIndex++
    }
  })
}

/** geth's rpc.BlockNumber as int64, for its `begin > 0 && end > 0 && begin > end` check. */
const asInt64 = (n: BlockNumber | undefined): bigint =>
  n === undefined || n === 'latest' ? -2n : n === 'pending' ? -1n : n === 'finalized' ? -3n : n === 'safe' ? -4n : n === 'earliest' ? -5n : n

export function logMethods(env: EthEnv): Methods {
  const { reader, opts } = env
  const resolve = async (n: BlockNumber | undefined): Promise<bigint> => {
    if (n === undefined || n === 'latest') return reader.head.number
    if (n === 'safe' || n === 'finalized') {
      const h = await reader.headerByNumber(n).catch(() => undefined)
      if (h === undefined) throw new ServerError(`${n} header not found`)
      return h.number
    }
    return reader.resolveNumber(n)
  }
  return {
    eth_getLogs: async (params) => {
      checkArity(params, 1, 1)
      const f = arg(params, 0, filterJSON)
      if (opts.logsQueryLimit > 0) {
        if (f.addresses.length > opts.logsQueryLimit || f.topics.some((t) => t.length > opts.logsQueryLimit)) {
          throw new ServerError('exceed max addresses or topics per search position')
        }
      }
      const out: JsonObject[] = []
      const maxLogs = opts.logsMaxResults
      if (f.blockHash !== undefined) {
        const header = await reader.headerByHash(f.blockHash)
        if (header === undefined) throw new ServerError('unknown block')
        await blockLogs(env, header, f, bloomFilter(f), out)
        if (maxLogs > 0 && out.length > maxLogs) throw new LogResultLimitError(maxLogs, header.number, header.number)
        return out
      }
      const b = asInt64(f.fromBlock)
      const e = asInt64(f.toBlock)
      if (b > 0n && e > 0n && b > e) throw new InvalidParamsError('invalid block range params')
      if (f.fromBlock === 'pending' || f.toBlock === 'pending') throw new InvalidParamsError('pending logs are not supported')
      const begin = await resolve(f.fromBlock)
      const end = await resolve(f.toBlock)
      if (opts.logsRangeLimit > 0n && end - begin > opts.logsRangeLimit) {
        throw new InvalidParamsError(`exceed maximum block range ${opts.logsRangeLimit}`)
      }
      const head = reader.head.number
      if (begin > end) throw new InvalidParamsError('invalid block range params')
      if (end > head) throw new InvalidParamsError('block range extends beyond current head block')
      const bloom = bloomFilter(f)
      for (let n = begin; n <= end; n++) {
        if ((n - begin) % YIELD_EVERY === YIELD_EVERY - 1n) await yieldToLoop()
        const hash = await reader.canonicalHash(n)
        if (hash === undefined) continue
        const header = await reader.headerByHash(hash)
        if (header !== undefined) await blockLogs(env, header, f, bloom, out)
        if (maxLogs > 0 && out.length > maxLogs) throw new LogResultLimitError(maxLogs, begin, n > begin ? n - 1n : begin)
      }
      return out
    },
  }
}

