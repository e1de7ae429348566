// The worker thread of pair.ts: opens the bench block's LevelDB (opened with multithreading by the
// main thread), decodes the block as the bench does (chain/decode.ts), and runs the fast sequential executor on it
// whenever told, reporting each run's wall time. Nothing is committed: both threads read the same
// parent state.
import { parentPort, workerData } from 'node:worker_threads'
import { createBlockHeaderFromRLP, type BlockHeader } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { LevelKV } from '../../src/db/level.ts'
import { decodeBlock } from '../../src/chain/decode.ts'
import { SequentialExecutor, type ExecuteRequest } from '../../src/exec/sequential.ts'
import { benchCommon } from '../helpers/workloads/genesis.ts'

export interface PairWorkerData {
  location: string
  rlp: Uint8Array
  parentRlp: Uint8Array
  amsterdam: boolean
  blockAccessList?: Uint8Array
}

/** From the main thread: run once (reply with the time), or close. */
export type PairCommand = { run: number } | { close: true }
export type PairReply = { run: number; ms: number } | { ready: true } | { error: string }

const data = workerData as PairWorkerData
const kv = await LevelKV.open(data.location, { multithreading: true })
const common = benchCommon({ amsterdam: data.amsterdam })
const parent = createBlockHeaderFromRLP(data.parentRlp, { common, setHardfork: true })
const headerByHash = async (h: Uint8Array): Promise<BlockHeader | undefined> => (bytesToHex(h) === bytesToHex(parent.hash()) ? parent : undefined)
const request = (): ExecuteRequest => ({
  block: decodeBlock(data.rlp, common),
  parent,
  base: kv,
  headerByHash,
  common,
  ...(data.blockAccessList !== undefined ? { blockAccessList: data.blockAccessList } : {}),
})
const seq = new SequentialExecutor()
const port = parentPort!
port.on('message', (cmd: PairCommand) => {
  if ('close' in cmd) {
    void kv.close().then(() => port.close())
    return
  }
  const req = request()
  const t = performance.now()
  seq.execute(req).then(
    () => port.postMessage({ run: cmd.run, ms: performance.now() - t } satisfies PairReply),
    (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies PairReply),
  )
})
port.postMessage({ ready: true } satisfies PairReply)
