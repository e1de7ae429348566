// A browser dapp on another origin calls the node: a static page served on one port is loaded by
// headless Chromium (Debian's `chromium` package) and POSTs eth_chainId (JSON, so the browser sends
// an OPTIONS preflight) to the node's --http port. With --http.corsdomain naming the page's origin
// the call succeeds; without it the browser refuses the response. The page reports back to the
// static server, so the test reads what the browser saw.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CHROMIUM_MISSING, findChromium } from '../helpers/chromium.ts'
import { startNodeProcess } from '../helpers/node-process.ts'

interface PageServer {
  origin: string
  /** Where the page sends its call (the node starts after the page server: its origin goes into --http.corsdomain). */
  nodeUrl: string
  report: Promise<string>
  close(): Promise<void>
}

/** Serves a page that calls `nodeUrl` and reports `ok:<result>` or `error:<name>: <message>` to /report. */
async function servePage(): Promise<PageServer> {
  let resolveReport!: (s: string) => void
  const report = new Promise<string>((r) => (resolveReport = r))
  const page = `<!doctype html><html><body><script>
    fetch('/node').then((r) => r.text()).then((url) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) }))
      .then((r) => r.json()).then((j) => 'ok:' + j.result, (e) => 'error:' + e.name + ': ' + e.message)
      .then((s) => fetch('/report?r=' + encodeURIComponent(s)))
  </script></body></html>`
  const out: PageServer = { origin: '', nodeUrl: '', report, close: async () => {} }
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/report') {
      resolveReport(url.searchParams.get('r') ?? '')
      res.writeHead(204).end()
    } else if (url.pathname === '/node') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(out.nodeUrl)
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(page)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  out.origin = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`
  out.close = () => new Promise<void>((r) => {
    server.closeAllConnections()
    server.close(() => r())
  })
  return out
}

/** Loads `url` in headless Chromium until the page reports (or 60 s pass). */
async function browse(chromium: string, page: PageServer): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'parallax-chromium-'))
  const child = spawn(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, `${page.origin}/`], { stdio: 'ignore' })
  try {
    const timeout = new Promise<string>((_, reject) => setTimeout(() => reject(new Error('the page did not report within 60 s')), 60_000).unref())
    return await Promise.race([page.report, timeout])
  } finally {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    // Chromium's helper processes can still be writing the profile when the browser has exited:
    // retry, and leave a stray temp dir rather than fail the test on its cleanup.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 })
    } catch {
      // the profile stays in the temp dir
    }
  }
}

t.test('a page on another origin calls the node from headless Chromium', async (t) => {
  const chromium = findChromium()
  if (chromium === undefined) {
    t.fail(CHROMIUM_MISSING)
    return
  }

  for (const allowed of [true, false]) {
    await t.test(allowed ? 'allowed with --http.corsdomain naming the page\'s origin' : 'refused without --http.corsdomain', async (t) => {
      const page = await servePage()
      t.teardown(() => page.close())
      const cors = allowed ? ['--http.corsdomain', `http://other.example,${page.origin}`] : []
      const node = await startNodeProcess(['node', '--dev', '--dev.period', '0', '--http.port', '0', '--authrpc.port', '0', ...cors])
      t.teardown(() => node.stop())
      page.nodeUrl = node.http!.url
      const r = await browse(chromium, page)
      if (allowed) t.equal(r, 'ok:0x539', 'the browser read eth_chainId across origins (preflight answered)')
      else t.match(r, /^error:TypeError/, `the browser refused the cross-origin response (${r})`)
    })
  }
})
