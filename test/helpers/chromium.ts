// Headless Chromium for the browser tests: Debian's `chromium` package (.ci/run installs it).
import { spawnSync } from 'node:child_process'

export const CHROMIUM_CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome']

/** The first Chromium on PATH, or undefined. */
export function findChromium(): string | undefined {
  for (const name of CHROMIUM_CANDIDATES) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim()
  }
  return undefined
}

/** What a browser test fails with when no Chromium is found. */
export const CHROMIUM_MISSING = `headless Chromium is missing: none of ${CHROMIUM_CANDIDATES.join(', ')} is on PATH. Install Debian's chromium package (apt-get update && apt-get install -y chromium); .ci/run installs it for CI`
