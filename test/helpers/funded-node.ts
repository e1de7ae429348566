// A real `parallax node` process on a fresh datadir whose genesis (the dev preset's config) funds a
// set of deterministic keys, with a chosen block gas limit: the starting point of the load tests
// (full-pool driver run, fuzzing, the Engine latency benchmark). Nothing is shared between calls.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Common } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { genesisToJson } from '../../config/index.ts'
import { BIN, startNodeProcess, type NodeProcess } from './node-process.ts'
import { AllocBuilder, benchCommon, benchGenesis } from './workloads/genesis.ts'
import { Signer } from './workloads/keys.ts'

export interface FundedNodeOptions {
  /** Funded keys (derived from `seed`). */
  keys: number
  /** Genesis (and so every block's) gas limit. */
  gasLimit: bigint
  seed?: number
  /** Also serve --http (eth, net, web3, txpool) on a free port. */
  http?: boolean
  /** More `node` flags. */
  args?: string[]
}

export interface FundedNode {
  node: NodeProcess
  signers: Signer[]
  /** The Common transactions are signed for (native secp256k1). */
  common: Common
  secret: Uint8Array
  /** Stops the node (SIGINT) and removes the datadir; resolves with the exit code. */
  stop(): Promise<{ code: number | null; ms: number }>
}

export const FUNDING = 10n ** 24n

export async function startFundedNode(o: FundedNodeOptions): Promise<FundedNode> {
  const seed = o.seed ?? 1
  const signers = Array.from({ length: o.keys }, (_, i) => Signer.derive(seed, 'funded', i))
  const alloc = new AllocBuilder()
  for (const s of signers) alloc.fund(s.address, FUNDING)
  const dir = mkdtempSync(join(tmpdir(), 'parallax-funded-'))
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true })
  try {
    const genesisFile = join(dir, 'genesis.json')
    writeFileSync(genesisFile, JSON.stringify(genesisToJson(benchGenesis(alloc.alloc, { gasLimit: o.gasLimit }))))
    const datadir = join(dir, 'data')
    const init = spawnSync(process.execPath, [BIN, '--verbosity', '2', 'init', '--datadir', datadir, genesisFile], { encoding: 'utf8' })
    if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`)
    const secret = randomBytes(32)
    writeFileSync(join(dir, 'jwt.hex'), bytesToHex(secret))
    const http = o.http === true ? ['--http', '--http.port', '0', '--http.api', 'eth,net,web3,txpool'] : []
    const node = await startNodeProcess(
      ['node', '--datadir', datadir, '--authrpc.port', '0', '--authrpc.jwtsecret', join(dir, 'jwt.hex'), '--port', '0', '--maxpeers', '0', ...http, ...(o.args ?? [])],
      secret,
    )
    return {
      node,
      signers,
      common: benchCommon({ gasLimit: o.gasLimit }),
      secret,
      async stop() {
        try {
          return await node.stop()
        } finally {
          cleanup()
        }
      },
    }
  } catch (err) {
    cleanup()
    throw err
  }
}
