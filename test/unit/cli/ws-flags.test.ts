// The --ws flags: geth's names and defaults (off, 127.0.0.1:8546, eth,net,web3, localhost origins),
// values read, a bad port refused before the node starts.
import { Writable } from 'node:stream'
import t from 'tap'
import type { NodeFlags } from '../../../src/cli/flags.ts'
import { main } from '../../../src/cli/main.ts'

async function nodeFlags(args: string[]): Promise<{ code: number; stderr: string; flags: Partial<NodeFlags> | undefined }> {
  let flags: Partial<NodeFlags> | undefined
  let stderr = ''
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((stderr += c.toString()), cb()) })
  const code = await main(['node', ...args, '--verbosity', '0'], { stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr: sink, handleSignals: false, commands: { nodeCommand: async (o) => void (flags = o.flags) } })
  return { code, stderr, flags }
}

t.test('defaults are geth\'s', async (t) => {
  t.same((await nodeFlags([])).flags?.ws, { enabled: false, addr: '127.0.0.1', port: 8546, api: ['eth', 'net', 'web3'], origins: [] })
})

t.test('values are read', async (t) => {
  const r = await nodeFlags(['--ws', '--ws.addr', '0.0.0.0', '--ws.port', '9546', '--ws.api', 'eth, txpool', '--ws.origins', 'http://a.example,*'])
  t.same(r.flags?.ws, { enabled: true, addr: '0.0.0.0', port: 9546, api: ['eth', 'txpool'], origins: ['http://a.example', '*'] })
})

t.test('a bad port: Fatal, exit 1', async (t) => {
  for (const port of ['70000', 'x', '-1']) {
    const r = await nodeFlags(['--ws', '--ws.port', port])
    t.equal(r.code, 1, port)
    t.equal(r.flags, undefined, 'the node did not start')
  }
})
