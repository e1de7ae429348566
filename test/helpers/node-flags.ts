// Runs `parallax node <args>` through the CLI with the node command replaced: the parsed NodeFlags
// (undefined when the CLI refused the arguments), the exit code and stderr.
import { Writable } from 'node:stream'
import type { NodeFlags } from '../../src/cli/flags.ts'
import { main } from '../../src/cli/main.ts'

export async function nodeFlags(args: string[]): Promise<{ code: number; stderr: string; flags: Partial<NodeFlags> | undefined }> {
  let flags: Partial<NodeFlags> | undefined
  let stderr = ''
  const stream = (collect: boolean) => new Writable({ write: (c: Buffer, _e, cb) => ((stderr += collect ? c.toString() : ''), cb()) })
  const code = await main(['node', ...args, '--verbosity', '0'], {
    stdout: stream(false),
    stderr: stream(true),
    handleSignals: false,
    commands: { nodeCommand: async (o) => void (flags = o.flags) },
  })
  return { code, stderr, flags }
}
