// The size of a directory tree in bytes: the sum of its regular files' sizes. Used on every scrape for
// the LevelDB folder, which is flat (a few hundred .ldb/.log files), so a stat per file is cheap.
// Files that vanish mid-walk (LevelDB deletes tables after a compaction) are skipped, not errors.
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** How deep the walk descends below `root`; LevelDB needs 0, the margin is for odd layouts. */
export const DIR_SIZE_MAX_DEPTH = 4

/** Total bytes of the regular files under `root`; 0 when `root` does not exist. */
export async function dirSize(root: string, maxDepth = DIR_SIZE_MAX_DEPTH): Promise<number> {
  let total = 0
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      if (isGone(err)) return
      throw err
    }
    for (const e of entries) {
      const path = join(dir, e.name)
      if (e.isDirectory()) {
        if (depth < maxDepth) await walk(path, depth + 1)
      } else if (e.isFile()) {
        try {
          total += (await lstat(path)).size
        } catch (err) {
          if (!isGone(err)) throw err
        }
      }
    }
  }
  await walk(root, 0)
  return total
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}
