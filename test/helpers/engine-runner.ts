// Replays one execution-spec-tests `blockchain_test_engine` case against a node's Engine API over
// HTTP with a JWT: fcU to genesis, every newPayload (expecting errorCode / INVALID / VALID), fcU to
// each valid payload, then the head must be `lastblockhash` and eth_* state must equal `postState`.
import type { RpcClient } from './rpc-client.ts'

export interface EngineTestCase {
  network: string
  genesisBlockHeader: { hash: string } & Record<string, unknown>
  pre: Record<string, unknown>
  config?: unknown
  lastblockhash: string
  postState?: Record<string, { balance: string; nonce: string; code: string; storage: Record<string, string> }>
  engineNewPayloads: { params: unknown[]; newPayloadVersion: string; forkchoiceUpdatedVersion: string; validationError?: string; errorCode?: string }[]
}

export interface EngineCaseResult {
  pass: boolean
  detail: string
}

const q = (n: bigint): string => `0x${n.toString(16)}`

export async function runEngineCase(tc: EngineTestCase, rpc: RpcClient): Promise<EngineCaseResult> {
  const genesis = tc.genesisBlockHeader.hash
  const first = tc.engineNewPayloads[0]
  const fcuV = first?.forkchoiceUpdatedVersion ?? '1'
  const fc = (head: string) => ({ headBlockHash: head, safeBlockHash: genesis, finalizedBlockHash: genesis })
  const g = (await rpc.raw(`engine_forkchoiceUpdatedV${fcuV}`, [fc(genesis), null])) as { result?: { payloadStatus: { status: string } } }
  if (g.result?.payloadStatus.status !== 'VALID') return { pass: false, detail: `fcU(genesis): ${JSON.stringify(g)}` }
  for (const [i, p] of tc.engineNewPayloads.entries()) {
    const reply = await rpc.raw(`engine_newPayloadV${p.newPayloadVersion}`, p.params)
    if (p.errorCode !== undefined) {
      if (reply.error?.code !== Number(p.errorCode)) return { pass: false, detail: `payload ${i}: expected error ${p.errorCode}, got ${JSON.stringify(reply).slice(0, 300)}` }
      continue
    }
    if (reply.error !== undefined) return { pass: false, detail: `payload ${i}: unexpected error ${JSON.stringify(reply.error)}` }
    const status = (reply.result as { status: string; validationError: string | null }).status
    if (p.validationError !== undefined) {
      if (status !== 'INVALID') return { pass: false, detail: `payload ${i}: expected INVALID (${p.validationError}), got ${status}` }
      continue
    }
    if (status !== 'VALID') return { pass: false, detail: `payload ${i}: expected VALID, got ${JSON.stringify(reply.result)}` }
    const hash = (p.params[0] as { blockHash: string }).blockHash
    const f = await rpc.raw(`engine_forkchoiceUpdatedV${p.forkchoiceUpdatedVersion}`, [fc(hash), null])
    const fs = (f.result as { payloadStatus?: { status: string } } | undefined)?.payloadStatus?.status
    if (fs !== 'VALID') return { pass: false, detail: `payload ${i}: fcU to it gave ${JSON.stringify(f).slice(0, 300)}` }
  }
  const latest = (await rpc.call('eth_getBlockByNumber', ['latest', false])) as { hash: string }
  if (latest.hash !== tc.lastblockhash) return { pass: false, detail: `latest ${latest.hash} != lastblockhash ${tc.lastblockhash}` }
  for (const [addr, acc] of Object.entries(tc.postState ?? {})) {
    const [bal, nonce, code] = await Promise.all([
      rpc.call('eth_getBalance', [addr, 'latest']),
      rpc.call('eth_getTransactionCount', [addr, 'latest']),
      rpc.call('eth_getCode', [addr, 'latest']),
    ])
    if (BigInt(bal as string) !== BigInt(acc.balance)) return { pass: false, detail: `${addr} balance ${bal as string} != ${acc.balance}` }
    if (BigInt(nonce as string) !== BigInt(acc.nonce)) return { pass: false, detail: `${addr} nonce ${nonce as string} != ${acc.nonce}` }
    if ((code as string).toLowerCase() !== acc.code.toLowerCase()) return { pass: false, detail: `${addr} code differs` }
    for (const [slot, value] of Object.entries(acc.storage)) {
      const got = (await rpc.call('eth_getStorageAt', [addr, q(BigInt(slot)), 'latest'])) as string
      if (BigInt(got) !== BigInt(value)) return { pass: false, detail: `${addr} slot ${slot}: ${got} != ${value}` }
    }
  }
  return { pass: true, detail: 'ok' }
}
