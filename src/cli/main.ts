// The `parallax` command line: parses flags with commander, builds the logger, and calls the command
// entry points in src/node/commands.ts. Every failure ends as ONE line on stderr, `Fatal: <message>`,
// and exit code 1 (geth style); the stack is printed only at --verbosity 4 and above.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import type * as commands from '../node/commands.ts'
import type * as analyze from '../parallelism/analyze.ts'
import { ParallaxError } from '../util/errors.ts'
import { createLogger, type Logger } from '../util/logger.ts'
import { clientVersion, gitCommit, packageVersion } from '../util/version.ts'
export { clientVersion, gitCommit, packageVersion }
import { execOptions, GLOBAL_DEFAULTS, globalOptions, intInRange, nodeOptions, parseExecFlags, parseGlobalFlags, parseNodeFlags, type GlobalFlags } from './flags.ts'


export interface CliCommands {
  initCommand: typeof commands.initCommand
  importCommand: typeof commands.importCommand
  nodeCommand: typeof commands.nodeCommand
  analyzeCommand: typeof analyze.analyzeCommand
}

/** Where the CLI writes, and what it calls; tests replace these. */
export interface CliIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  /** Log destination; default: fd 2 when stderr is process.stderr, else `stderr`. */
  logDestination?: NodeJS.WritableStream | number
  /** Command entry points; default: src/node/commands.ts. */
  commands?: Partial<CliCommands>
  /** Listen for SIGINT/SIGTERM in `node` and `import` (default true). */
  handleSignals?: boolean
}

// --- version ----------------------------------------------------------------------------------------

/** The package.json version, e.g. `0.1.0`. */
// --- main -------------------------------------------------------------------------------------------

/** Runs the CLI with `argv` (without `node` and the script path); resolves to the exit code. */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const state: { verbosity: number } = { verbosity: GLOBAL_DEFAULTS.verbosity }
  const program = buildProgram(io, state)
  try {
    if (argv.length === 0) throw new CommanderError(1, 'parallax.noCommand', "no command given: expected init, import, node or analyze (see 'parallax --help')")
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (err) {
    return reportError(err, io, state.verbosity)
  }
}

function reportError(err: unknown, io: CliIO, verbosity: number): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
    io.stderr.write(`Fatal: ${oneLine(err.message.replace(/^error: /, ''))}\n`)
    return 1
  }
  const message = err instanceof Error ? err.message : String(err)
  io.stderr.write(`Fatal: ${oneLine(message)}\n`)
  const expected = err instanceof ParallaxError && (err.code === 'USAGE' || err.code === 'CONFIG' || err.code === 'DATADIR')
  if (!expected && verbosity >= 4 && err instanceof Error && err.stack !== undefined) io.stderr.write(err.stack + '\n')
  return 1
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim()
}

function buildProgram(io: CliIO, state: { verbosity: number }): Command {
  // The command modules (and the whole chain stack behind them) load only when a command runs, so
  // `--version` and `--help` stay fast.
  const load = (): Promise<typeof commands> => import('../node/commands.ts')
  const cmds: CliCommands = {
    initCommand: io.commands?.initCommand ?? (async (o) => (await load()).initCommand(o)),
    importCommand: io.commands?.importCommand ?? (async (o) => (await load()).importCommand(o)),
    nodeCommand: io.commands?.nodeCommand ?? (async (o) => (await load()).nodeCommand(o)),
    analyzeCommand: io.commands?.analyzeCommand ?? (async (o) => (await import('../parallelism/analyze.ts')).analyzeCommand(o)),
  }
  const program = new Command('parallax')
    .description('Parallax: an Ethereum execution-layer client (Engine API, parallel EVM, LevelDB, libp2p)')
    .exitOverride()
    .allowUnknownOption(false)
    .allowExcessArguments(false)
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: () => {}, // main() prints the one `Fatal:` line
    })
  for (const opt of globalOptions()) program.addOption(opt)
  program.addOption(new Option('--version', 'print the version and exit'))
  program.on('option:version', () => {
    io.stdout.write(`${clientVersion()}\ncommit: ${gitCommit()}\n`)
    throw new CommanderError(0, 'commander.version', clientVersion())
  })

  const setup = (cmd: Command): { flags: GlobalFlags; logger: Logger } => {
    const flags = parseGlobalFlags(cmd.optsWithGlobals())
    state.verbosity = flags.verbosity
    const logger = createLogger({
      verbosity: flags.verbosity,
      format: flags.logFormat,
      destination: io.logDestination ?? (io.stderr === process.stderr ? 2 : io.stderr),
    })
    return { flags, logger }
  }

  program
    .command('init')
    .description('initialise the data directory with a genesis block (geth genesis.json or preset: dev, mainnet)')
    .argument('<genesis>', 'genesis.json path or preset name')
    .action(async (genesis: string, _opts: unknown, cmd: Command) => {
      const { flags, logger } = setup(cmd)
      const res = await cmds.initCommand({ datadir: flags.datadir, genesis, logger })
      const ctx = { hash: res.genesisHash, stateRoot: res.stateRoot, chainId: res.chainId, datadir: flags.datadir }
      if (res.created) logger.info(ctx, 'Successfully wrote genesis state')
      else logger.info(ctx, 'Genesis state already present')
      io.stdout.write(`${res.genesisHash}\n`)
    })

  const importCmd = program
    .command('import')
    .description('import blocks from RLP files (geth export format)')
    .argument('<files...>', 'block files')
  for (const opt of execOptions()) importCmd.addOption(opt)
  importCmd.action(async (files: string[], opts: Record<string, unknown>, cmd: Command) => {
    const { flags, logger } = setup(cmd)
    const { execParallel, execWorkers } = parseExecFlags(opts)
    await withInterrupt(logger, io, async (signal) => {
      const res = await cmds.importCommand({ datadir: flags.datadir, files, logger, signal, exec: { parallel: execParallel, workers: execWorkers } })
      logger.info({ imported: res.imported, skipped: res.skipped, number: res.head.number, hash: res.head.hash }, 'Import done')
    })
  })

  program
    .command('analyze')
    .description('parallax_blockParallelism over a range of imported blocks, written as an HTML report with SVG charts')
    .addOption(new Option('--from <n>', 'first block').argParser(blockNumberArg).makeOptionMandatory())
    .addOption(new Option('--to <n>', 'last block').argParser(blockNumberArg).makeOptionMandatory())
    .addOption(new Option('--out <file>', 'report file (the charts go next to it as <name>.speedup.svg and <name>.contracts.svg)').default('parallax-report.html'))
    .addOption(new Option('--workers <n>', 'worker threads re-executing blocks (default: one per core)').argParser(intInRange(1, 256)))
    .action(async (opts: { from: bigint; to: bigint; out: string; workers?: number }, cmd: Command) => {
      const { flags, logger } = setup(cmd)
      await withInterrupt(logger, io, async (signal) => {
        const res = await cmds.analyzeCommand({ datadir: flags.datadir, from: opts.from, to: opts.to, out: opts.out, logger, progress: io.stderr, signal, ...(opts.workers !== undefined ? { workers: opts.workers } : {}) })
        const t = res.report.totals
        logger.info({ blocks: t.blocks, txs: t.txs, dependencies: t.dependencies, boundP2: Number(t.bound.p2.toFixed(3)), boundP16: Number(t.bound.p16.toFixed(3)) }, 'Analysis done')
        io.stdout.write(`${res.files.html}\n${res.files.speedupSvg}\n${res.files.contractsSvg}\n`)
      })
    })

  const node = program.command('node').description('run the node')
  for (const opt of nodeOptions()) node.addOption(opt)
  node.action(async (opts: Record<string, unknown>, cmd: Command) => {
    const { flags, logger } = setup(cmd)
    const nodeFlags = parseNodeFlags(opts)
    const datadirExplicit = cmd.getOptionValueSourceWithGlobals('datadir') !== 'default' && cmd.getOptionValueSourceWithGlobals('datadir') !== undefined
    await withInterrupt(logger, io, (signal) =>
      cmds.nodeCommand({
        datadir: flags.datadir,
        datadirExplicit,
        devNetworking: ['port', 'maxpeers', 'bootnodes', 'p2p.addr'].some((o) => cmd.getOptionValueSource(o) === 'cli'),
        flags: nodeFlags,
        logger,
        signal,
      }),
    )
  })

  for (const cmd of program.commands) {
    cmd.exitOverride().allowUnknownOption(false).allowExcessArguments(false)
  }
  return program
}

/** A block number argument (decimal or 0x-hex). */
function blockNumberArg(value: string): bigint {
  const v = value.trim()
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(v)) throw new InvalidArgumentError('expected a block number (decimal or 0x-hex)')
  return BigInt(v)
}

/**
 * Runs `fn` with an AbortSignal aborted on the first SIGINT/SIGTERM; a second one forces exit 1.
 * Listeners are removed when `fn` settles.
 */
async function withInterrupt<T>(logger: Logger, io: CliIO, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  if (io.handleSignals === false) return fn(controller.signal)
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      logger.info({ signal: sig }, 'Got interrupt, shutting down...')
      controller.abort(new Error(`interrupted by ${sig}`))
      return
    }
    logger.warn({ signal: sig }, 'Second interrupt, forcing exit')
    process.exit(1)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await fn(controller.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
