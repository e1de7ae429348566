// The hive client definition (hive/parallax) without Docker: parallax.sh runs against a temporary
// directory laid out as hive lays out the container's root (genesis.json, chain.rlp, blocks/, keys/,
// jwtsecret) with the HIVE_* variables hive would set, and the node it starts must serve the chain
// hive expects: the rpc-compat chain up to headfcu.json's head, and a Prague blockchain_test_engine
// fixture's genesis driven to its last block over the Engine API.
import t from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Wallet } from '@ethereumjs/wallet'
import { splitRlpStream } from '../../src/chain/decode.ts'
import { REPO_ROOT, locateSuite, reportMissing } from '../helpers/fixtures.ts'
import { RpcClient } from '../helpers/rpc-client.ts'
import { freePorts, interrupt } from '../helpers/spawned.ts'

const HIVE_DIR = join(REPO_ROOT, 'hive', 'parallax')
const SCRIPT = join(HIVE_DIR, 'parallax.sh')
const BIN = join(REPO_ROOT, 'bin', 'parallax.js')
/** hive's Engine API secret, which the script writes when none is mounted. */
const HIVE_JWT = hexToBytes('0x7365637265747365637265747365637265747365637265747365637265747365')

for (const tool of ['jq', 'curl']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    t.fail(`${tool} is not installed: hive/parallax's scripts need it (Debian package ${tool}; .ci/run installs it)`)
  }
}

interface Started {
  child: ChildProcess
  http: RpcClient
  httpUrl: string
  authUrl: string
  output: () => string
  stop: () => Promise<void>
}

/** Runs parallax.sh on `root` with `env` and waits until 8545's counterpart answers (hive's own check). */
async function runScript(root: string, env: Record<string, string>): Promise<Started> {
  const [http, ws, auth] = (await freePorts(3)) as [number, number, number]
  const child = spawn('bash', [SCRIPT, root], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? tmpdir(),
      ...env,
      PARALLAX_BIN: `${process.execPath} ${BIN}`,
      PARALLAX_HIVE_ADDR: '127.0.0.1',
      PARALLAX_HIVE_HTTP_PORT: String(http),
      PARALLAX_HIVE_WS_PORT: String(ws),
      PARALLAX_HIVE_AUTH_PORT: String(auth),
      PARALLAX_HIVE_P2P_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const httpUrl = `http://127.0.0.1:${http}`
  const client = new RpcClient(httpUrl)
  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`parallax.sh exited with ${child.exitCode}:\n${out}`)
    if (Date.now() > deadline) throw new Error(`the node did not answer on ${httpUrl}:\n${out}`)
    try {
      await client.call('eth_blockNumber', [])
      break
    } catch {
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return {
    child,
    http: client,
    httpUrl,
    authUrl: `http://127.0.0.1:${auth}`,
    output: () => out,
    stop: () => interrupt(child),
  }
}

/** The HIVE_* variables of a forkenv.json (what the rpc-compat simulator sets). */
function forkEnv(path: string): Record<string, string> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>
}

const work = mkdtempSync(join(tmpdir(), 'parallax-hive-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

t.test('refusals: what Parallax cannot do stops the script before it touches anything', async (t) => {
  const root = join(work, 'refuse')
  mkdirSync(root)
  writeFileSync(join(root, 'genesis.json'), JSON.stringify({ config: { chainId: 1 }, alloc: {} }))
  for (const [env, msg] of [
    [{ HIVE_NODETYPE: 'snap' }, /unsupported HIVE_NODETYPE=snap/],
    [{ HIVE_CLIQUE_PERIOD: '5' }, /no clique/],
    [{ HIVE_LOGLEVEL: 'loud' }, /HIVE_LOGLEVEL=loud: expected 0-5/],
  ] as const) {
    const res = spawnSync('bash', [SCRIPT, root], { env: { ...process.env, ...env, PARALLAX_BIN: `${process.execPath} ${BIN}` }, encoding: 'utf8' })
    t.equal(res.status, 1, `${JSON.stringify(env)} exits 1`)
    t.match(res.stderr, msg)
  }
  t.notOk(existsSync(join(root, 'parallax-data')), 'no datadir was made')
  const empty = spawnSync('bash', [SCRIPT, join(work, 'nothing-here')], { encoding: 'utf8' })
  t.equal(empty.status, 1)
  t.match(empty.stderr, /genesis\.json not found/)
})

t.test('mapper.jq: every fork variable through Amsterdam and BPO5 lands in the genesis config', async (t) => {
  const input = join(work, 'map-input.json')
  writeFileSync(input, JSON.stringify({ config: { chainId: 7, londonBlock: 5, blobSchedule: { cancun: { target: 2, max: 4, baseFeeUpdateFraction: 1 } } }, alloc: {} }))
  const env: Record<string, string> = {
    HIVE_CHAIN_ID: '3503995874084926', HIVE_FORK_HOMESTEAD: '0', HIVE_FORK_TANGERINE: '1', HIVE_FORK_SPURIOUS: '2',
    HIVE_FORK_BYZANTIUM: '3', HIVE_FORK_CONSTANTINOPLE: '4', HIVE_FORK_PETERSBURG: '4', HIVE_FORK_ISTANBUL: '5',
    HIVE_FORK_MUIRGLACIER: '6', HIVE_FORK_BERLIN: '7', HIVE_FORK_ARROW_GLACIER: '9', HIVE_FORK_GRAY_GLACIER: '10',
    HIVE_MERGE_BLOCK_ID: '11', HIVE_TERMINAL_TOTAL_DIFFICULTY: '18446744073709551616', HIVE_SHANGHAI_TIMESTAMP: '100',
    HIVE_CANCUN_TIMESTAMP: '200', HIVE_PRAGUE_TIMESTAMP: '300', HIVE_OSAKA_TIMESTAMP: '400', HIVE_BPO1_TIMESTAMP: '410',
    HIVE_BPO2_TIMESTAMP: '420', HIVE_BPO3_TIMESTAMP: '430', HIVE_BPO4_TIMESTAMP: '440', HIVE_BPO5_TIMESTAMP: '450',
    HIVE_AMSTERDAM_TIMESTAMP: '500', HIVE_BPO5_BLOB_MAX: '33', HIVE_FORK_DAO_BLOCK: '1', HIVE_FORK_DAO_VOTE: '1',
    HIVE_DEPOSIT_CONTRACT_ADDRESS: '0x00000000219ab540356cbb839cbe05303d7705fa',
  }
  const res = spawnSync('jq', ['-f', join(HIVE_DIR, 'mapper.jq'), input], { env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8' })
  t.equal(res.status, 0, res.stderr)
  const config = (JSON.parse(res.stdout) as { config: Record<string, unknown> }).config
  t.match(config, {
    chainId: '3503995874084926', homesteadBlock: '0', eip150Block: '1', eip155Block: '2', eip158Block: '2', byzantiumBlock: '3',
    constantinopleBlock: '4', petersburgBlock: '4', istanbulBlock: '5', muirGlacierBlock: '6', berlinBlock: '7',
    londonBlock: 5, arrowGlacierBlock: '9', grayGlacierBlock: '10', mergeNetsplitBlock: '11',
    terminalTotalDifficulty: '18446744073709551616', shanghaiTime: '100', cancunTime: '200', pragueTime: '300',
    osakaTime: '400', bpo1Time: '410', bpo2Time: '420', bpo3Time: '430', bpo4Time: '440', bpo5Time: '450',
    amsterdamTime: '500', daoForkBlock: '1', daoForkSupport: true, depositContractAddress: '0x00000000219ab540356cbb839cbe05303d7705fa',
  })
  const blobs = config['blobSchedule'] as Record<string, { target: unknown; max: unknown; baseFeeUpdateFraction: unknown }>
  t.same(Object.keys(blobs).sort(), ['amsterdam', 'bpo1', 'bpo2', 'bpo3', 'bpo4', 'bpo5', 'cancun', 'osaka', 'prague'])
  t.same(blobs['cancun'], { target: 2, max: 4, baseFeeUpdateFraction: 1 }, 'the file’s own entry stays when hive sets nothing')
  t.equal(blobs['bpo5']!.max, '33', 'a HIVE_<FORK>_BLOB_* variable wins')
  t.equal(blobs['prague']!.max, '9', 'defaults for the rest')
  const bad = spawnSync('jq', ['-f', join(HIVE_DIR, 'mapper.jq'), input], { env: { PATH: process.env['PATH'] ?? '', HIVE_CHAIN_ID: '0x1' }, encoding: 'utf8' })
  t.not(bad.status, 0, 'a variable that is not decimal fails the mapping')
  t.match(bad.stderr, /HIVE_CHAIN_ID=0x1: expected a decimal number/)
})

t.test('HIVE_* variables onto flags (a stand-in parallax that records its arguments)', async (t) => {
  const root = join(work, 'flags')
  mkdirSync(join(root, 'keys'), { recursive: true })
  writeFileSync(join(root, 'genesis.json'), JSON.stringify({ config: { chainId: 1 }, alloc: {} }))
  writeFileSync(join(root, 'keys', 'UTC--key'), '{}')
  const stub = join(root, 'stub.sh')
  writeFileSync(stub, `#!/bin/sh\necho "$*" >> "${join(root, 'calls')}"\n`)
  const peer = '/ip4/10.0.0.2/tcp/30303/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
  const env = {
    PATH: process.env['PATH'] ?? '', PARALLAX_BIN: `sh ${stub}`, HIVE_LOGLEVEL: '5', HIVE_NETWORK_ID: '77', HIVE_MINER_EXTRA: 'hive',
    HIVE_TARGET_GAS_LIMIT: '45000000', HIVE_NODETYPE: 'archive', HIVE_SKIP_POW: '1', HIVE_BOOTNODE: `enode://${'cd'.repeat(64)}@10.0.0.3:30303,${peer}`,
  }
  const res = spawnSync('bash', [SCRIPT, root], { env, encoding: 'utf8' })
  if (res.status !== 0) t.comment(res.stderr)
  t.equal(res.status, 0, 'the script runs to its node command')
  const calls = readFileSync(join(root, 'calls'), 'utf8').trim().split('\n')
  t.equal(calls.length, 2, 'init, then node (no chain.rlp, no blocks/)')
  t.equal(calls[0], `--datadir ${root}/parallax-data --verbosity 5 init ${root}/parallax-genesis.json`)
  const node = calls[1]!
  for (const part of [
    '--verbosity 5 node', '--syncmode full --gcmode archive', '--networkid 77', '--miner.extradata hive', '--miner.gaslimit 45000000',
    `--bootnodes ${peer}`, `--keystore ${root}/keys`, `--authrpc.jwtsecret ${root}/jwtsecret`, '--http.api admin,debug,eth,net,txpool,web3',
    '--http.port 8545', '--ws.port 8546', '--authrpc.port 8551', '--port 30303', '--http.addr 0.0.0.0', '--authrpc.addr 0.0.0.0',
  ]) t.ok(node.includes(part), part)
  t.notMatch(node, /enode:/, 'the devp2p bootnode is left out')
  t.equal(readFileSync(join(root, 'jwtsecret'), 'utf8').trim(), bytesToHex(HIVE_JWT), 'no secret mounted: hive’s is written')
  t.match(res.stderr, /HIVE_SKIP_POW: nothing to switch off/)
  const unset = spawnSync('bash', [SCRIPT, root], { env: { PATH: env.PATH, PARALLAX_BIN: env.PARALLAX_BIN }, encoding: 'utf8' })
  t.equal(unset.status, 0)
  t.match(readFileSync(join(root, 'calls'), 'utf8').trim().split('\n').at(-1), /--networkid 1337/, 'no HIVE_NETWORK_ID: 1337, as geth’s definition')
})

const rpcCompat = locateSuite('ethereum-execution-apis/tests')
const rpcFiles = ['genesis.json', 'chain.rlp', 'headfcu.json', 'forkenv.json']
if (rpcCompat === undefined || !rpcFiles.every((f) => existsSync(join(rpcCompat.path, f)))) reportMissing('ethereum-execution-apis/tests (genesis.json, chain.rlp, headfcu.json, forkenv.json)')
else {
  t.test('rpc-compat: chain.rlp and blocks/ imported, head is headfcu.json’s, Engine API on the mounted JWT', async (t) => {
    const suite = rpcCompat.path
    const root = join(work, 'rpc-compat')
    mkdirSync(join(root, 'blocks'), { recursive: true })
    copyFileSync(join(suite, 'genesis.json'), join(root, 'genesis.json'))
    // chain.rlp without its last two blocks; those come as blocks/9.rlp and blocks/11.rlp (numeric order,
    // not the lexical one), with a file that is no block at all between them: it fails alone.
    const blocks = [...splitRlpStream(readFileSync(join(suite, 'chain.rlp')))]
    writeFileSync(join(root, 'chain.rlp'), Buffer.concat(blocks.slice(0, -2)))
    writeFileSync(join(root, 'blocks', '9.rlp'), blocks.at(-2)!)
    writeFileSync(join(root, 'blocks', '10.rlp'), 'garbage\n')
    writeFileSync(join(root, 'blocks', '11.rlp'), blocks.at(-1)!)
    const secret = randomBytes(32)
    writeFileSync(join(root, 'jwtsecret'), bytesToHex(secret))
    // A keystore file in /keys: listed by eth_accounts, locked (hive gives no password).
    const key = Wallet.generate()
    mkdirSync(join(root, 'keys'))
    writeFileSync(join(root, 'keys', 'UTC--hive-key'), await key.toV3String('hive', { kdf: 'pbkdf2', c: 1024 }))
    const env = forkEnv(join(suite, 'forkenv.json'))
    const node = await runScript(root, { ...env, HIVE_LOGLEVEL: '3', HIVE_BOOTNODE: 'enode://' + 'ab'.repeat(64) + '@10.0.0.1:30303' })
    t.teardown(() => node.stop())

    const headfcu = JSON.parse(readFileSync(join(suite, 'headfcu.json'), 'utf8')) as { method: string; params: [{ headBlockHash: string }, null] }
    const latest = (await node.http.call('eth_getBlockByNumber', ['latest', false])) as { hash: string; number: string }
    t.equal(latest.hash, headfcu.params[0].headBlockHash, 'the head is headfcu.json’s head')
    t.equal(Number(latest.number), blocks.length, 'every block of chain.rlp and blocks/ is in')
    t.equal(await node.http.call('eth_chainId', []), `0x${BigInt(env['HIVE_CHAIN_ID']!).toString(16)}`, 'HIVE_CHAIN_ID')
    t.equal(await node.http.call('net_version', []), env['HIVE_NETWORK_ID'], 'HIVE_NETWORK_ID')
    t.same(await node.http.call('eth_accounts', []), [key.getAddressString().toLowerCase()], '/keys account listed')
    t.match((await node.http.raw('eth_sign', [key.getAddressString(), '0x01'])).error, { code: -32000, message: 'authentication needed: password or unlock' }, 'and locked')
    t.match(node.output(), /not every file of \S+\/blocks was imported/, 'blocks/10.rlp failed alone, and the node started anyway')
    t.match(node.output(), /bootnode enode:\/\/\S+ left out: Parallax peers over libp2p/)

    const engine = new RpcClient(node.authUrl, secret)
    const fcu = (await engine.call(headfcu.method, headfcu.params)) as { payloadStatus: { status: string } }
    t.equal(fcu.payloadStatus.status, 'VALID', `${headfcu.method} of headfcu.json with the mounted secret`)
    const wrong = await new RpcClient(node.authUrl, HIVE_JWT).post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }))
    t.equal(wrong.status, 401, 'a token of another secret is refused')

    const info = (await node.http.call('admin_nodeInfo', [])) as { id: string; enode: string; ports: { listener: number } }
    const enode = spawnSync('bash', [join(HIVE_DIR, 'enode.sh')], { env: { ...process.env, PARALLAX_HIVE_RPC: node.httpUrl }, encoding: 'utf8' })
    t.equal(enode.status, 0, enode.stderr)
    t.match(enode.stdout.trim(), new RegExp(`^/ip4/[0-9.]+/tcp/${info.ports.listener}/p2p/${info.id}$`), 'enode.sh prints the libp2p multiaddr --bootnodes takes')
  })
}

/** The HIVE_* variables hive's consume-engine sets for a fixture of network "Prague" (every fork through Prague at genesis). */
function pragueEnv(chainId: bigint, blobSchedule: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { HIVE_CHAIN_ID: chainId.toString(), HIVE_NETWORK_ID: chainId.toString(), HIVE_TERMINAL_TOTAL_DIFFICULTY: '0', HIVE_MERGE_BLOCK_ID: '0' }
  for (const f of ['HOMESTEAD', 'TANGERINE', 'SPURIOUS', 'BYZANTIUM', 'CONSTANTINOPLE', 'PETERSBURG', 'ISTANBUL', 'MUIR_GLACIER', 'BERLIN', 'LONDON', 'ARROW_GLACIER', 'GRAY_GLACIER']) env[`HIVE_FORK_${f}`] = '0'
  for (const f of ['SHANGHAI', 'CANCUN', 'PRAGUE']) env[`HIVE_${f}_TIMESTAMP`] = '0'
  for (const [fork, p] of Object.entries(blobSchedule)) {
    const name = fork.toUpperCase()
    env[`HIVE_${name}_BLOB_TARGET`] = BigInt(p['target']!).toString()
    env[`HIVE_${name}_BLOB_MAX`] = BigInt(p['max']!).toString()
    env[`HIVE_${name}_BLOB_BASE_FEE_UPDATE_FRACTION`] = BigInt(p['baseFeeUpdateFraction']!).toString()
  }
  return env
}

const ENGINE_FIXTURE = 'fselmo-fixtures_eest/blockchain_tests_engine/prague/eip7702_set_code_tx/set_code_txs_2'
const engineSuite = locateSuite(ENGINE_FIXTURE)
const engineFile = engineSuite === undefined ? undefined : join(engineSuite.path, 'pointer_to_pointer.json')
if (engineFile === undefined || !existsSync(engineFile)) reportMissing(`${ENGINE_FIXTURE}/pointer_to_pointer.json`)
else {
  t.test('blockchain_test_engine (Prague): the fixture genesis through HIVE_* variables, its payloads over the Engine API', async (t) => {
    interface EngineCase {
      network: string
      genesisBlockHeader: Record<string, string>
      pre: Record<string, unknown>
      config: { chainid: string; blobSchedule: Record<string, Record<string, string>> }
      lastblockhash: string
      engineNewPayloads: { params: unknown[]; newPayloadVersion: string; forkchoiceUpdatedVersion: string }[]
    }
    const cases = Object.values(JSON.parse(readFileSync(engineFile, 'utf8')) as Record<string, EngineCase>)
    const c = cases.find((x) => x.network === 'Prague')!
    t.ok(c, 'the file has a Prague case')
    const h = c.genesisBlockHeader
    // What consume-engine writes as /genesis.json: the pre-state and the genesis header's fields.
    const genesis: Record<string, unknown> = { config: {}, alloc: c.pre }
    for (const f of ['nonce', 'timestamp', 'extraData', 'gasLimit', 'difficulty', 'mixHash', 'coinbase', 'baseFeePerGas', 'excessBlobGas', 'blobGasUsed']) genesis[f] = h[f]
    const root = join(work, 'engine')
    mkdirSync(root)
    writeFileSync(join(root, 'genesis.json'), JSON.stringify(genesis))
    const secret = randomBytes(32)
    writeFileSync(join(root, 'jwtsecret'), `${bytesToHex(secret)}\n`)
    const node = await runScript(root, { ...pragueEnv(BigInt(c.config.chainid), c.config.blobSchedule), HIVE_LOGLEVEL: '2' })
    t.teardown(() => node.stop())

    const block0 = (await node.http.call('eth_getBlockByNumber', ['0x0', false])) as { hash: string }
    t.equal(block0.hash, h['hash'], 'the genesis block is the fixture’s')
    const engine = new RpcClient(node.authUrl, secret)
    for (const p of c.engineNewPayloads) {
      const status = (await engine.call(`engine_newPayloadV${p.newPayloadVersion}`, p.params)) as { status: string }
      t.equal(status.status, 'VALID', `engine_newPayloadV${p.newPayloadVersion}`)
      const hash = (p.params[0] as { blockHash: string }).blockHash
      const fcu = (await engine.call(`engine_forkchoiceUpdatedV${p.forkchoiceUpdatedVersion}`, [{ headBlockHash: hash, safeBlockHash: hash, finalizedBlockHash: hash }, null])) as { payloadStatus: { status: string } }
      t.equal(fcu.payloadStatus.status, 'VALID')
    }
    const head = (await node.http.call('eth_getBlockByNumber', ['latest', false])) as { hash: string }
    t.equal(head.hash, c.lastblockhash, 'the head is the fixture’s last block')
  })
}
