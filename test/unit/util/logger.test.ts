import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger, formatTerminalLine, levelForVerbosity } from '../../../src/util/logger.ts'

function capture(): { stream: Writable; text: () => string; lines: () => string[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  const text = () => chunks.join('')
  return { stream, text, lines: () => text().split('\n').filter((l) => l !== '') }
}

t.test('json format: one object per line, carrying the context fields', async (t) => {
  const out = capture()
  const log = createLogger({ format: 'json', destination: out.stream })
  log.info({ number: 1, hash: '0xabc', txs: 2 }, 'Imported new block')
  log.child({ module: 'exec' }).warn({ balance: 2n ** 70n, data: new Uint8Array([0xde, 0xad]) }, 'Big values')
  const lines = out.lines()
  t.equal(lines.length, 2)
  const first = JSON.parse(lines[0]!) as Record<string, unknown>
  t.equal(first['msg'], 'Imported new block')
  t.equal(first['level'], 'info')
  t.equal(first['number'], 1)
  t.equal(first['hash'], '0xabc')
  t.equal(first['txs'], 2)
  t.match(first['time'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  const second = JSON.parse(lines[1]!) as Record<string, unknown>
  t.equal(second['module'], 'exec')
  t.equal(second['balance'], '1180591620717411303424', 'bigint kept exact as a decimal string')
  t.equal(second['data'], '0xdead', 'bytes as hex')
})

t.test('terminal format: LEVEL [time] message padded, then key=value', async (t) => {
  const out = capture()
  const log = createLogger({ format: 'terminal', destination: out.stream })
  log.info({ number: 1, hash: '0xabc', txs: 2, note: 'two words' }, 'Imported new block')
  const lines = out.lines()
  t.equal(lines.length, 1)
  t.match(lines[0], /^INFO  \[\d\d-\d\d\|\d\d:\d\d:\d\d\.\d{3}\] Imported new block {2,}number=1 hash=0xabc txs=2 note="two words"$/)
  const msgEnd = lines[0]!.indexOf('number=')
  const msgStart = lines[0]!.indexOf('Imported')
  t.equal(msgEnd - msgStart, 41, 'message padded to 40 columns plus one space')
})

t.test('formatTerminalLine without context has no trailing spaces', async (t) => {
  const line = formatTerminalLine({ level: 'warn', time: 0, msg: 'Plain' })
  t.match(line, /^WARN  \[[^\]]+\] Plain$/)
})

t.test('verbosity 0 prints nothing', async (t) => {
  const out = capture()
  const log = createLogger({ verbosity: 0, destination: out.stream })
  log.error('e')
  log.fatal('f')
  log.info('i')
  t.equal(out.text(), '')
})

t.test('verbosity filters levels', async (t) => {
  const cases: [number, string[]][] = [
    [1, ['error']],
    [2, ['error', 'warn']],
    [3, ['error', 'warn', 'info']],
    [4, ['error', 'warn', 'info', 'debug']],
    [5, ['error', 'warn', 'info', 'debug', 'trace']],
  ]
  for (const [verbosity, expected] of cases) {
    const out = capture()
    const log = createLogger({ verbosity, format: 'json', destination: out.stream })
    log.error('error')
    log.warn('warn')
    log.info('info')
    log.debug('debug')
    log.trace('trace')
    const msgs = out.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)
    t.same(msgs, expected, `verbosity ${verbosity}`)
  }
  t.equal(levelForVerbosity(3), 'info')
  t.equal(levelForVerbosity(9), 'trace', 'clamped')
})

t.test('default verbosity is info', async (t) => {
  const out = capture()
  const log = createLogger({ format: 'json', destination: out.stream })
  log.debug('hidden')
  log.info('shown')
  t.same(out.lines().map((l) => (JSON.parse(l) as { msg: string }).msg), ['shown'])
})
