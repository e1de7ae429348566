// Receipt storage codec: per block, an RLP list of [type, statusOrRoot, cumulativeGasUsed, logs].
// The bloom is recomputed on read (it is derivable and costs 256 bytes per receipt to store).
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToInt, intToBytes } from '@ethereumjs/util'

export type LogTuple = [address: Uint8Array, topics: Uint8Array[], data: Uint8Array]

export interface StoredReceipt {
  txType: number
  /** 1 success, 0 failure (Byzantium+); undefined before Byzantium, where `stateRoot` is set. */
  status?: 0 | 1
  stateRoot?: Uint8Array
  cumulativeGasUsed: bigint
  logs: LogTuple[]
}

export function encodeReceipts(receipts: StoredReceipt[]): Uint8Array {
  return RLP.encode(
    receipts.map((r) => [
      intToBytes(r.txType),
      r.stateRoot ?? (r.status === 1 ? Uint8Array.of(1) : new Uint8Array()),
      bigIntToUnpaddedBytes(r.cumulativeGasUsed),
      r.logs,
    ]),
  )
}

export function decodeReceipts(bytes: Uint8Array): StoredReceipt[] {
  const list = RLP.decode(bytes) as unknown as [Uint8Array, Uint8Array, Uint8Array, LogTuple[]][]
  return list.map(([type, sr, cum, logs]) => {
    const r: StoredReceipt = {
      txType: type.length === 0 ? 0 : bytesToInt(type),
      cumulativeGasUsed: bytesToBigInt(cum),
      logs,
    }
    if (sr.length === 32) r.stateRoot = sr
    else r.status = sr.length === 0 ? 0 : 1
    return r
  })
}
