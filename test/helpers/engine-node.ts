// Starting a node for an engine fixture case: in-process (real HTTP + JWT on an ephemeral port), or
// as a real `parallax node` process initialised from the fixture's genesis written as genesis.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethereumjs/util'
import pino from 'pino'
import { commonForFixtureNetwork, genesisBlock, genesisToJson, writeGenesisState } from '../../config/index.ts'
import { Chain } from '../../src/chain/chain.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { startNode } from '../../src/node/node.ts'
import { genesisSpecFromFixture, type FixtureGenesisCase } from './fixture-genesis.ts'
import { REPO_ROOT } from './fixtures.ts'
import { RpcClient } from './rpc-client.ts'

export interface TestNode {
  rpc: RpcClient
  close(): Promise<void>
}

const silent = pino({ level: 'silent' })

export async function inProcessNode(tc: FixtureGenesisCase): Promise<TestNode> {
  const common = commonForFixtureNetwork(tc.network, parallaxCryptoWithKzg(), tc.config)
  const spec = genesisSpecFromFixture(tc)
  const kv = new MemoryKV()
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  const chain = await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
  const secret = randomBytes(32)
  const node = await startNode({ chain, common, logger: silent, authrpc: { addr: '127.0.0.1', port: 0, jwtSecret: secret } })
  return { rpc: new RpcClient(node.engineServer.url, secret), close: () => node.close() }
}

const BIN = join(REPO_ROOT, 'bin', 'parallax.js')

/** A real `parallax node` process on a fresh datadir initialised with the case's genesis. */
export async function processNode(tc: FixtureGenesisCase): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-engine-'))
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(genesisToJson(genesisSpecFromFixture(tc))))
  const secret = randomBytes(32)
  const secretFile = join(dir, 'jwt.hex')
  writeFileSync(secretFile, bytesToHex(secret))
  const init = spawnSync(process.execPath, [BIN, '--verbosity', '2', 'init', '--datadir', join(dir, 'data'), genesisFile], { encoding: 'utf8' })
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`)
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, '--log.format', 'json', 'node', '--datadir', join(dir, 'data'), '--authrpc.port', '0', '--authrpc.jwtsecret', secretFile, '--maxpeers', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`node did not start: ${buf}`)), 30_000)
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString()
      const m = /"msg":"Engine API started"[^\n]*|"url":"(http:[^"]+)"[^\n]*"msg":"Engine API started"/.exec(buf)
      if (m === null) return
      const line = buf.split('\n').find((l) => l.includes('Engine API started'))!
      const parsed = JSON.parse(line) as { url: string }
      clearTimeout(timer)
      resolve(parsed.url)
    })
    child.once('exit', (code) => reject(new Error(`node exited ${code}: ${buf}`)))
  })
  return {
    rpc: new RpcClient(url, secret),
    async close() {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGINT')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
