// Three real `parallax node` processes on 127.0.0.1: A is a dev node (its own consensus driver,
// a block per transaction) with networking on; B follows A (bootnode A); C follows B only. A makes
// 50 blocks with transactions; B and C reach A's head hash and state root. C is killed, A makes 20
// more, C restarts and catches up by range sync.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { commonFromGenesis, loadPreset } from '../../config/index.ts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { BIN, startNodeProcess, type NodeProcess } from '../helpers/node-process.ts'
import type { RpcClient } from '../helpers/rpc-client.ts'

const common = commonFromGenesis(loadPreset('dev'))
interface Head { hash: string; number: string; stateRoot: string }
const head = async (rpc: RpcClient): Promise<Head> => (await rpc.call('eth_getBlockByNumber', ['latest', false])) as Head

async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('gossip and range sync between three processes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-p2p-'))
  const nodes: NodeProcess[] = []
  t.teardown(async () => {
    for (const n of nodes) await n.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const dd = (n: string) => join(dir, n)
  for (const n of ['b', 'c']) t.equal(spawnSync(process.execPath, [BIN, 'init', '--datadir', dd(n), 'dev']).status, 0, `init ${n}`)
  const common_ = ['--authrpc.port', '0', '--http', '--http.port', '0', '--http.api', 'eth,net,web3,admin', '--port', '0', '--maxpeers', '10']
  const a = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--datadir', dd('a'), ...common_])
  nodes.push(a)
  const addrOf = async (n: NodeProcess) => ((await n.http!.call('admin_nodeInfo', [])) as { enode: string }).enode
  const b = await startNodeProcess(['node', '--follow', '--datadir', dd('b'), '--bootnodes', await addrOf(a), ...common_])
  nodes.push(b)
  const cArgs = ['node', '--follow', '--datadir', dd('c'), '--bootnodes', await addrOf(b), ...common_]
  let c = await startNodeProcess(cArgs)
  nodes.push(c)

  let nonce = 0n
  const makeBlocks = async (n: number) => {
    const start = BigInt((await head(a.http!)).number)
    for (let i = 0; i < n; i++) {
      const tx = createFeeMarket1559Tx(
        { nonce: nonce++, to: `0x${'cd'.repeat(20)}`, value: 1n, gasLimit: 21000n, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n, chainId: 1337n },
        { common },
      ).sign(hexToBytes(DEV_PRIVATE_KEYS[3]!))
      await a.http!.call('eth_sendRawTransaction', [bytesToHex(tx.serialize())])
      const want = start + BigInt(i + 1)
      await waitFor(`A block ${want}`, async () => BigInt((await head(a.http!)).number) >= want, 15_000)
    }
  }
  const sameAsA = async (n: NodeProcess) => {
    const [x, y] = [await head(a.http!), await head(n.http!)]
    return x.hash === y.hash && x.stateRoot === y.stateRoot
  }

  await makeBlocks(50)
  t.equal(BigInt((await head(a.http!)).number), 50n, 'A built 50 blocks with transactions')
  await waitFor('B to reach A', () => sameAsA(b), 60_000)
  t.pass('B has A’s head hash and state root')
  await waitFor('C to reach A (through B only)', () => sameAsA(c), 60_000)
  t.pass('C has A’s head hash and state root')
  t.equal(await b.http!.call('net_peerCount', []), '0x2', 'B sees A and C')

  c.child.kill('SIGKILL')
  await new Promise((r) => c.child.once('exit', r))
  nodes.splice(nodes.indexOf(c), 1)
  await makeBlocks(20)
  await waitFor('B to reach A again', () => sameAsA(b), 60_000)
  c = await startNodeProcess(cArgs)
  nodes.push(c)
  await waitFor('restarted C to catch up by range sync', () => sameAsA(c), 60_000)
  t.equal(BigInt((await head(c.http!)).number), 70n, 'C caught up to block 70 after its restart')
})
