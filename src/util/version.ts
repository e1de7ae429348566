// The client's identity: package version, platform, git commit (web3_clientVersion, --version,
// engine_getClientVersionV1).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The version in package.json. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** `Parallax/v0.1.0/linux-x64/node-v20`, the same string web3_clientVersion answers. */
export function clientVersion(): string {
  const nodeMajor = process.versions.node.split('.')[0] ?? '0'
  return `Parallax/v${packageVersion()}/${process.platform}-${process.arch}/node-v${nodeMajor}`
}

/** The short git commit of the source tree, or `unknown` (no git, not a checkout). */
export function gitCommit(): string {
  try {
    const out = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim()
    return /^[0-9a-f]{4,40}$/.test(out) ? out : 'unknown'
  } catch {
    return 'unknown'
  }
}

