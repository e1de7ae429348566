// Where the external conformance fixtures live. PARALLAX_FIXTURES overrides; the default is the
// workplace's ../shared/fixtures beside the repo; without it, tests fall back to the small vendored
// subset in test/vendored (see its README for sources and licences) and say which suites are missing.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const VENDORED_ROOT = join(REPO_ROOT, 'test', 'vendored')

export function sharedFixturesRoot(): string | undefined {
  const fromEnv = process.env['PARALLAX_FIXTURES']
  const root = fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(REPO_ROOT, '..', 'shared', 'fixtures')
  return existsSync(root) ? root : undefined
}

export interface FixtureLocation {
  /** Absolute path of the suite folder. */
  path: string
  /** 'shared' when read from ../shared/fixtures (or PARALLAX_FIXTURES), 'vendored' for the in-repo subset. */
  source: 'shared' | 'vendored'
}

/**
 * Resolves a suite by its path relative to the fixtures root (e.g. `ethereum-tests/TrieTests`).
 * Prefers the shared fixtures; falls back to test/vendored/<rel>; returns undefined (and the caller
 * prints that the suite was not found) when neither exists.
 */
export function locateSuite(rel: string): FixtureLocation | undefined {
  const shared = sharedFixturesRoot()
  if (shared !== undefined && existsSync(join(shared, rel))) return { path: join(shared, rel), source: 'shared' }
  const vendored = join(VENDORED_ROOT, rel)
  if (existsSync(vendored)) return { path: vendored, source: 'vendored' }
  return undefined
}

/** Prints the one line every spec runner prints when a suite is absent. */
export function reportMissing(rel: string): void {
  console.log(`# fixtures suite not found: ${rel} (neither $PARALLAX_FIXTURES/../shared/fixtures nor test/vendored has it)`)
}

/** Every `.json` file below `dir`, depth first, each directory's entries in name order. */
export function jsonFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p))
    else if (name.endsWith('.json')) out.push(p)
  }
  return out
}

/** The suites of `rels` that exist (shared or vendored); each missing one is reported. */
export function foundSuites(rels: readonly string[]): { rel: string; loc: FixtureLocation }[] {
  const out: { rel: string; loc: FixtureLocation }[] = []
  for (const rel of rels) {
    const loc = locateSuite(rel)
    if (loc === undefined) reportMissing(rel)
    else out.push({ rel, loc })
  }
  return out
}
