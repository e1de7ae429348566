// The execution-apis rpc-compat suite (ethereum/execution-apis tests/): a hive chain is imported into a
// temporary datadir, the forkchoice of headfcu.json applied, and every `.io` exchange replayed against
// createEthMethods in-process through a minimal JSON-RPC dispatcher. Responses must equal geth's
// (results deep-equal; errors by code, message and data). Methods Parallax deliberately does not
// serve, and the few known edge-case differences, are listed in rpc-compat-differences.md.
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import { createBlob4844TxFromSerializedNetworkWrapper, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { pino } from 'pino'
import { importCommand, initCommand } from '../../src/node/commands.ts'
import { openDatadir, type OpenedDatadir } from '../../src/node/datadir.ts'
import { RpcCode, toRpcError } from '../../src/rpc/errors.ts'
import { createEthMethods, type EthContext, type EthTxPool } from '../../src/rpc/eth/index.ts'
import type { RpcHandler } from '../../src/rpc/types.ts'
import { REPO_ROOT, locateSuite, reportMissing } from '../helpers/fixtures.ts'

const REL = 'ethereum-execution-apis/tests'
const DIFFERENCES = join(REPO_ROOT, 'test', 'spec', 'rpc-compat-differences.md')

/** Methods Parallax does not serve (each explained in rpc-compat-differences.md): their files fail by design. */
const NOT_IMPLEMENTED: ReadonlySet<string> = new Set([
  'debug_traceBlockByHash',
  'debug_traceBlockByNumber',
  'debug_traceTransaction',
  'eth_simulateV1',
  'eth_capabilities',
  'testing_buildBlockV1',
  'txpool_content',
  'txpool_contentFrom',
  'txpool_status',
])

/** Files of served methods whose answer differs from geth's in an edge case (reason in the differences file). */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map([])

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
interface Exchange {
  request: { id: Json; method: string; params?: Json[] }
  response: { result?: Json; error?: { code: number; message: string; data?: Json } }
}
interface IoFile {
  method: string
  name: string
  speconly: boolean
  exchanges: Exchange[]
}

function readIo(dir: string, method: string, name: string): IoFile {
  const lines = readFileSync(join(dir, method, name), 'utf8').split('\n')
  const exchanges: Exchange[] = []
  let speconly = false
  let pending: Exchange['request'] | undefined
  for (const line of lines) {
    if (line.startsWith('//') && line.includes('speconly')) speconly = true
    if (line.startsWith('>> ')) pending = JSON.parse(line.slice(3)) as Exchange['request']
    if (line.startsWith('<< ') && pending !== undefined) {
      exchanges.push({ request: pending, response: JSON.parse(line.slice(3)) as Exchange['response'] })
      pending = undefined
    }
  }
  return { method, name, speconly, exchanges }
}

/** A minimal JSON-RPC dispatcher over a method table (what src/rpc/server.ts does over HTTP). */
async function dispatch(methods: ReadonlyMap<string, RpcHandler>, req: Exchange['request']): Promise<Exchange['response']> {
  const handler = methods.get(req.method)
  if (handler === undefined) {
    return { error: { code: RpcCode.MethodNotFound, message: `the method ${req.method} does not exist/is not available` } }
  }
  try {
    const result = await handler(req.params ?? [])
    return { result: JSON.parse(JSON.stringify(result ?? null)) as Json }
  } catch (err) {
    const e = toRpcError(err)
    return { error: e.data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data: e.data as Json } }
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]))
  const ka = Object.keys(a as object)
  const kb = Object.keys(b as object)
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/** geth compares by value; `speconly` files are only checked for the response's shape. */
function matches(got: Exchange['response'], want: Exchange['response'], speconly: boolean): boolean {
  if (want.error !== undefined) {
    if (got.error === undefined) return false
    if (speconly) return true
    return got.error.code === want.error.code && got.error.message === want.error.message && (want.error.data === undefined || deepEqual(got.error.data, want.error.data))
  }
  if (got.error !== undefined || !('result' in got)) return false
  if (!speconly) return deepEqual(got.result, want.result)
  const shape = (v: unknown): unknown =>
    v === null || typeof v !== 'object' ? typeof v : Array.isArray(v) ? 'array' : Object.keys(v).sort().join(',')
  return shape(got.result) === shape(want.result)
}

/** A stand-in pool for eth_sendRawTransaction: decodes the transaction (blob network wrappers too) and keeps it. */
class FixturePool implements EthTxPool {
  private readonly txs = new Map<string, TypedTransaction>()
  constructor(private readonly node: OpenedDatadir) {}
  async add(raw: Uint8Array): Promise<Uint8Array> {
    const common = this.node.common.copy()
    const head = this.node.chain.head
    common.setHardforkBy({ blockNumber: head.number, timestamp: head.timestamp })
    const isWrapper = raw[0] === 3 && Array.isArray((RLP.decode(raw.subarray(1)) as unknown[])[0])
    const tx = isWrapper ? createBlob4844TxFromSerializedNetworkWrapper(raw, { common }) : createTxFromRLP(raw, { common })
    this.txs.set(bytesToHex(tx.hash()), tx)
    return tx.hash()
  }
  get(hash: Uint8Array): TypedTransaction | undefined {
    return this.txs.get(bytesToHex(hash))
  }
  pending(): TypedTransaction[] {
    return [...this.txs.values()]
  }
}

const suite = locateSuite(REL)
if (suite === undefined) reportMissing(REL)
else {
  const work = mkdtempSync(join(tmpdir(), 'parallax-rpc-compat-'))
  const datadir = join(work, 'dd')
  const logger = pino({ level: 'silent' })
  let node: OpenedDatadir | undefined
  t.teardown(async () => {
    await node?.close()
    rmSync(work, { recursive: true, force: true })
  })

  const setup = async (): Promise<OpenedDatadir> => {
    await initCommand({ datadir, genesis: join(suite.path, 'genesis.json'), logger })
    await importCommand({ datadir, files: [join(suite.path, 'chain.rlp')], logger })
    node = await openDatadir(datadir, logger)
    const fcu = JSON.parse(readFileSync(join(suite.path, 'headfcu.json'), 'utf8')) as {
      params: [{ headBlockHash: string; safeBlockHash: string; finalizedBlockHash: string }]
    }
    const { headBlockHash, safeBlockHash, finalizedBlockHash } = fcu.params[0]
    await node.chain.setHead(hexToBytes(headBlockHash as `0x${string}`), {
      safe: hexToBytes(safeBlockHash as `0x${string}`),
      finalized: hexToBytes(finalizedBlockHash as `0x${string}`),
    })
    return node
  }
  const ready = setup()
  const ethMethods = (n: OpenedDatadir, options: EthContext['options'] = {}) =>
    createEthMethods({
      chain: n.chain,
      common: n.common,
      txpool: new FixturePool(n),
      networkId: n.spec.config.chainId,
      clientVersion: 'Parallax/v0.1.0/linux-x64/node-v20',
      options,
    })

  t.test('rpc-compat', async (t) => {
    const methods = ethMethods(await ready)

    const differences = readFileSync(DIFFERENCES, 'utf8')
    for (const m of NOT_IMPLEMENTED) t.match(differences, m, `${m} is explained in rpc-compat-differences.md`)
    for (const f of KNOWN_FAILURES.keys()) t.match(differences, f, `${f} is explained in rpc-compat-differences.md`)

    const dirs = readdirSync(suite.path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    const stats = new Map<string, { pass: number; total: number }>()
    for (const method of dirs) {
      const files = readdirSync(join(suite.path, method)).filter((f) => f.endsWith('.io')).sort()
      const s = { pass: 0, total: 0 }
      stats.set(method, s)
      for (const name of files) {
        const io = readIo(suite.path, method, name)
        const id = `${method}/${name}`
        const got: Exchange['response'][] = []
        let ok = true
        for (const ex of io.exchanges) {
          const res = await dispatch(methods, ex.request)
          got.push(res)
          if (!matches(res, ex.response, io.speconly)) ok = false
        }
        s.total++
        if (ok) s.pass++
        const byDesign = NOT_IMPLEMENTED.has(method) ? `${method} is not implemented` : KNOWN_FAILURES.get(id)
        if (byDesign !== undefined) {
          if (ok) t.comment(`${id} passes although listed as a difference`)
          continue
        }
        if (ok) t.pass(id)
        else {
          const want = io.exchanges.map((e) => ({ result: e.response.result, error: e.response.error }))
          t.strictSame(got.map((g) => ({ result: g.result, error: g.error })), want, `${id}${io.speconly ? ' (speconly)' : ''}`)
        }
      }
    }
    let pass = 0
    let total = 0
    for (const [method, s] of stats) {
      pass += s.pass
      total += s.total
      const mark = NOT_IMPLEMENTED.has(method) ? ' (not implemented)' : ''
      t.comment(`${method}: ${s.pass}/${s.total}${mark}`)
    }
    t.comment(`rpc-compat total: ${pass}/${total} files (${suite.source} fixtures)`)
  })
}

