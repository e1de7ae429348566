// Subscription load check (issue 12): a real `parallax node --dev --ws` making a block every second,
// with Ping transactions sent all along so every block has logs; N raw WebSocket subscribers
// (newHeads + logs each) and one subscriber that never reads. Checks that every subscriber gets every
// head once and in order and every log, that the node's RSS stays flat, and that the never-reading
// subscriber is dropped (-32005) without harming the others. Prints a summary; exits 1 if a check fails.
//   npm run load:ws -- --seconds 60 --subscribers 200
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startNodeProcess } from '../helpers/node-process.ts'
import { PING_INIT, word, wsUrl } from '../helpers/ping-contract.ts'
import { until, WsSubscriber } from '../helpers/ws-subscriber.ts'

const ACCOUNT0 = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
/** The never-reading client's subscriptions (the node's per-connection cap): enough traffic to pass the 8 MiB buffer limit within a few blocks. */
const SLOW_SUBSCRIPTIONS = 1000
/**
 * RSS is flat when the last sample is within this fraction of the first sample after warm-up. V8's
 * heap grows and shrinks in steps between major GCs, so a healthy node's RSS moves by a few tens of
 * MB around ~300 MB (well under 25%); a per-subscriber queue that grows (what the check is for) would
 * hold the never-reader's ~1 MB of notifications per transaction-carrying block, hundreds of MB
 * over a minute, far past 25%.
 */
const RSS_TOLERANCE = 0.25

export interface LoadOptions {
  seconds: number
  subscribers: number
  /** Transactions sent per second (each one log). */
  txPerSecond?: number
  /** RSS sample interval, ms. */
  sampleMs?: number
  log?: (line: string) => void
}

export interface LoadSummary {
  seconds: number
  subscribers: number
  blocks: number
  txSent: number
  /** Heads of the load's blocks (after the block current when every subscriber was set up). */
  headsPerSubscriber: { min: number; max: number }
  logsPerSubscriber: { min: number; max: number; want: number }
  orderViolations: number
  duplicates: number
  gaps: number
  subscriberErrors: number
  slowDropped: boolean
  slowErrorCode: number | undefined
  rssMiB: { first: number; afterWarmup: number; last: number; max: number; samples: number }
  failures: string[]
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  if (line === undefined) throw new Error(`no VmRSS for pid ${pid}`)
  return Math.round(Number(line.split(/\s+/)[1]) / 1024)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function runWsLoad(opts: LoadOptions): Promise<LoadSummary> {
  const say = opts.log ?? (() => undefined)
  const txPerSecond = opts.txPerSecond ?? 4
  const sampleMs = opts.sampleMs ?? 3000
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '1', '--http.port', '0', '--authrpc.port', '0', '--ws', '--ws.port', '0', '--rpc.evmtimeout', '60s'])
  const clients: WsSubscriber[] = []
  try {
    const rpc = node.http!
    const pid = node.child.pid!
    const blockNumber = async (): Promise<number> => Number((await rpc.call('eth_blockNumber', [])) as string)
    const deploy = (await rpc.call('eth_sendTransaction', [{ from: ACCOUNT0, data: PING_INIT }])) as string
    const address = await until('the Ping contract', async () => ((await rpc.call('eth_getTransactionReceipt', [deploy])) as { contractAddress: string } | null)?.contractAddress)
    say(`node pid ${pid}, Ping at ${address}; connecting ${opts.subscribers} subscribers`)

    const url = wsUrl(node)
    for (let i = 0; i < opts.subscribers; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, opts.subscribers - i) }, () => WsSubscriber.connect(url)))
      for (const c of batch) {
        c.subscribe('newHeads')
        c.subscribe('logs', { address })
      }
      clients.push(...batch)
    }
    const slow = await WsSubscriber.connect(url)
    for (let i = 0; i < SLOW_SUBSCRIPTIONS; i++) slow.subscribe('logs', { address })
    await until('every subscription id', () => (clients.every((c) => c.answered === 2) && slow.answered === SLOW_SUBSCRIPTIONS ? true : undefined))
    slow.ws.pause() // never reads again: the node's unsent bytes for it grow until it is dropped

    const startBlock = await blockNumber()
    const rss: number[] = []
    const sampler = setInterval(() => rss.push(rssMiB(pid)), sampleMs)
    rss.push(rssMiB(pid))
    let txSent = 0
    let sendErrors = 0
    const sendErrorSamples = new Set<string>()
    const end = Date.now() + opts.seconds * 1000
    say(`load from block ${startBlock} for ${opts.seconds} s, ${txPerSecond} tx/s`)
    while (Date.now() < end) {
      const t0 = Date.now()
      const n = txSent
      txSent += txPerSecond
      const sent = await Promise.allSettled(Array.from({ length: txPerSecond }, (_, k) => rpc.call('eth_sendTransaction', [{ from: ACCOUNT0, to: address, data: word(n + k) }])))
      for (const s of sent) if (s.status === 'rejected') sendErrors++, sendErrorSamples.add(String(s.reason))
      await sleep(Math.max(0, 1000 - (Date.now() - t0)))
    }
    txSent -= sendErrors
    await until('the pool to drain', async () => (BigInt(((await rpc.call('txpool_status', [])) as { pending: string }).pending) === 0n ? true : undefined))
    const last = await blockNumber()
    await until('every subscriber at the last head', () => (clients.every((c) => (c.heads.at(-1)?.number ?? 0) >= last) ? true : undefined))
    rss.push(rssMiB(pid))
    clearInterval(sampler)

    const slowDropped = node.logs().includes('Dropped the subscriptions of a WebSocket client that does not read')
    slow.ws.resume()
    const slowError = await until('the slow subscriber reading its drop notice', () => slow.errors[0], 30_000).catch(() => undefined)

    let orderViolations = 0
    let duplicates = 0
    let gaps = 0
    for (const c of clients) {
      const seen = new Set<number>()
      c.heads.forEach((h, i) => {
        if (seen.has(h.number)) duplicates++
        seen.add(h.number)
        const prev = c.heads[i - 1]
        if (prev !== undefined && h.number < prev.number) orderViolations++
        if (prev !== undefined && h.number > prev.number + 1) gaps++
      })
      if (c.heads[0] !== undefined && c.heads[0].number > startBlock + 1) gaps++
    }
    // Subscribers connected while blocks were coming, so each counts the heads of the load's blocks.
    const heads = clients.map((c) => c.heads.filter((h) => h.number > startBlock && h.number <= last).length)
    const logs = clients.map((c) => c.logs.filter((l) => !l.removed).length)
    const warmIndex = Math.min(rss.length - 1, Math.ceil(rss.length / 4))
    const summary: LoadSummary = {
      seconds: opts.seconds,
      subscribers: opts.subscribers,
      blocks: last - startBlock,
      txSent,
      headsPerSubscriber: { min: Math.min(...heads), max: Math.max(...heads) },
      logsPerSubscriber: { min: Math.min(...logs), max: Math.max(...logs), want: txSent },
      orderViolations,
      duplicates,
      gaps,
      subscriberErrors: clients.reduce((n, c) => n + c.errors.length, 0),
      slowDropped,
      slowErrorCode: slowError?.code,
      rssMiB: { first: rss[0]!, afterWarmup: rss[warmIndex]!, last: rss.at(-1)!, max: Math.max(...rss), samples: rss.length },
      failures: [],
    }
    const f = summary.failures
    if (summary.headsPerSubscriber.min !== summary.blocks || summary.headsPerSubscriber.max !== summary.blocks) f.push(`heads per subscriber ${summary.headsPerSubscriber.min}..${summary.headsPerSubscriber.max}, want ${summary.blocks}`)
    if (orderViolations + duplicates + gaps > 0) f.push(`order violations ${orderViolations}, duplicates ${duplicates}, gaps ${gaps}`)
    if (summary.logsPerSubscriber.min !== txSent || summary.logsPerSubscriber.max !== txSent) f.push(`logs per subscriber ${summary.logsPerSubscriber.min}..${summary.logsPerSubscriber.max}, want ${txSent}`)
    if (sendErrors > 0) f.push(`${sendErrors} eth_sendTransaction calls failed (${[...sendErrorSamples].slice(0, 3).join(' | ')})`)
    if (summary.subscriberErrors > 0) f.push(`${summary.subscriberErrors} errors on reading subscribers`)
    if (!slowDropped || slowError?.code !== -32005) f.push(`the never-reading subscriber was not dropped with -32005 (log line: ${slowDropped}, error: ${JSON.stringify(slowError)})`)
    const r = summary.rssMiB
    if (Math.abs(r.last - r.afterWarmup) > RSS_TOLERANCE * r.afterWarmup) f.push(`RSS not flat: ${r.afterWarmup} MiB after warm-up, ${r.last} MiB at the end`)
    return summary
  } finally {
    for (const c of clients) c.close()
    await node.stop()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, subscribers: { type: 'string', default: '200' }, 'tx-per-second': { type: 'string', default: '4' } } })
  const s = await runWsLoad({ seconds: Number(values.seconds), subscribers: Number(values.subscribers), txPerSecond: Number(values['tx-per-second']), log: (l) => console.log(l) })
  const r = s.rssMiB
  console.log(
    [
      `subscribers ${s.subscribers} (newHeads + logs) for ${s.seconds} s: ${s.blocks} blocks, ${s.txSent} transactions (one log each)`,
      `heads per subscriber (load blocks): ${s.headsPerSubscriber.min}..${s.headsPerSubscriber.max} (want ${s.blocks}); order violations ${s.orderViolations}, duplicates ${s.duplicates}, gaps ${s.gaps}`,
      `logs per subscriber: ${s.logsPerSubscriber.min}..${s.logsPerSubscriber.max} (want ${s.logsPerSubscriber.want}); errors on reading subscribers ${s.subscriberErrors}`,
      `never-reading subscriber (${SLOW_SUBSCRIPTIONS} logs subscriptions): ${s.slowDropped ? 'dropped' : 'NOT dropped'}, error code ${s.slowErrorCode ?? 'none'}`,
      `node RSS MiB: first ${r.first}, after warm-up ${r.afterWarmup}, last ${r.last}, max ${r.max} (${r.samples} samples; flat = last within ${RSS_TOLERANCE * 100}% of after warm-up)`,
      s.failures.length === 0 ? 'PASS' : `FAIL: ${s.failures.join('; ')}`,
    ].join('\n'),
  )
  process.exitCode = s.failures.length === 0 ? 0 : 1
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
