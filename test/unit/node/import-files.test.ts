// `parallax import` on files that are not block exports: a file of RLP strings (an 8-byte text file
// is eight one-byte RLP items) fails before the "Importing blockchain" line, which counted those
// items as blocks (`blocks=8`).
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { splitRlpStream } from '../../../src/chain/decode.ts'
import { importCommand, initCommand } from '../../../src/node/commands.ts'
import { MalformedBlockError } from '../../../src/util/errors.ts'

t.test('splitRlpStream: an RLP string where a block should be is an error', async (t) => {
  t.throws(() => [...splitRlpStream(new TextEncoder().encode('garbage\n'))], MalformedBlockError)
  t.throws(() => [...splitRlpStream(Uint8Array.of(0xc1, 0x80, 0x83, 1, 2, 3))], /not an RLP block at byte 2/)
  t.same([...splitRlpStream(Uint8Array.of(0xc0, 0xc1, 0x80))].map((b) => b.length), [1, 2], 'lists pass')
})

t.test('an 8-byte garbage file: the import fails without a block count', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-import-files-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lines: { msg: string; blocks?: number }[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) })
  await initCommand({ datadir: dir, genesis: 'dev', logger })
  const file = join(dir, 'garbage.rlp')
  writeFileSync(file, 'garbage\n')
  await t.rejects(importCommand({ datadir: dir, files: [file], logger, exec: { parallel: false, workers: 1 } }), MalformedBlockError)
  t.notOk(lines.some((l) => l.msg === 'Importing blockchain'), 'no "Importing blockchain" line (it said blocks=8)')
})
