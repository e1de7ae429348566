// Seeded, time-bounded fuzzing of a real `parallax node`: hostile JSON-RPC bodies to both ports (HTTP
// and authrpc with a valid JWT) and mutants of honest engine_newPayload calls. Every answer must be
// well-formed JSON-RPC (or a proper HTTP refusal), the process must stay up, mutants must leave the
// head alone, no mutant may be VALID unless it is the honest block byte for byte, and the honest
// payload of every round must still be VALID afterwards.
// CI: ~15 s with a random seed (printed). Long runs: `npm run fuzz -- --seconds 600 --seed 42`.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { bytesToHex } from '@ethereumjs/util'
import { versionsAt } from '../../src/node/engine-client.ts'
import { startFundedNode } from '../helpers/funded-node.ts'
import type { RpcClient } from '../helpers/rpc-client.ts'
import { Spammer } from '../helpers/spammer.ts'
import { Rng } from '../helpers/workloads/keys.ts'
import { mutateNewPayload, sameBlock, type NewPayloadParams } from '../fuzz/payload-mutants.ts'
import { randomBody } from '../fuzz/rpc-bodies.ts'
import { replyProblem } from '../fuzz/well-formed.ts'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const SECONDS = Number(flag('seconds') ?? process.env['PARALLAX_FUZZ_SECONDS'] ?? 15)
const SEED = Number(flag('seed') ?? process.env['PARALLAX_FUZZ_SEED'] ?? randomBytes(4).readUInt32BE())
/** Requests between two honest payloads. */
const PER_ROUND = 60

// Run directly (npm run fuzz) tap's default 30 s limit would apply: leave room for start and stop.
t.setTimeout((SECONDS + 120) * 1000)

interface Finding {
  what: string
  body: string
  answer: string
}

t.test(`fuzz for ${SECONDS} s, seed ${SEED}`, async (t) => {
  t.comment(`fuzz seed ${SEED} (rerun: npm run fuzz -- --seconds ${SECONDS} --seed ${SEED})`)
  const rng = new Rng(SEED, 'fuzz')
  const f = await startFundedNode({ keys: 4, gasLimit: 30_000_000n, http: true })
  const engine = f.node.engine
  const http = f.node.http!
  const findings: Finding[] = []
  const counts = { bodies: 0, mutants: 0, validIdentical: 0, rounds: 0, honestValid: 0 }
  const note = (what: string, body: string, answer: string): void => {
    findings.push({ what, body: body.slice(0, 600), answer: answer.slice(0, 600) })
  }
  const send = async (client: RpcClient, body: string): Promise<{ status: number; text: string } | undefined> => {
    try {
      return await client.post(body)
    } catch (err) {
      note(`no HTTP answer (${(err as Error).message})`, body, '')
      return undefined
    }
  }
  try {
    const spammer = new Spammer(http, f.common, f.signers, 4000)
    const deadline = Date.now() + SECONDS * 1000
    while (Date.now() < deadline && f.node.child.exitCode === null && findings.length < 20) {
      await spammer.send(rng.int(0, 12), 12)
      const head = (await engine.call('eth_getBlockByNumber', ['latest', false])) as { hash: string; number: string; timestamp: string }
      const timestamp = BigInt(head.timestamp) + 12n
      const v = versionsAt(f.common, BigInt(head.number) + 1n, timestamp)
      const beaconRoot = bytesToHex(randomBytes(32))
      const state = { headBlockHash: head.hash, safeBlockHash: head.hash, finalizedBlockHash: head.hash }
      const attrs = { timestamp: `0x${timestamp.toString(16)}`, prevRandao: bytesToHex(randomBytes(32)), suggestedFeeRecipient: `0x${'fe'.repeat(20)}`, withdrawals: [], parentBeaconBlockRoot: beaconRoot }
      const fcu = (await engine.call(`engine_forkchoiceUpdatedV${v.forkchoiceUpdated}`, [state, attrs])) as { payloadId: string }
      const built = (await engine.call(`engine_getPayloadV${v.getPayload}`, [fcu.payloadId])) as { executionPayload: NewPayloadParams[number]; executionRequests?: string[] }
      const honest: NewPayloadParams = [built.executionPayload, [], beaconRoot, built.executionRequests ?? []]
      const newPayload = `engine_newPayloadV${v.newPayload}`

      for (let k = 0; k < PER_ROUND; k++) {
        if (rng.chance(0.4)) {
          const mutant = mutateNewPayload(rng, honest)
          const body = JSON.stringify({ jsonrpc: '2.0', id: k, method: newPayload, params: mutant })
          counts.mutants++
          const res = await send(engine, body)
          if (res === undefined) continue
          const problem = replyProblem(res.status, res.text, body)
          if (problem !== undefined) note(`malformed answer to a mutant: ${problem}`, body, res.text)
          else if (res.status === 200) {
            const status = (JSON.parse(res.text) as { result?: { status?: string } }).result?.status
            if (status === 'VALID') {
              if (sameBlock(mutant, honest)) counts.validIdentical++
              else note('a mutated payload was VALID', body, res.text)
            }
          }
        } else {
          const toEngine = rng.chance(0.5)
          const body = randomBody(rng, toEngine ? 'engine' : 'eth')
          counts.bodies++
          const res = await send(toEngine ? engine : http, body)
          if (res === undefined) continue
          const problem = replyProblem(res.status, res.text, body)
          if (problem !== undefined) note(`malformed answer on ${toEngine ? 'authrpc' : 'http'}: ${problem}`, body, res.text)
        }
      }
      if (f.node.child.exitCode !== null) break
      const after = (await engine.call('eth_getBlockByNumber', ['latest', false])) as { hash: string }
      if (after.hash !== head.hash) note('the head moved during the mutants', '', `${head.hash} -> ${after.hash}`)
      const st = (await engine.call(newPayload, honest)) as { status: string }
      const moved = (await engine.call(`engine_forkchoiceUpdatedV${v.forkchoiceUpdated}`, [{ ...state, headBlockHash: (honest[0] as { blockHash: string }).blockHash }, null])) as { payloadStatus: { status: string } }
      if (st.status === 'VALID' && moved.payloadStatus.status === 'VALID') counts.honestValid++
      else note('the honest payload was not VALID after the mutants', JSON.stringify(honest).slice(0, 300), `${JSON.stringify(st)} ${JSON.stringify(moved)}`)
      counts.rounds++
    }
    t.comment(`${counts.rounds} rounds, ${counts.bodies} hostile bodies, ${counts.mutants} payload mutants (${counts.validIdentical} VALID ones describing the honest block)`)
    t.equal(f.node.child.exitCode, null, 'the node is still running')
    t.ok(counts.rounds > 0 && counts.bodies > 0 && counts.mutants > 0, 'fuzzed something')
    t.equal(counts.honestValid, counts.rounds, 'every honest payload VALID after its mutants')
    t.same(findings, [], `no findings (seed ${SEED})`)
    t.equal(await engine.call('eth_blockNumber', []), `0x${counts.rounds.toString(16)}`, 'one block per round, nothing else')
  } catch (err) {
    t.fail(`fuzz run failed (seed ${SEED}): ${(err as Error).message}`, { nodeLog: f.node.logs().slice(-3000) })
  } finally {
    const { code } = await f.stop()
    t.equal(code, 0, 'clean shutdown')
  }
})
