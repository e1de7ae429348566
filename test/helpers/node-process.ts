// A real `parallax node` process for e2e tests: waits for "Engine API started" (json logs) and
// gives an RpcClient with the JWT; close() sends SIGINT and waits for exit.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './fixtures.ts'
import { RpcClient } from './rpc-client.ts'

export const BIN = join(REPO_ROOT, 'bin', 'parallax.js')

export interface NodeProcess {
  child: ChildProcess
  engine: RpcClient
  http: RpcClient | undefined
  logs: () => string
  /** SIGINT, then resolves with the exit code and how long the shutdown took. */
  stop(): Promise<{ code: number | null; ms: number }>
}

export async function startNodeProcess(args: string[], secret?: Uint8Array, timeoutMs = 60_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, [BIN, '--log.format', 'json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let buf = ''
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString()
  })
  const urlOf = (msg: string): string | undefined => {
    const line = buf.split('\n').find((l) => l.includes(`"msg":"${msg}"`) && l.includes('"url":'))
    return line === undefined ? undefined : (JSON.parse(line) as { url: string }).url
  }
  await new Promise<void>((resolve, reject) => {
    const started = Date.now()
    const timer = setInterval(() => {
      if (buf.includes('"msg":"Node started"')) {
        clearInterval(timer)
        resolve()
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer)
        reject(new Error(`node did not start:\n${buf}`))
      }
    }, 50)
    child.once('exit', (code) => {
      clearInterval(timer)
      reject(new Error(`node exited with ${code}:\n${buf}`))
    })
  })
  const engineUrl = urlOf('Engine API started')!
  const httpUrl = urlOf('HTTP server started')
  return {
    child,
    engine: new RpcClient(engineUrl, secret),
    http: httpUrl === undefined ? undefined : new RpcClient(httpUrl),
    logs: () => buf,
    async stop() {
      const t0 = Date.now()
      if (child.exitCode !== null) return { code: child.exitCode, ms: 0 }
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
      child.kill('SIGINT')
      const code = await exited
      return { code, ms: Date.now() - t0 }
    },
  }
}
