// A consensus-driven node that receives a newPayload whose ancestors only a peer has: SYNCING, it
// fetches them over p2p, and the next payload is VALID (issue 5's Engine API path).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../config/index.ts'
import { Chain } from '../../src/chain/chain.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { startNode, type RunningNode } from '../../src/node/node.ts'
import { RpcClient } from '../helpers/rpc-client.ts'
import { EngineDriver, devGenesisJson, type HeadRef } from '../helpers/engine-harness.ts'

const silent = pino({ level: 'silent' })

async function node(dir: string, bootnodes: string[]): Promise<{ n: RunningNode; engine: EngineDriver; genesis: HeadRef }> {
  const json = devGenesisJson()
  const spec = parseGenesis(json)
  const common = commonFromGenesis(spec, parallaxCryptoWithKzg())
  const kv = new MemoryKV()
  const { block } = await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  const chain = await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
  const secret = randomBytes(32)
  const n = await startNode({
    chain, common, logger: silent,
    authrpc: { addr: '127.0.0.1', port: 0, jwtSecret: secret },
    p2p: { datadir: dir, addr: '127.0.0.1', port: 0, bootnodes, maxPeers: 10, nodiscover: false, follow: false, autoSync: false },
  })
  return { n, engine: new EngineDriver(new RpcClient(n.engineServer.url, secret), common), genesis: { hash: `0x${Buffer.from(block.hash()).toString('hex')}`, number: 0n, timestamp: block.header.timestamp } }
}

t.test('SYNCING, ancestors fetched from a peer, then VALID', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-engine-p2p-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const a = await node(join(dir, 'a'), [])
  // A builds 8 blocks before B exists, so B never saw their gossip.
  const envs = await a.engine.extendMany(a.genesis, 8, `0x${'00'.repeat(20)}`)
  const b = await node(join(dir, 'b'), [a.n.p2p!.multiaddrs()[0]!])
  try {
    const deadline = Date.now() + 15_000
    while (b.n.p2p!.peerCount() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    t.equal(b.n.p2p!.peerCount(), 1, 'B is connected to A')
    t.equal(b.n.chain.head.number, 0n, 'B has only its genesis')
    const first = await b.engine.newPayload(envs[6]!)
    t.equal(first.status, 'SYNCING', 'payload 7 with unknown ancestors: SYNCING')
    let next = await b.engine.newPayload(envs[7]!)
    const until = Date.now() + 20_000
    while (next.status !== 'VALID' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200))
      next = await b.engine.newPayload(envs[7]!)
    }
    t.equal(next.status, 'VALID', 'payload 8 VALID once the ancestors arrived from A')
    const fcu = await b.engine.forkchoice(envs[7]!.payload.blockHash, null, 3)
    t.equal(fcu.payloadStatus.status, 'VALID')
    t.equal(b.n.chain.head.number, 8n, 'B follows the consensus client to block 8')
  } finally {
    await b.n.close()
    await a.n.close()
  }
})
