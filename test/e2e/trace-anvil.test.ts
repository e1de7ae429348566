// Differential test of the tracers against an implementation we did not write: anvil (Foundry,
// revm + revm-inspectors' geth tracers; the binary ships in the @foundry-rs/anvil-linux-amd64
// devDependency). The same hand-assembled contracts are deployed and the same signed legacy
// transactions (fixed gas price, so balances match) are sent to anvil and to a `parallax node --dev`
// (chain id 1337, the same prefunded `test … junk` keys, a block per transaction), then callTracer
// (withLog) and prestateTracer (diffMode off and on) outputs, and the parity-style trace_transaction,
// trace_block and trace_replayBlockTransactions (trace + stateDiff), are compared for every
// transaction, and trace_filter over the whole chain: nested CALLs, DELEGATECALL, STATICCALL (write protection), CREATE/CREATE2, reverts with reasons,
// out of gas inside a sub-call, SELFDESTRUCT (in a constructor and of an old contract), precompiles
// and logs. The only fields taken out are listed in KNOWN_DIFFERENCES with the reason.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getContractAddress, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { REPO_ROOT } from '../helpers/fixtures.ts'
import { startNodeProcess } from '../helpers/node-process.ts'

const ANVIL = join(REPO_ROOT, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil')

/**
 * Where anvil (revm-inspectors) and geth are known to answer differently, so the comparison leaves
 * the field out: each entry says why.
 */
const KNOWN_DIFFERENCES: readonly { what: string; why: string }[] = [
  {
    what: 'trace_*: the error of a frame that wrote in a static context',
    why: "revm-inspectors names it StateChangeDuringStaticCall (revm's halt reason); OpenEthereum, whose format trace_* is, says Mutable Call In Static Context, as Parallax does",
  },
  {
    what: 'trace_replayBlockTransactions: calls to precompiles',
    why: "anvil leaves them out of its replay traces while its trace_transaction and trace_block keep them; Parallax keeps them everywhere (OpenEthereum's traces include them), so the test removes them from Parallax's replay traces before comparing",
  },
  {
    what: 'trace_*: the error of a CREATE/CREATE2 that collides with an existing account',
    why: "revm-inspectors says CreateCollision; OpenEthereum had no name of its own for it, so Parallax keeps geth's text (contract address collision)",
  },
  {
    what: 'prestateTracer (diffMode off): contracts the transaction created, when they did not exist before',
    why: 'geth removes a created account whose pre-state was empty (prestateTracer OnTxEnd: "the new created contracts\' prestate were empty, so delete them"); revm-inspectors keeps it as {balance: 0x0}',
  },
  {
    what: 'callTracer: the error of a frame that wrote in a static context',
    why: 'geth says "write protection"; revm-inspectors gives revm\'s error name "StateChangeDuringStaticCall"',
  },
  {
    what: 'prestateTracer (diffMode off): an account only called inside a frame that reverted',
    why: 'geth looks up every CALL target at the opcode, so it is listed; revm-inspectors builds the set from revm\'s state after the transaction, where an account loaded only in a reverted frame is gone',
  },
  {
    what: 'prestateTracer diffMode: a changed slot that was zero before, in `pre`',
    why: 'geth keeps every changed slot in pre (processDiffState deletes only unchanged ones), so a slot written from zero shows 0x0…0 there; revm-inspectors leaves zero-valued slots out of pre',
  },
  {
    what: 'callTracer: a CREATE2 that collides with an existing account',
    why: 'geth reports "contract address collision" and the colliding address as `to`; revm-inspectors says "CreateCollision" and leaves `to` out (the error text is mapped, `to` is not compared)',
  },
  { what: 'prestate: the block\'s fee recipient', why: 'each node mines its own blocks (Parallax dev: its dev coinbase; anvil: its own), with different base fees, so the fee recipient and what it receives differ by design' },
]

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

/** Parity traces without what two chains cannot share (the block hash); anvil's static-call and collision errors in the words Parallax uses. */
function parityComparable(v: Json): Json {
  if (!Array.isArray(v)) return v
  return v.map((tr) => {
    const { blockHash: _drop, ...rest } = tr as Record<string, Json>
    void _drop
    if (rest['error'] === 'StateChangeDuringStaticCall') rest['error'] = 'Mutable Call In Static Context'
    if (rest['error'] === 'CreateCollision') rest['error'] = 'contract address collision'
    return rest
  })
}

/** Parity traces with the calls to precompiles taken out (later siblings renumbered, last first; their parents' subtraces lowered). */
function withoutPrecompileCalls(traces: Json): Json {
  type Tr = { action: { to?: string; callType?: string }; traceAddress: number[]; subtraces: number }
  const all = traces as unknown as Tr[]
  const isPre = (tr: Tr): boolean => tr.action.callType !== undefined && tr.action.to !== undefined && BigInt(tr.action.to) >= 1n && BigInt(tr.action.to) <= 0x11n
  const gone = all.filter(isPre).map((tr) => tr.traceAddress)
  const kept = all.filter((tr) => !isPre(tr)).map((tr) => JSON.parse(JSON.stringify(tr)) as Tr)
  for (const path of gone.reverse()) {
    const parent = path.slice(0, -1)
    const at = path[path.length - 1]!
    for (const tr of kept) {
      const a = tr.traceAddress
      if (JSON.stringify(a) === JSON.stringify(parent)) tr.subtraces--
      if (a.length > parent.length && JSON.stringify(a.slice(0, parent.length)) === JSON.stringify(parent) && a[parent.length]! > at) a[parent.length]!--
    }
  }
  return kept as unknown as Json
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

async function rpc(url: string, method: string, params: Json[]): Promise<Json> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: Json; error?: { message: string } }
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
  return body.result ?? null
}

// --- a tiny assembler: hex snippets ---
const hex = (n: number | bigint, bytes = 0): string => {
  const h = n.toString(16)
  const len = Math.max(bytes * 2, h.length + (h.length % 2))
  return h.padStart(len, '0')
}
const push = (data: string): string => hex(0x5f + data.length / 2) + data
const pushN = (n: number): string => push(hex(n))
const addr = (a: string): string => push(a.slice(2).toLowerCase())
/** MSTORE(0, word) with `data` right-aligned; returns its offset in memory. */
const memRight = (data: string): string => push(data) + pushN(0) + '52'
/** CALL-family opcode with args from memory[0..32), result popped. */
function call(op: 'f1' | 'f2' | 'f4' | 'fa', to: string, gas: number | 'all', value = 0, argsOff = 0, argsLen = 32): string {
  const g = gas === 'all' ? '5a' : pushN(gas)
  const v = op === 'f1' || op === 'f2' ? pushN(value) : ''
  return pushN(0) + pushN(0) + pushN(argsLen) + pushN(argsOff) + v + addr(to) + g + op + '50'
}
/** Initcode that deploys `runtime` (at most 32 bytes). */
const deployer = (runtime: string): string => {
  const len = runtime.length / 2
  return push(runtime) + pushN(0) + '52' + pushN(len) + pushN(32 - len) + 'f3'
}
/** Initcode that deploys any runtime: CODECOPY of its tail. */
const deployLong = (runtime: string): string => {
  const len = runtime.length / 2
  const head = (off: number): string => push(hex(len, 2)) + push(hex(off, 1)) + pushN(0) + '39' + push(hex(len, 2)) + pushN(0) + 'f3'
  const size = head(0).length / 2
  return head(size) + runtime
}

// Target: SSTORE(0, cd[0]); MSTORE(0, cd[0]); LOG1(0, 32, 0xaa); RETURN(0, 32)
const LOG_STORE = '600035600055' + '600035600052' + '60aa60206000a1' + '60206000f3'
// Reverts with Error("nope")
const reasonData = '08c379a0' + hex(32, 32) + hex(4, 32) + Buffer.from('nope').toString('hex').padEnd(64, '0')
const REVERTER = '6064600c6000396064' + '6000fd' + reasonData
// Burns all its gas: JUMPDEST PUSH1 0 JUMP
const BURNER = '5b600056'
// Self-destructs to 0x…beef
const DESTRUCT = '61beefff'

t.test('callTracer and prestateTracer agree with anvil', { timeout: 240_000 }, async (t) => {
  if (!existsSync(ANVIL)) {
    t.fail(`anvil binary missing at ${ANVIL}: run npm ci (devDependency @foundry-rs/anvil-linux-amd64)`)
    return
  }
  const anvilPort = await freePort()
  const anvil: ChildProcess = spawn(ANVIL, ['--port', String(anvilPort), '--host', '127.0.0.1', '--chain-id', '1337', '--hardfork', 'prague', '--silent'], { stdio: 'ignore' })
  const dir = mkdtempSync(join(tmpdir(), 'parallax-trace-anvil-'))
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--datadir', dir, '--http.port', '0', '--authrpc.port', '0', '--http.api', 'eth,net,web3,debug,trace'])
  t.teardown(async () => {
    await node.stop()
    anvil.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })
  const anvilUrl = `http://127.0.0.1:${anvilPort}`
  const parallaxUrl = node.http!.url
  for (let i = 0; ; i++) {
    try {
      await rpc(anvilUrl, 'eth_chainId', [])
      break
    } catch (err) {
      if (i > 100) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  const account = privateKeyToAccount(DEV_PRIVATE_KEYS[0]!)
  let nonce = 0
  const gasPrice = 5_000_000_000n
  const sent: { label: string; hash: string }[] = []
  const send = async (label: string, tx: { to?: Hex; data?: Hex; value?: bigint; gas: bigint }): Promise<void> => {
    const raw = await account.signTransaction({ type: 'legacy', chainId: 1337, nonce: nonce++, gasPrice, gas: tx.gas, ...(tx.to !== undefined ? { to: tx.to } : {}), data: tx.data ?? '0x', value: tx.value ?? 0n })
    const hashes = await Promise.all([rpc(anvilUrl, 'eth_sendRawTransaction', [raw]), rpc(parallaxUrl, 'eth_sendRawTransaction', [raw])])
    t.equal(hashes[0], hashes[1], `${label}: same transaction hash`)
    for (const url of [anvilUrl, parallaxUrl]) {
      for (let i = 0; (await rpc(url, 'eth_getTransactionReceipt', [hashes[0]!])) === null; i++) {
        if (i > 200) throw new Error(`${label}: no receipt from ${url}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    sent.push({ label, hash: hashes[0] as string })
  }
  const created = (n: number): Hex => getContractAddress({ from: account.address, nonce: BigInt(n) })

  const logStore = created(0)
  await send('deploy log+store target', { data: `0x${deployLong(LOG_STORE)}`, gas: 200_000n })
  const reverter = created(1)
  await send('deploy reverter', { data: `0x${deployLong(REVERTER)}`, gas: 200_000n })
  const burner = created(2)
  await send('deploy burner', { data: `0x${deployer(BURNER)}`, gas: 100_000n })
  const destruct = created(3)
  await send('deploy self-destructor', { data: `0x${deployer(DESTRUCT)}`, gas: 100_000n })
  const child = deployer('602a60005260206000f3') // runtime: return 42
  const main =
    memRight(hex(0x42, 1)) +
    call('f1', logStore, 'all') + // CALL: storage write + log
    call('fa', logStore, 30_000) + // STATICCALL: SSTORE → write protection (burns what it is given)
    call('f4', logStore, 'all') + // DELEGATECALL: writes main's storage, logs as main
    call('f1', reverter, 'all') + // revert with a reason
    call('f1', burner, 50_000) + // out of gas inside a sub-call
    memRight(hex(0x42, 1)) +
    call('fa', '0x0000000000000000000000000000000000000002', 'all') + // sha256 precompile
    call('f1', '0x0000000000000000000000000000000000000004', 'all', 0, 0, 32) + // identity precompile
    call('f1', destruct, 'all', 7) + // value to an old contract that self-destructs (EIP-6780: balance moves only)
    memRight(child) + pushN(child.length / 2) + pushN(32 - child.length / 2) + pushN(0) + 'f0' + '50' + // CREATE
    memRight(child) + pushN(0x99) + pushN(child.length / 2) + pushN(32 - child.length / 2) + pushN(0) + 'f5' + '50' + // CREATE2
    memRight(DESTRUCT) + pushN(DESTRUCT.length / 2) + pushN(32 - DESTRUCT.length / 2) + pushN(3) + 'f0' + '50' + // CREATE of a constructor that self-destructs
    '00'
  const mainAddress = created(4)
  await send('deploy orchestrator', { data: `0x${deployLong(main)}`, gas: 500_000n })
  await send('orchestrator: every kind of frame', { to: mainAddress, value: 1000n, gas: 1_000_000n })
  await send('top-level revert with reason', { to: reverter, gas: 100_000n })
  await send('top-level out of gas', { to: burner, gas: 60_000n })
  await send('plain transfer', { to: '0x000000000000000000000000000000000000dead', value: 12345n, gas: 21_000n })
  await send('orchestrator again (warm storage, old contracts)', { to: mainAddress, value: 1n, gas: 1_000_000n })

  const coinbaseOf = async (url: string, hash: string): Promise<string> => {
    const r = (await rpc(url, 'eth_getTransactionReceipt', [hash])) as { blockHash: string }
    const b = (await rpc(url, 'eth_getBlockByHash', [r.blockHash, false])) as { miner: string }
    return b.miner.toLowerCase()
  }
  const dropCoinbase = (v: Json, coinbase: string): Json => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const out: Record<string, Json> = {}
    for (const [k, x] of Object.entries(v)) if (k.toLowerCase() !== coinbase) out[k] = x
    return out
  }
  const configs: { name: string; config: Json; prestate: boolean }[] = [
    { name: 'callTracer withLog', config: { tracer: 'callTracer', tracerConfig: { withLog: true } }, prestate: false },
    { name: 'prestateTracer', config: { tracer: 'prestateTracer' }, prestate: true },
    { name: 'prestateTracer diffMode', config: { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }, prestate: true },
  ]
  /** The targets of frames that reverted (and nothing else in the tree). */
  const revertedOnly = (frame: Json): Set<string> => {
    const reverted = new Set<string>()
    const other = new Set<string>()
    const walk = (v: Json): void => {
      const f = v as { to?: string; from?: string; error?: string; calls?: Json[] }
      if (f.to !== undefined) (f.error === 'execution reverted' ? reverted : other).add(f.to.toLowerCase())
      if (f.from !== undefined) other.add(f.from.toLowerCase())
      for (const c of f.calls ?? []) walk(c)
    }
    walk(frame)
    return new Set([...reverted].filter((a) => !other.has(a)))
  }
  /** The addresses a call tree created (CREATE/CREATE2 frames that succeeded). */
  const createdBy = (frame: Json, out = new Set<string>()): Set<string> => {
    const f = frame as { type?: string; to?: string; error?: string; calls?: Json[] }
    if ((f.type === 'CREATE' || f.type === 'CREATE2') && f.to !== undefined) out.add(f.to.toLowerCase())
    for (const c of f.calls ?? []) createdBy(c, out)
    return out
  }
  for (const { label, hash } of sent) {
    let created = new Set<string>()
    let reverted = new Set<string>()
    const cbA = await coinbaseOf(anvilUrl, hash)
    const cbP = await coinbaseOf(parallaxUrl, hash)
    for (const { name, config, prestate } of configs) {
      let a = await rpc(anvilUrl, 'debug_traceTransaction', [hash, config])
      let p = await rpc(parallaxUrl, 'debug_traceTransaction', [hash, config])
      if (name.startsWith('callTracer')) {
        created = createdBy(a)
        reverted = revertedOnly(a)
        const fix = (v: Json): void => {
          const f = v as { error?: string; to?: string; calls?: Json[] }
          if (f.error === 'StateChangeDuringStaticCall') f.error = 'write protection'
          if (f.error === 'CreateCollision') f.error = 'contract address collision'
          if (f.error === 'contract address collision') delete f.to
          for (const c of f.calls ?? []) fix(c)
        }
        fix(a)
        fix(p)
      }
      if (prestate) {
        if (name.includes('diff')) {
          const da = a as { pre: Json; post: Json }
          const dp = p as { pre: Json; post: Json }
          const zero = `0x${'0'.repeat(64)}`
          for (const acc of Object.values(dp.pre as Record<string, { storage?: Record<string, string> }>)) {
            if (acc.storage === undefined) continue
            for (const [k, v] of Object.entries(acc.storage)) if (v === zero) delete acc.storage[k]
            if (Object.keys(acc.storage).length === 0) delete acc.storage
          }
          a = { pre: dropCoinbase(da.pre, cbA), post: dropCoinbase(da.post, cbA) }
          p = { pre: dropCoinbase(dp.pre, cbP), post: dropCoinbase(dp.post, cbP) }
        } else {
          const emptyCreated = Object.entries(a as Record<string, Json>).filter(([k, v]) => created.has(k.toLowerCase()) && JSON.stringify(v) === '{"balance":"0x0"}')
          for (const [k] of emptyCreated) delete (a as Record<string, Json>)[k]
          for (const k of Object.keys(p as Record<string, Json>)) if (reverted.has(k.toLowerCase()) && !(k in (a as Record<string, Json>))) delete (p as Record<string, Json>)[k]
          a = dropCoinbase(a, cbA)
          p = dropCoinbase(p, cbP)
        }
      }
      t.strictSame(p, a, `${label}: ${name}`)
    }
    const [pa, pp] = await Promise.all([rpc(anvilUrl, 'trace_transaction', [hash]), rpc(parallaxUrl, 'trace_transaction', [hash])])
    t.strictSame(parityComparable(pp), parityComparable(pa), `${label}: trace_transaction`)
    const blockOf = async (url: string): Promise<string> => ((await rpc(url, 'eth_getTransactionReceipt', [hash])) as { blockNumber: string }).blockNumber
    const [ba, bp] = await Promise.all([rpc(anvilUrl, 'trace_block', [await blockOf(anvilUrl)]), rpc(parallaxUrl, 'trace_block', [await blockOf(parallaxUrl)])])
    t.strictSame(parityComparable(bp), parityComparable(ba), `${label}: trace_block`)
    const [ra, rp] = await Promise.all([
      rpc(anvilUrl, 'trace_replayBlockTransactions', [await blockOf(anvilUrl), ['trace', 'stateDiff']]),
      rpc(parallaxUrl, 'trace_replayBlockTransactions', [await blockOf(parallaxUrl), ['trace', 'stateDiff']]),
    ])
    const replayComparable = (v: Json, coinbase: string, dropPrecompiles: boolean): Json =>
      (v as Record<string, Json>[]).map((r) => ({
        ...r,
        trace: parityComparable(dropPrecompiles ? withoutPrecompileCalls(r['trace']!) : r['trace']!),
        stateDiff: dropCoinbase(r['stateDiff']!, coinbase),
      }))
    t.strictSame(replayComparable(rp, cbP, true), replayComparable(ra, cbA, false), `${label}: trace_replayBlockTransactions (trace, stateDiff)`)
  }
  const filter = { fromBlock: '0x1', toBlock: await rpc(parallaxUrl, 'eth_blockNumber', []), toAddress: [mainAddress.toLowerCase()] }
  const [fa, fp] = await Promise.all([rpc(anvilUrl, 'trace_filter', [filter]), rpc(parallaxUrl, 'trace_filter', [filter])])
  t.ok((fp as Json[]).length > 0, 'trace_filter finds the calls to the orchestrator')
  t.strictSame(parityComparable(fp), parityComparable(fa), 'trace_filter by toAddress')
  t.ok(KNOWN_DIFFERENCES.length > 0)
})
