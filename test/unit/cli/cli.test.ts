import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, homedir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import t from 'tap'
import { main, type CliCommands, type CliIO } from '../../../src/cli/main.ts'
import { parseNodeFlags, NODE_DEFAULTS } from '../../../src/cli/flags.ts'
import { ConfigError, UsageError } from '../../../src/util/errors.ts'
import type { NodeFlags } from '../../../src/cli/flags.ts'
import { REPO_ROOT } from '../../helpers/fixtures.ts'

const VERSION_LINE = /^Parallax\/v\d+\.\d+\.\d+[^/]*\/[a-z0-9]+-[a-z0-9]+\/node-v\d+$/

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  return { stream, text: () => chunks.join('') }
}

async function run(argv: string[], commands?: Partial<CliCommands>) {
  const stdout = sink()
  const stderr = sink()
  const io: CliIO = { stdout: stdout.stream, stderr: stderr.stream, commands, handleSignals: false }
  const code = await main(argv, io)
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

const HASH = `0x${'ab'.repeat(32)}` as const

/** The default --exec.workers: cores − 1, at least 1. */
const DEFAULT_WORKERS = Math.max(1, availableParallelism() - 1)

t.test('unknown flag: exit 1, one Fatal line naming the flag', async (t) => {
  for (const argv of [['--bogus-flag'], ['init', '--bogus-flag', 'g.json'], ['node', '--bogus-flag']]) {
    const r = await run(argv)
    t.equal(r.code, 1, argv.join(' '))
    const lines = r.stderr.split('\n').filter((l) => l !== '')
    t.equal(lines.length, 1, 'one line')
    t.match(lines[0], /^Fatal: .*--bogus-flag/)
    t.equal(r.stdout, '')
  }
})

t.test('unknown command, excess arguments, missing command, bad values are Fatal errors', async (t) => {
  for (const [argv, re] of [
    [['frobnicate'], /^Fatal: .*frobnicate/],
    [['init', 'a.json', 'b.json'], /^Fatal: .*too many arguments/],
    [[], /^Fatal: no command/],
    [['--verbosity', '7', 'node'], /^Fatal: .*--verbosity.*7/],
    [['--log.format', 'xml', 'node'], /^Fatal: .*--log\.format.*xml/],
  ] as [string[], RegExp][]) {
    const r = await run(argv)
    t.equal(r.code, 1, argv.join(' '))
    t.match(r.stderr, re)
    t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line')
  }
})

t.test('--version format', async (t) => {
  const r = await run(['--version'])
  t.equal(r.code, 0)
  const [first, second] = r.stdout.trimEnd().split('\n')
  t.match(first, VERSION_LINE)
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  t.ok(first!.startsWith(`Parallax/v${pkg.version}/`), first)
  t.ok(first!.endsWith(`/${process.platform}-${process.arch}/node-v${process.versions.node.split('.')[0]}`))
  t.match(second, /^commit: ([0-9a-f]{4,40}|unknown)$/)
})

t.test('--help lists the flags with defaults', async (t) => {
  const top = await run(['--help'])
  t.equal(top.code, 0)
  t.match(top.stdout, /--datadir <path>[\s\S]*\(default:\s+"[^"]*\.parallax"\)/)
  t.match(top.stdout, /--verbosity <level>[\s\S]*\(default: 3\)/)
  t.match(top.stdout, /--log\.format <format>[\s\S]*default:\s+"terminal"/)
  for (const cmd of ['init', 'import', 'node']) t.match(top.stdout, new RegExp(`\\b${cmd}\\b`), `lists ${cmd}`)
  const node = await run(['node', '--help'])
  t.equal(node.code, 0)
  t.match(node.stdout, /--dev[\s\S]*\(default: false\)/)
  t.match(node.stdout, /--datadir <path>/, 'global flags shown on command help')
  t.match(node.stdout, /--verbosity <level>[\s\S]*\(default: 3\)/)
  t.match(node.stdout, /--exec\.parallel \[bool\][\s\S]*\(default: true\)/)
  t.match(node.stdout, /--no-exec\.parallel +execute blocks with the sequential executor/)
  t.match(node.stdout, new RegExp(`--exec\\.workers <n>[\\s\\S]*\\(default:\\s+cores\\s+−\\s+1,\\s+${Math.max(1, availableParallelism() - 1)}\\)`))
  const imp = await run(['import', '--help'])
  t.match(imp.stdout, /--exec\.parallel \[bool\][\s\S]*--no-exec\.parallel[\s\S]*--exec\.workers <n>/, 'import has the executor flags too')
})

t.test('executor flags: parallel by default, cores − 1 workers (the main thread executes too); off switches; workers validated', async (t) => {
  t.equal(NODE_DEFAULTS.execParallel, true)
  t.equal(NODE_DEFAULTS.execWorkers, DEFAULT_WORKERS)
  const nodeFlags = async (args: string[]): Promise<{ code: number; stderr: string; flags: Partial<NodeFlags> | undefined }> => {
    let flags: Partial<NodeFlags> | undefined
    const r = await run(['node', ...args, '--verbosity', '0'], {
      nodeCommand: async (o) => {
        flags = o.flags
      },
    })
    return { code: r.code, stderr: r.stderr, flags }
  }
  const pick = (f: Partial<NodeFlags> | undefined) => ({ parallel: f?.execParallel, workers: f?.execWorkers })
  t.same(pick((await nodeFlags([])).flags), { parallel: true, workers: DEFAULT_WORKERS })
  t.same(pick((await nodeFlags(['--exec.workers', '2'])).flags), { parallel: true, workers: 2 })
  t.same(pick((await nodeFlags(['--exec.workers=3', '--exec.parallel'])).flags), { parallel: true, workers: 3 })
  t.same(pick((await nodeFlags(['--no-exec.parallel'])).flags), { parallel: false, workers: DEFAULT_WORKERS })
  t.same(pick((await nodeFlags(['--exec.parallel=false'])).flags), { parallel: false, workers: DEFAULT_WORKERS })
  t.same(pick((await nodeFlags(['--exec.parallel', 'false'])).flags), { parallel: false, workers: DEFAULT_WORKERS })
  t.same(pick((await nodeFlags(['--exec.parallel=true'])).flags), { parallel: true, workers: DEFAULT_WORKERS })
  for (const [args, re] of [
    [['--exec.workers', '0'], /^Fatal: .*--exec\.workers.*0.*expected an integer 1\.\.1024/],
    [['--exec.workers', 'two'], /^Fatal: .*--exec\.workers.*two/],
    [['--exec.workers', '1.5'], /^Fatal: .*--exec\.workers/],
    [['--exec.parallel=maybe'], /^Fatal: .*--exec\.parallel.*maybe.*expected true or false/],
  ] as [string[], RegExp][]) {
    const r = await nodeFlags(args)
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, re)
    t.equal(r.flags, undefined, 'the node does not start')
  }
  t.throws(() => parseNodeFlags({ 'exec.workers': 0 }), UsageError)
  t.throws(() => parseNodeFlags({ 'exec.workers': 2.5 }), UsageError)
  t.equal(parseNodeFlags({ 'exec.parallel': false }).execParallel, false)

  const importExec = async (args: string[]) => {
    let exec: unknown
    const r = await run(['import', ...args, 'a.rlp', '--verbosity', '0'], {
      importCommand: async (o) => {
        exec = o.exec
        return { imported: 0, skipped: 0, head: { number: 0n, hash: HASH } }
      },
    })
    t.equal(r.code, 0, args.join(' '))
    return exec
  }
  t.same(await importExec([]), { parallel: true, workers: DEFAULT_WORKERS })
  t.same(await importExec(['--no-exec.parallel', '--exec.workers', '2']), { parallel: false, workers: 2 })
  t.same(await importExec(['--exec.parallel=false']), { parallel: false, workers: DEFAULT_WORKERS })
})

t.test('init: global flags before or after the command; hash on stdout', async (t) => {
  for (const argv of [
    ['--datadir', '/tmp/px-a', 'init', 'dev'],
    ['init', '--datadir', '/tmp/px-a', 'dev'],
    ['init', 'dev', '--datadir=/tmp/px-a'],
  ]) {
    const seen: { datadir?: string; genesis?: string } = {}
    const r = await run([...argv, '--verbosity', '0'], {
      initCommand: async (o) => {
        seen.datadir = o.datadir
        seen.genesis = o.genesis
        return { genesisHash: HASH, stateRoot: HASH, chainId: 1337n, created: true, configChanges: [] }
      },
    })
    t.equal(r.code, 0, argv.join(' '))
    t.equal(seen.datadir, '/tmp/px-a')
    t.equal(seen.genesis, 'dev')
    t.equal(r.stdout, `${HASH}\n`)
    t.equal(r.stderr, '', 'verbosity 0: no logs')
  }
})

t.test('init logs the genesis hash like geth; default datadir is per user', async (t) => {
  let datadir = ''
  const r = await run(['init', 'dev'], {
    initCommand: async (o) => {
      datadir = o.datadir
      return { genesisHash: HASH, stateRoot: HASH, chainId: 1337n, created: true, configChanges: [] }
    },
  })
  t.equal(r.code, 0)
  t.equal(datadir, join(homedir(), '.parallax'))
  t.match(r.stderr, new RegExp(`^INFO .*Successfully wrote genesis state +hash=${HASH}`, 'm'))
})

t.test('typed errors: Fatal line, exit 1, no stack', async (t) => {
  const r = await run(['--verbosity', '5', 'init', 'nope.json'], {
    initCommand: async () => {
      throw new ConfigError('genesis file nope.json: not found')
    },
  })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'Fatal: genesis file nope.json: not found\n')
})

t.test('unexpected errors: Fatal line; stack only at verbosity >= 4', async (t) => {
  const boom = async (): Promise<never> => {
    throw new Error('disk on fire')
  }
  const quiet = await run(['node'], { nodeCommand: boom })
  t.equal(quiet.code, 1)
  t.equal(quiet.stderr, 'Fatal: disk on fire\n')
  const loud = await run(['--verbosity', '4', 'node'], { nodeCommand: boom })
  t.equal(loud.code, 1)
  t.match(loud.stderr, /^Fatal: disk on fire\nError: disk on fire\n\s+at /m)
})

t.test('node gets datadir, logger and a live signal; --dev parses', async (t) => {
  let got: { datadir: string; aborted: boolean } | undefined
  const r = await run(['node', '--dev', '--datadir', '/tmp/px-n', '--verbosity', '0'], {
    nodeCommand: async (o) => {
      got = { datadir: o.datadir, aborted: o.signal.aborted }
      o.logger.info('hello')
    },
  })
  t.equal(r.code, 0)
  t.same(got, { datadir: '/tmp/px-n', aborted: false })
  t.equal(r.stderr, '')
  t.same(parseNodeFlags({ dev: true }), { ...NODE_DEFAULTS, dev: true })
  t.equal(parseNodeFlags({ 'authrpc.port': 9551 }).authrpcPort, 9551)
  t.same(parseNodeFlags({ 'http.api': 'eth, net' }).httpApi, ['eth', 'net'])
  t.same(parseNodeFlags({}), NODE_DEFAULTS)
})

t.test('import passes the files', async (t) => {
  let files: string[] = []
  const r = await run(['import', 'a.rlp', 'b.rlp', '--log.format', 'json'], {
    importCommand: async (o) => {
      files = o.files
      return { imported: 2, skipped: 0, head: { number: 2n, hash: HASH } }
    },
  })
  t.equal(r.code, 0)
  t.same(files, ['a.rlp', 'b.rlp'])
  const last = JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!) as Record<string, unknown>
  t.equal(last['msg'], 'Import done')
  t.equal(last['number'], '2')
})

t.test('bin/parallax.js --version runs as a real process', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin', 'parallax.js'), '--version'], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  })
  t.match(stdout.split('\n')[0], VERSION_LINE)
  t.match(stdout, /commit: /)
})

t.test('bin/parallax.js with an unknown flag exits 1 with one Fatal line', async (t) => {
  const err = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin', 'parallax.js'), '--nope'], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  }).then(
    () => undefined,
    (e: unknown) => e as { code?: number; stderr?: string },
  )
  t.ok(err, 'fails')
  t.equal(err?.code, 1)
  t.equal(err?.stderr, "Fatal: unknown option '--nope'\n")
})

t.test('node: SIGINT aborts the signal, then the command returns cleanly', async (t) => {
  const stdout = sink()
  const stderr = sink()
  let started: () => void = () => {}
  const running = new Promise<void>((resolve) => (started = resolve))
  const before = process.listenerCount('SIGINT')
  const done = main(['node', '--log.format', 'json'], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    commands: {
      nodeCommand: async ({ signal }) => {
        started()
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
      },
    },
  })
  await running
  t.equal(process.listenerCount('SIGINT'), before + 1, 'listening while the node runs')
  process.emit('SIGINT', 'SIGINT')
  t.equal(await done, 0)
  t.equal(process.listenerCount('SIGINT'), before, 'listener removed')
  t.match(stderr.text(), /"msg":"Got interrupt, shutting down\.\.\."/)
})
