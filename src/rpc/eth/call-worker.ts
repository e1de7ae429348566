// A call worker (worker_threads): runs eth_call / eth_estimateGas / eth_createAccessList jobs (and
// parallax_blockParallelism's re-executions), one at
// a time, over the chain's LevelDB opened in this thread too (classic-level multithreading) and read
// with synchronous gets, so RPC EVM work never runs on the thread that serves the Engine API.
import { parentPort } from 'node:worker_threads'
import { createBlockHeaderFromRLP, type BlockHeader } from '@ethereumjs/block'
import { Common, type ChainConfig, type ParamsDict } from '@ethereumjs/common'
import { ChainStore } from '../../db/chain-store.ts'
import { viaGetSync } from '../../db/interface.ts'
import { key, Prefix } from '../../db/keys.ts'
import { LevelKV } from '../../db/level.ts'
import { parallaxCryptoWithKzg } from '../../exec/crypto.ts'
import { runCallJob, type CallBackend, type CallJobResult, type RpcJob } from './call-job.ts'
import { toWireError, type WireError } from './call-runner.ts'
import { stateAfter } from './resolve.ts'

/** What a worker needs to rebuild the chain's Common. */
export interface CommonData {
  chain: ChainConfig
  params: ParamsDict
  eips: number[]
}

export type CallWorkerRequest = { type: 'init'; kvPath: string; common: CommonData } | { type: 'job'; id: number; job: RpcJob }

export type CallWorkerReply =
  | { id: number; ok: true; result: CallJobResult }
  | { id: number; ok: false; error: WireError }

/** The id of the reply to `init`. */
export const READY_ID = -1

async function openBackend(kvPath: string, data: CommonData): Promise<CallBackend> {
  const common = new Common({ chain: data.chain, params: data.params, eips: data.eips, customCrypto: parallaxCryptoWithKzg() })
  const kv = await LevelKV.open(kvPath, { multithreading: true })
  const reader = viaGetSync(kv)
  const headers = new Map<string, BlockHeader>()
  const store = new ChainStore(kv, common)
  return {
    blocks: { blockByHash: (hash) => store.getBlock(hash), base: kv },
    common,
    async headerByHash(hash) {
      const k = Buffer.from(hash).toString('hex')
      const hit = headers.get(k)
      if (hit !== undefined) return hit
      const raw = kv.getSync(key(Prefix.Header, hash))
      if (raw === undefined) return undefined
      const header = createBlockHeaderFromRLP(raw, { common, setHardfork: true, skipConsensusFormatValidation: true })
      if (headers.size >= 1024) headers.clear()
      headers.set(k, header)
      return header
    },
    stateAt: (header) => stateAfter(reader, header),
    kv: reader,
  }
}

let backend: Promise<CallBackend> | undefined
const post = (r: CallWorkerReply): void => parentPort!.postMessage(r)

parentPort?.on('message', (msg: CallWorkerRequest) => {
  if (msg.type === 'init') {
    backend = openBackend(msg.kvPath, msg.common)
    backend.then(
      () => post({ id: READY_ID, ok: true, result: '0x' }),
      (err: unknown) => post({ id: READY_ID, ok: false, error: toWireError(err) }),
    )
    return
  }
  const { id, job } = msg
  if (backend === undefined) return post({ id, ok: false, error: { kind: 'internal', message: 'call worker not initialised' } })
  backend
    .then((b) => runCallJob(b, job))
    .then(
      (result) => post({ id, ok: true, result }),
      (err: unknown) => post({ id, ok: false, error: toWireError(err) }),
    )
})
