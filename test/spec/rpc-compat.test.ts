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
  'eth_capabilities',
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
    // No file tests --rpc.evmtimeout, and a loaded CI machine can stretch eth_simulateV1's 256-block
    // file past the 5 s default: the suite runs with a minute (the timeout has its own test below).
    const methods = ethMethods(await ready, { evmTimeoutMs: 60_000 })

    const differences = readFileSync(DIFFERENCES, 'utf8')
    for (const m of NOT_IMPLEMENTED) t.match(differences, m, `${m} is explained in rpc-compat-differences.md`)
    for (const f of KNOWN_FAILURES.keys()) t.match(differences, f, `${f} is explained in rpc-compat-differences.md`)

    const dirs = readdirSync(suite.path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    const stats = new Map<string, { pass: number; total: number }>()
    let speconly = 0
    let speconlyExact = 0
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
        if (io.speconly) {
          speconly++
          if (io.exchanges.every((ex, i) => matches(got[i]!, ex.response, false))) speconlyExact++
        }
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
    t.comment(`speconly files (shape-checked) that also equal geth's answer exactly: ${speconlyExact}/${speconly}`)
  })

  // The struct logger's files are speconly (schema-checked), but they hold geth's own output for this
  // chain: Parallax's must equal it field by field (pc, op, gas, gasCost, depth, stack, memory,
  // storage, refund, returnData, and the transaction's gas, failed and returnValue).
  t.test('struct logger equals geth\'s recorded output exactly', async (t) => {
    const methods = ethMethods(await ready)
    for (const method of ['debug_traceBlockByHash', 'debug_traceBlockByNumber', 'debug_traceTransaction']) {
      for (const name of readdirSync(join(suite.path, method)).filter((f) => f.endsWith('.io')).sort()) {
        const io = readIo(suite.path, method, name)
        for (const ex of io.exchanges) {
          const got = await dispatch(methods, ex.request)
          t.strictSame(got, ex.response.error !== undefined ? { error: ex.response.error } : { result: ex.response.result }, `${method}/${name} #${String(ex.request.id)}`)
        }
      }
    }
  })

  // Behaviour the suite does not exercise, checked against geth's answers on the same chain.
  t.test('beyond the fixtures', async (t) => {
    const n = await ready
    const methods = ethMethods(n)
    const call = (method: string, params: Json[]) => dispatch(methods, { id: 1, method, params })
    const callenv = '0x9344b07175800259691961298ca11c824e65032d'
    const contract = '0x7dcd17433742f4c0ca53122ab541d0ba67fc27df' // has code

    t.test('eth_call from an account with code (geth skips the EIP-3607 check)', async (t) => {
      const a = await call('eth_call', [{ from: contract, to: '0x17e7eedce4ac02ef114a7ed9fe6e2f33feba1667', input: '0xff01' }, 'latest'])
      t.strictSame(a, { result: '0xffee' })
      const code = await call('eth_getCode', [contract, 'latest'])
      t.equal(code.result, '0x3680600080376000206000548082558060010160005560005263656d697460206000a2', 'the code is untouched')
    })

    t.test('state overrides: code, balance, state', async (t) => {
      const x = '0x0000000000000000000000000000000000000abc'
      // SELFBALANCE; MSTORE at 0; RETURN 32 bytes
      const bal = await call('eth_call', [{ to: x }, 'latest', { [x]: { code: '0x4760005260206000f3', balance: '0x1234' } }])
      t.strictSame(bal, { result: `0x${'1234'.padStart(64, '0')}` })
      // SLOAD(1); MSTORE; RETURN
      const slot = `0x${'1'.padStart(64, '0')}`
      const st = await call('eth_call', [{ to: x }, 'latest', { [x]: { code: '0x60015460005260206000f3', state: { [slot]: `0x${'ff'.padStart(64, '0')}` } } }])
      t.strictSame(st, { result: `0x${'ff'.padStart(64, '0')}` })
      const both = await call('eth_call', [{ to: x }, 'latest', { [x]: { state: {}, stateDiff: {} } }])
      t.equal(both.error?.code, -32000)
      const after = await call('eth_getCode', [x, 'latest'])
      t.equal(after.result, '0x', 'overrides never reach the chain')
    })

    t.test('eth_call errors like geth', async (t) => {
      const poor = '0xc1cadaffffffffffffffffffffffffffffffffff'
      t.strictSame(await call('eth_call', [{ from: poor, to: callenv, value: '0x1' }]), {
        error: { code: -32000, message: 'err: insufficient funds for gas * price + value: address 0xC1caDafFfffFFFFfFfffFFFFfFFffffFFFFFfFFf have 0 want 1 (supplied gas 50000000)' },
      })
      t.strictSame(await call('eth_call', [{ to: callenv, gas: '0x100' }]), {
        error: { code: -32000, message: 'err: intrinsic gas too low: have 256, want 21000 (supplied gas 256)' },
      })
      t.strictSame(await call('eth_call', [{ to: callenv, gasPrice: '0x1', maxFeePerGas: '0x1' }]), {
        error: { code: -32000, message: 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified' },
      })
      const x = '0x0000000000000000000000000000000000000abc'
      t.strictSame(await call('eth_call', [{ to: x, gas: '0x30000' }, 'latest', { [x]: { code: '0x5b600056' } }]), {
        error: { code: -32000, message: 'out of gas' },
      })
      t.strictSame(await call('eth_estimateGas', [{ to: x, gas: '0x30000' }, 'latest', { [x]: { code: '0x5b600056' } }]), {
        error: { code: -32000, message: 'gas required exceeds allowance (196608)' },
      })
      t.strictSame(await call('eth_call', [{ to: callenv }, '0x99']), { error: { code: -32000, message: 'header not found' } })
      const impatient = ethMethods(n, { evmTimeoutMs: 100 })
      t.strictSame(await dispatch(impatient, { id: 1, method: 'eth_call', params: [{ to: x }, 'latest', { [x]: { code: '0x5b600056' } }] }), {
        error: { code: -32000, message: 'execution aborted (timeout = 100ms)' },
      })
    })

    t.test('eth_estimateGas succeeds with the smallest gas (within geth\'s 1.5%)', async (t) => {
      const r = await call('eth_estimateGas', [{ to: '0x17e7eedce4ac02ef114a7ed9fe6e2f33feba1667', input: '0xff01' }])
      const gas = BigInt(r.result as string)
      const ok = await call('eth_call', [{ to: '0x17e7eedce4ac02ef114a7ed9fe6e2f33feba1667', input: '0xff01', gas: r.result as string }])
      t.equal(ok.result, '0xffee', 'the estimate is enough')
      const less = await call('eth_call', [{ to: '0x17e7eedce4ac02ef114a7ed9fe6e2f33feba1667', input: '0xff01', gas: `0x${((gas * 97n) / 100n).toString(16)}` }])
      t.ok(less.error !== undefined || less.result !== '0xffee', '3% less is not')
    })

    t.test('EIP-1898 block selectors', async (t) => {
      const blockHash = '0xa38f2a6f7d276298d8e7a9bfa28625e4dc8948021f5a7369d0a04571879e98d2'
      t.strictSame(await call('eth_getBalance', [contract, { blockHash, requireCanonical: true }]), { result: '0x56' })
      t.strictSame(await call('eth_getBalance', [contract, { blockNumber: '0x2c' }]), { result: '0x56' })
      t.strictSame(await call('eth_getBalance', [contract, { blockHash, blockNumber: '0x1' }]), {
        error: { code: -32602, message: 'invalid argument 1: cannot specify both BlockHash and BlockNumber, choose one or the other' },
      })
    })

    t.test('parameter errors carry geth\'s text', async (t) => {
      t.strictSame(await call('eth_getBlockByNumber', ['0x1']), { error: { code: -32602, message: 'missing value for required argument 1' } })
      t.strictSame(await call('eth_blockNumber', [1]), { error: { code: -32602, message: 'too many arguments, want at most 0' } })
      t.strictSame(await call('eth_getBalance', ['0x123']), {
        error: { code: -32602, message: 'invalid argument 0: json: cannot unmarshal hex string of odd length into Go value of type common.Address' },
      })
      t.strictSame(await call('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x01']), {
        error: { code: -32602, message: 'invalid argument 1: json: cannot unmarshal hex number with leading zero digits into Go value of type hexutil.Uint' },
      })
    })

    t.test('eth_getLogs range limit', async (t) => {
      const limited = ethMethods(n, { logsRangeLimit: 10n })
      const r = await dispatch(limited, { id: 1, method: 'eth_getLogs', params: [{ fromBlock: '0x1', toBlock: '0x20' }] })
      t.strictSame(r, { error: { code: -32602, message: 'exceed maximum block range 10' } })
      const ok = await dispatch(limited, { id: 1, method: 'eth_getLogs', params: [{ fromBlock: '0x1', toBlock: '0xb', address: contract }] })
      t.ok(Array.isArray(ok.result), 'a range within the limit is served')
    })

    t.test('pool transactions: pending lookups, replay protection', async (t) => {
      const raw = '0xf86c808401a213988261a894aa000000000000000000000000000000000000000a8255448718e5bb3abd109fa073fbe7ff7e74339e7cc61fb3cb3f7630cd3f1d5fef653d7297654b2d22894daea042a188d30f35f19408c73c803bc1e9e17ce129c457e31fd2a368b54507af2f4c'
      const hash = '0xb55b6dfd4ba0bb2b00283b0e84cda496c90bc7c5ae9025e07edc3a7fbaf6a269'
      t.strictSame(await call('eth_sendRawTransaction', [raw]), { result: hash })
      const tx = (await call('eth_getTransactionByHash', [hash])).result as Record<string, Json>
      t.equal(tx['blockHash'], null)
      t.equal(tx['blockNumber'], null)
      t.equal(tx['transactionIndex'], null)
      t.equal(tx['from'], '0x0c2c51a0990aee1d73c1228de158688341557508')
      t.equal(tx['chainId'], '0xc72dd9d5e883e')
      t.strictSame(await call('eth_getTransactionCount', ['0x0c2c51a0990aee1d73c1228de158688341557508', 'pending']), { result: '0x1' })
      t.strictSame(await call('eth_getTransactionCount', ['0x0c2c51a0990aee1d73c1228de158688341557508', 'latest']), { result: '0x0' })
      t.strictSame(await call('eth_getTransactionReceipt', [hash]), { result: null })
      const unprotected = (await call('debug_getRawTransaction', ['0xc1d605c6612a5fe84dc95810030bfe5b1d327652b381bc695e28f50d13b2b09e'])).result as Json
      t.strictSame(await call('eth_sendRawTransaction', [unprotected]), {
        error: { code: -32000, message: 'only replay-protected (EIP-155) transactions allowed over RPC' },
      })
    })

    t.test('trace_block before the merge ends with the block and uncle rewards (OpenEthereum)', async (t) => {
      let uncles = 0
      for (const [n, eth] of [['0x1', 5n], ['0xa', 3n], ['0x20', 2n]] as const) {
        const reward = eth * 10n ** 18n
        const block = (await call('eth_getBlockByNumber', [n, false])).result as { miner: string; uncles: string[]; hash: string }
        const traces = (await call('trace_block', [n])).result as { type: string; action: Record<string, Json>; blockHash: string }[]
        const rewards = traces.filter((x) => x.type === 'reward')
        const want: Json[] = [{ author: block.miner, rewardType: 'block', value: `0x${(reward + (reward / 32n) * BigInt(block.uncles.length)).toString(16)}` }]
        for (let i = 0; i < block.uncles.length; i++) {
          const u = (await call('eth_getUncleByBlockNumberAndIndex', [n, `0x${i.toString(16)}`])).result as { miner: string; number: string }
          want.push({ author: u.miner, rewardType: 'uncle', value: `0x${(((BigInt(u.number) + 8n - BigInt(n)) * reward) / 8n).toString(16)}` })
        }
        uncles += block.uncles.length
        t.strictSame(rewards.map((r) => r.action), want, `block ${n}: ${eth} ETH, ${block.uncles.length} uncle(s)`)
        t.ok(traces.slice(traces.length - rewards.length).every((x) => x.type === 'reward' && x.blockHash === block.hash), 'after the transactions')
      }
      t.ok(uncles > 0, 'uncle rewards were checked too')
      const head = (await call('trace_block', ['latest'])).result as { type: string }[]
      t.ok(head.every((x) => x.type !== 'reward'), 'no rewards after the merge')
    })
  })
}

