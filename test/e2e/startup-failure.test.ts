// A start that fails half-way (a port already taken) must not leave a live process behind: for each
// listener that can be taken (http, authrpc, metrics, p2p), a real `parallax node --dev` with that port
// held by a test server exits 1 within 2 s of its one `Fatal:` line, with nothing left open (no forced
// exit), and its temporary dev datadir removed.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { BIN } from '../helpers/node-process.ts'

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no port')
  return { server, port: addr.port }
}

interface Outcome {
  code: number | null
  stderr: string
  /** From the `Fatal:` line to the exit. */
  msAfterFatal: number
}

async function run(args: string[], limitMs: number): Promise<Outcome> {
  const child = spawn(process.execPath, [BIN, '--log.format', 'json', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  let fatalAt: number | undefined
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    if (fatalAt === undefined && /^Fatal: /m.test(stderr)) fatalAt = Date.now()
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(killer)
  return { code, stderr, msAfterFatal: fatalAt === undefined ? Infinity : Date.now() - fatalAt }
}

const listeners: { name: string; flags: (port: number) => string[] }[] = [
  { name: 'http', flags: (p) => ['--http.port', String(p)] },
  { name: 'authrpc', flags: (p) => ['--authrpc.port', String(p)] },
  { name: 'metrics', flags: (p) => ['--metrics', '--metrics.port', String(p)] },
  { name: 'p2p', flags: (p) => ['--p2p.addr', '127.0.0.1', '--port', String(p)] },
]

for (const l of listeners) {
  t.test(`${l.name} port taken`, async (t) => {
    const { server, port } = await occupy()
    t.teardown(() => new Promise<void>((r) => server.close(() => r())))
    // Every other listener on a random port; the taken one last, so it overrides.
    const args = ['node', '--dev', '--http.port', '0', '--authrpc.port', '0', '--metrics', '--metrics.port', '0', '--p2p.addr', '127.0.0.1', '--port', '0', ...l.flags(port)]
    const out = await run(args, 30_000)
    t.equal(out.code, 1, 'exit code 1 (not killed, not left running)')
    const fatal = out.stderr.split('\n').filter((line) => line.startsWith('Fatal:'))
    t.equal(fatal.length, 1, 'one Fatal line')
    t.match(fatal[0] ?? '', new RegExp(`^Fatal: cannot listen on 127\\.0\\.0\\.1:${port}\\b.*EADDRINUSE`), 'naming the address and the reason')
    t.ok(out.msAfterFatal < 2000, `exits within 2 s of the Fatal line (${out.msAfterFatal} ms)`)
    t.notMatch(out.stderr, /Forcing exit/, 'everything was closed: the process ended on its own')
    t.notMatch(out.stderr, /"level":"warn"/, 'no warning: the executor workers stopped by the shutdown are no news (they logged "worker exited (0)")')
    const temp = out.stderr.split('\n').map((line) => (line.startsWith('{') ? (JSON.parse(line) as { msg?: string; datadir?: string }) : {})).find((j) => j.msg === 'Using a temporary data directory for dev mode')?.datadir
    t.ok(temp !== undefined, 'dev mode used a temporary datadir')
    t.notOk(existsSync(temp!), 'the temporary datadir is removed')
  })
}
