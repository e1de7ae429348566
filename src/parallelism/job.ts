// parallax_blockParallelism's EVM work as a job for the RPC call workers (src/rpc/eth/call-pool.ts):
// the block is re-executed there with recording (and, when this node ran it in parallel, once more
// untouched, for the sequential time the speedup is measured against), never on the main thread.
import type { Block } from '@ethereumjs/block'
import type { KVReader } from '../db/interface.ts'
import type { ExecuteRequest } from '../exec/sequential.ts'
import { analyseRecording, recordBlock } from './block.ts'
import type { BlockParallelismRpc } from './types.ts'

export interface ParallelismJob {
  method: 'parallax_blockParallelism'
  blockHash: Uint8Array
  /** Also time one sequential execution (only useful where the executor's record exists). */
  timeSequential: boolean
  /** List each transaction's read and write keys. */
  keys: boolean
  timeoutMs: number
  deadline: number
}

/** What a call worker's backend offers this job: blocks and the store their states live in. */
export interface BlockSource {
  common: ExecuteRequest['common']
  headerByHash: ExecuteRequest['headerByHash']
  blockByHash(hash: Uint8Array): Promise<Block | undefined>
  base: KVReader
}

export class BlockGoneError extends Error {}

/** What the worker answers: the report without the executor's facts, and the sequential time if asked for. */
export interface ParallelismResult {
  report: BlockParallelismRpc
  sequentialMs?: number
}

export async function runParallelismJob(src: BlockSource, job: ParallelismJob): Promise<ParallelismResult> {
  const block = await src.blockByHash(job.blockHash)
  const parent = block === undefined ? undefined : await src.headerByHash(block.header.parentHash)
  if (block === undefined || parent === undefined) throw new BlockGoneError('block or its parent not found')
  const req: ExecuteRequest = { block, parent, base: src.base, headerByHash: src.headerByHash, common: src.common }
  const rec = await recordBlock(req, job.timeSequential)
  // The DAG is built here too (a hot key can give a block many edges): the main thread only merges.
  const report = analyseRecording(block, rec, { keys: job.keys })
  return rec.sequentialMs !== undefined ? { report, sequentialMs: rec.sequentialMs } : { report }
}
