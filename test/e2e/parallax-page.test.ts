// The parallelism page (/parallax, --http.parallax) in a real browser: headless Chromium (Debian's
// `chromium` package, driven through puppeteer-core) loads it from a dev node with traffic; a
// screenshot is taken; the DAG drawn for the latest block has exactly the nodes (transactions) and
// edges (dependencies) that parallax_blockParallelism reports for it; and when a new block arrives
// the page draws it on top without a reload; pointed at another origin's RPC (?rpc=) it works the same.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer from 'puppeteer-core'
import t from 'tap'
import { CHROMIUM_MISSING, findChromium } from '../helpers/chromium.ts'
import { startNodeProcess } from '../helpers/node-process.ts'
import type { RpcClient } from '../helpers/rpc-client.ts'

interface Report { number: number; hash: string; txCount: number; dependencies: number; transactions: { dependsOn: { keys: string[] }[] }[] }

/** Contracts (accounts) some transaction waited on. */
const contended = (r: Report): number => new Set(r.transactions.flatMap((tx) => tx.dependsOn.flatMap((d) => d.keys.map((k) => k.split('.')[0])))).size

/** Pools several transactions with dependencies (a same-sender chain, credits then a send) and mines them in one block. */
async function blockWithTraffic(rpc: RpcClient, accounts: string[], round: number): Promise<Report> {
  await rpc.call('evm_setAutomine', [false])
  const send = (from: string, to: string, value: number): Promise<unknown> => rpc.call('eth_sendTransaction', [{ from, to, gas: '0x5208', value: `0x${(value + round).toString(16)}` }]) // gas given: no eth_estimateGas
  for (let i = 0; i < 3; i++) await send(accounts[0]!, accounts[8]!, 1 + i) // chain through account 0's nonce and balance
  await send(accounts[1]!, accounts[2]!, 5) // a credit to account 2 ...
  await send(accounts[2]!, accounts[9]!, 7) // ... which then sends
  await send(accounts[3]!, accounts[7]!, 9) // independent
  // Six: under the parallel executor's 8-transaction threshold. (Tried with nine: the dev node's
  // first two evm_mine blocks came out empty while the payload with the nine was sealed through the
  // parallel executor, 4 s for the first as its workers started.)
  await rpc.call('evm_mine', [])
  const r = (await rpc.call('parallax_blockParallelism', ['latest'])) as Report
  return r
}

t.test('the /parallax page draws the latest block\'s DAG and follows new blocks', async (t) => {
  const chromium = findChromium()
  if (chromium === undefined) {
    t.fail(CHROMIUM_MISSING)
    return
  }
  const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0', '--http.parallax', '--metrics', '--metrics.port', '0', '--http.corsdomain', '*'])
  t.teardown(() => node.stop())
  const rpc = node.http!
  const accounts = (await rpc.call('eth_accounts', [])) as string[]
  const first = await blockWithTraffic(rpc, accounts, 0)
  t.ok(first.txCount >= 6, `the block holds the traffic (${first.txCount} txs)`)
  t.ok(first.dependencies >= 3, `with dependencies (${first.dependencies})`)

  // Bad input gets a JSON-RPC error, keys come on request.
  const err = async (params: unknown[]): Promise<number | undefined> => (await rpc.raw('parallax_blockParallelism', params)).error?.code
  t.equal(await err([]), -32602, 'no block: invalid params')
  t.equal(await err(['0xzz']), -32602, 'a bad block number: invalid params')
  t.equal(await err(['latest', { keys: 'yes' }]), -32602, 'a bad option: invalid params')
  t.equal(await err(['latest', { colour: true }]), -32602, 'an unknown option: invalid params')
  t.equal(await err(['0xffff']), -32000, 'an unknown block: server error')
  const withKeys = (await rpc.call('parallax_blockParallelism', [first.hash, { keys: true }])) as { transactions: { reads: { keys?: string[] } }[] }
  t.ok(withKeys.transactions.every((x) => Array.isArray(x.reads.keys) && x.reads.keys.length > 0), 'by hash, with the keys')

  const profile = mkdtempSync(join(tmpdir(), 'parallax-chromium-'))
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, userDataDir: profile, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] })
  t.teardown(async () => {
    await browser.close()
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 })
    } catch {
      // Chromium's helpers may still write the profile: it stays in the temp dir
    }
  })
  const page = await browser.newPage()
  await page.setViewport({ width: 1100, height: 800 })
  const url = node.http!.url.replace(/\/?$/, '/parallax?interval=300')
  await page.goto(url, { waitUntil: 'load' })
  // Page-side code as strings: the test is compiled without the DOM's types.
  const latest = (n: number): Promise<unknown> => page.waitForFunction(`document.querySelector('section.block')?.getAttribute('data-number') === '${n}'`, { timeout: 30_000 })
  await latest(first.number)
  interface Drawn { number: string | null; hash: string | null; nodes: number; edges: number; blocks: number; hot: number }
  const drawn = async (): Promise<Drawn> =>
    (await page.evaluate(`(() => {
      const top = document.querySelector('section.block')
      return { number: top.getAttribute('data-number'), hash: top.getAttribute('data-hash'), nodes: top.querySelectorAll('.dag-node').length, edges: top.querySelectorAll('.dag-edge').length, hot: top.querySelectorAll('.hot-contract').length, blocks: document.querySelectorAll('section.block').length }
    })()`)) as Drawn
  const d1 = await drawn()
  t.equal(d1.hash, first.hash, 'the latest block is drawn on top')
  t.equal(d1.nodes, first.txCount, 'one DAG node per transaction')
  t.equal(d1.edges, first.dependencies, 'one DAG edge per dependency')
  t.equal(d1.hot, Math.min(5, contended(first)), 'the hot contracts listed')
  t.ok(d1.hot > 0)

  const second = await blockWithTraffic(rpc, accounts, 1)
  await latest(second.number)
  const d2 = await drawn()
  t.equal(d2.hash, second.hash, 'the new block appears without a reload')
  t.equal(d2.nodes, second.txCount)
  t.equal(d2.edges, second.dependencies)
  t.ok(d2.blocks >= 2, 'earlier blocks stay listed below')

  // Against another node (as against a replica): the page only calls parallax_blockParallelism, here
  // at another origin (localhost instead of 127.0.0.1, allowed by --http.corsdomain).
  const other = await browser.newPage()
  await other.goto(`${url}&rpc=${encodeURIComponent(node.http!.url.replace('127.0.0.1', 'localhost'))}`, { waitUntil: 'load' })
  await other.waitForFunction(`document.querySelector('section.block')?.getAttribute('data-hash') === '${second.hash}'`, { timeout: 30_000 })
  t.pass('the page drew the latest block through another origin\'s RPC')

  // The node's metrics analysed both blocks (the monitor of new blocks, in the call workers).
  const line = node.logs().split('\n').find((l) => l.includes('"msg":"Metrics server started"'))!
  const endpoint = (JSON.parse(line) as { endpoint: string }).endpoint
  const scrape = async (): Promise<string> => (await fetch(endpoint)).text()
  let text = await scrape()
  for (let i = 0; i < 100 && !/parallax_parallelism_critical_path_ratio_count 2\b/.test(text); i++) {
    await new Promise((r) => setTimeout(r, 200))
    text = await scrape()
  }
  t.match(text, /parallax_parallelism_critical_path_ratio_count 2\b/, 'both blocks in the critical-path histogram')
  t.match(text, /parallax_parallelism_contended_contract_dependents\{contract="0x[0-9a-f]{40}"\} \d+/, 'contended contracts exported')
  const shots = process.env['PARALLAX_SCREENSHOT_DIR'] ?? profile
  const shot = join(shots, 'parallax-page.png')
  await page.screenshot({ path: shot, fullPage: true })
  t.ok(statSync(shot).size > 5_000, 'a screenshot was taken')
})
