// The Kurtosis ethereum-package launcher (contrib/kurtosis/parallax/parallax_launcher.star) without
// Kurtosis: its command lists are read out of the Starlark file, filled the way its command()
// fills them (container paths moved under a temporary root, free ports), and run through `sh -c`
// with a `parallax` on PATH, as the container would. The node must pass the package's readiness wait
// (admin_nodeInfo with a non-empty enode), serve the mounted genesis and JWT on the ports the launcher
// declares, and a second node started with the bootnode list parallax_bootnodes() builds must peer.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { bytesToHex } from '@ethereumjs/util'
import WebSocket from 'ws'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { REPO_ROOT } from '../helpers/fixtures.ts'
import { RpcClient } from '../helpers/rpc-client.ts'
import { freePorts, interrupt } from '../helpers/spawned.ts'

const STAR = readFileSync(join(REPO_ROOT, 'contrib', 'kurtosis', 'parallax', 'parallax_launcher.star'), 'utf8')
const BIN = join(REPO_ROOT, 'bin', 'parallax.js')

/** The string literals of `NAME = [ ... ]` between the launcher's command markers. */
function starList(name: string): string[] {
  const block = STAR.slice(STAR.indexOf('# BEGIN parallax-command'), STAR.indexOf('# END parallax-command'))
  const body = new RegExp(`^${name} = \\[\\n([\\s\\S]*?)^\\]`, 'm').exec(block)
  if (body === null) throw new Error(`${name} not found between the markers of parallax_launcher.star`)
  return [...body[1]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]!}"`) as string)
}
/** A top-level `NAME = <number>` of the launcher. */
function starNumber(name: string): number {
  const m = new RegExp(`^${name} = (\\d+)$`, 'm').exec(STAR)
  if (m === null) throw new Error(`${name} not found in parallax_launcher.star`)
  return Number(m[1])
}
/** command()'s shape: `parallax {0} && exec parallax {1}`. */
const SHAPE = /return "([^"]*)"\.format\(" "\.join\(init\), " "\.join\(node\)\)/.exec(STAR)?.[1]

/** Python/Starlark str.format with named fields only (what the launcher uses). */
const fill = (s: string, values: Record<string, string>): string =>
  s.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in values)) throw new Error(`no value for {${k}}`)
    return values[k]!
  })

const work = mkdtempSync(join(tmpdir(), 'parallax-kurtosis-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

// `parallax` on PATH, as in the image.
const binDir = join(work, 'bin')
mkdirSync(binDir)
writeFileSync(join(binDir, 'parallax'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
chmodSync(join(binDir, 'parallax'), 0o755)

// What the package mounts: its genesis generator's genesis.json (geth format, every fork through Osaka
// at genesis, chain id = network_id 3151908) at /network-configs and the JWT at /jwt/jwtsecret.
const NETWORK_ID = '3151908'
const genesis = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'presets', 'dev.json'), 'utf8')) as { config: Record<string, unknown> }
genesis.config['chainId'] = Number(NETWORK_ID)
genesis.config['osakaTime'] = 0

interface Launched {
  child: ChildProcess
  http: RpcClient
  ports: Record<'rpc' | 'ws' | 'engine' | 'metrics' | 'p2p', number>
  secret: Uint8Array
  enode: string
  output: () => string
  stop: () => Promise<void>
}

type Ports = Launched['ports']

async function launch(name: string, ports: Ports, bootnodes: string, nodekey?: string): Promise<Launched> {
  const root = join(work, name)
  const datadir = join(root, 'data/parallax/execution-data')
  if (nodekey !== undefined) {
    mkdirSync(datadir, { recursive: true })
    writeFileSync(join(datadir, 'nodekey'), nodekey)
  }
  mkdirSync(join(root, 'network-configs'), { recursive: true })
  mkdirSync(join(root, 'jwt'))
  writeFileSync(join(root, 'network-configs', 'genesis.json'), JSON.stringify(genesis))
  const secret = randomBytes(32)
  writeFileSync(join(root, 'jwt', 'jwtsecret'), bytesToHex(secret))
  // get_config's values, container paths under `root`.
  const values: Record<string, string> = {
    datadir,
    genesis: join(root, 'network-configs/genesis.json'),
    jwt: join(root, 'jwt/jwtsecret'),
    verbosity: '3',
    network_id: NETWORK_ID,
    addr: '127.0.0.1',
    engine_port: String(ports.engine),
    rpc_port: String(ports.rpc),
    ws_port: String(ports.ws),
    metrics_port: String(ports.metrics),
    p2p_port: String(ports.p2p),
    bootnodes,
  }
  const init = starList('INIT_ARGS').map((a) => fill(a, values))
  const node = [...starList('NODE_ARGS'), ...(bootnodes !== '' ? starList('BOOTNODE_ARGS') : [])].map((a) => fill(a, values))
  const line = SHAPE!.replace('{0}', init.join(' ')).replace('{1}', node.join(' '))
  const child = spawn('sh', ['-c', line], { env: { ...process.env, PATH: `${binDir}:${process.env['PATH'] ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = `$ ${line}\n`
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const http = new RpcClient(`http://127.0.0.1:${ports.rpc}`)
  // The package's readiness wait: admin_nodeInfo until `.result.enode | split("?") | .[0]` is not "".
  const deadline = Date.now() + 60_000
  let enode = ''
  while (enode === '') {
    if (child.exitCode !== null) throw new Error(`the launcher's command exited with ${child.exitCode}:\n${out}`)
    if (Date.now() > deadline) throw new Error(`admin_nodeInfo never had an enode:\n${out}`)
    try {
      const info = (await http.call('admin_nodeInfo', [])) as { enode?: string }
      enode = (info.enode ?? '').split('?')[0]!
    } catch {
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return {
    child, http, ports, secret, enode,
    output: () => out,
    stop: () => interrupt(child),
  }
}

t.test('the launcher file: markers, command shape and the ports it declares', async (t) => {
  t.equal(SHAPE, 'parallax {0} && exec parallax {1}', 'command() runs init, then execs the node')
  t.same(starList('INIT_ARGS'), ['init', '--datadir={datadir}', '{genesis}'])
  t.ok(starList('NODE_ARGS').includes('--authrpc.jwtsecret={jwt}'))
  t.same([starNumber('RPC_PORT_NUM'), starNumber('WS_PORT_NUM'), starNumber('ENGINE_RPC_PORT_NUM'), starNumber('METRICS_PORT_NUM'), starNumber('P2P_PORT_NUM')], [8545, 8546, 8551, 9001, 30303])
  t.match(STAR, /"genesis": constants\.GENESIS_JSON_MOUNT_PATH_ON_CONTAINER/, 'genesis from the package’s /network-configs mount')
  t.match(STAR, /"jwt": constants\.JWT_MOUNT_PATH_ON_CONTAINER/, 'JWT from the package’s /jwt mount')
  t.match(STAR, /^METRICS_PATH = "\/metrics"$/m)
})

t.test('the launcher’s command line outside a container', async (t) => {
  // Both nodes start together (as the package starts participants after the first in parallel): the
  // first one's identity is made up front, so the second can be given its multiaddr before it listens.
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key).toString()
  const free = await freePorts(10)
  const portsOf = (i: number): Ports => ({ rpc: free[i]!, ws: free[i + 1]!, engine: free[i + 2]!, metrics: free[i + 3]!, p2p: free[i + 4]! })
  const aP2p = portsOf(0).p2p
  const [a, b] = await Promise.all([
    launch('a', portsOf(0), '', Buffer.from(privateKeyToProtobuf(key)).toString('hex')),
    // parallax_bootnodes(): /ip4/<service ip>/tcp/<port of the enode>/p2p/<peer id of the enode>.
    launch('b', portsOf(5), `/ip4/127.0.0.1/tcp/${aP2p}/p2p/${peerId}`),
  ])
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  t.equal(a.enode, `/ip4/127.0.0.1/tcp/${aP2p}/p2p/${peerId}`, 'admin_nodeInfo’s enode is the libp2p multiaddr (readiness passes)')
  t.equal(await a.http.call('eth_chainId', []), `0x${Number(NETWORK_ID).toString(16)}`, 'the mounted genesis')
  t.equal(await a.http.call('net_version', []), NETWORK_ID, '--networkid')
  const engine = new RpcClient(`http://127.0.0.1:${a.ports.engine}`, a.secret)
  const caps = (await engine.call('engine_exchangeCapabilities', [['engine_newPayloadV4']])) as string[]
  t.ok(caps.includes('engine_newPayloadV4'), 'the Engine API answers with the mounted JWT')
  const metrics = await fetch(`http://127.0.0.1:${a.ports.metrics}/metrics`)
  t.equal(metrics.status, 200, 'metrics on METRICS_PATH')
  t.match(await metrics.text(), /parallax_chain_head_block/)
  const ws = new WebSocket(`ws://127.0.0.1:${a.ports.ws}`)
  const wsReply = await new Promise<string>((resolve, reject) => {
    ws.once('error', reject)
    ws.once('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] })))
    ws.once('message', (d: Buffer) => resolve(d.toString()))
  })
  ws.close()
  t.match(JSON.parse(wsReply), { result: `0x${Number(NETWORK_ID).toString(16)}` }, 'WebSocket on WS_PORT_NUM')

  const deadline = Date.now() + 20_000
  let peers: { id: string }[] = []
  while (peers.length === 0 && Date.now() < deadline) {
    peers = (await b.http.call('admin_peers', [])) as { id: string }[]
    if (peers.length === 0) await new Promise((r) => setTimeout(r, 250))
  }
  t.equal(peers[0]?.id, peerId, 'the second Parallax peers with the first through the bootnode list')
})
