// The logs of a simulated call as geth's simulation tracer collects them: every LOG as it is emitted,
// kept per call frame and dropped with a frame that fails; with `traceTransfers`, every transfer of
// ether (a transaction's or call's value, a SELFDESTRUCT's balance; not DELEGATECALL/CALLCODE) as an
// ERC-7528 Transfer log from 0xeeee…eeee, in order with the real logs. Log indices count every log
// emitted in the block, kept or not, as geth's do. Fed by the EVM's message events and its opcode handlers.
import type { EVMResult, Message } from '@ethereumjs/evm'
import type { Address } from '@ethereumjs/util'
import { bigIntToBytes, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'
import type { LogTuple } from '../../db/receipts.ts'

const TRANSFER_TOPIC = hexToBytes('0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef')
const TRANSFER_ADDRESS = hexToBytes('0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee')

const word = (v: bigint): Uint8Array => setLengthLeft(bigIntToBytes(v), 32)

const OPENERS: [number, string][] = [[0xf0, 'CREATE'], [0xf1, 'CALL'], [0xf2, 'CALLCODE'], [0xf4, 'DELEGATECALL'], [0xf5, 'CREATE2'], [0xfa, 'STATICCALL']]

/** The parts of ethereumjs' RunState the wrapped handlers use (its type is not exported). */
interface RunState {
  env: { depth: number; address: Address }
  stack: { peek(n: number): bigint[] }
  stateManager: { getAccount(a: Address): Promise<{ balance: bigint } | undefined> }
  interpreter: { _result: { logs: [Uint8Array, Uint8Array[], Uint8Array][] } }
}
type OpHandler = (rs: RunState, common: unknown) => unknown
interface OpEntry {
  opcodeInfo: { code: number }
  opHandler: OpHandler
  gasHandler?: unknown
}

export interface SimLog {
  log: LogTuple
  /** Index in the block (geth's Log.Index). */
  index: number
}

export class SimLogTracer {
  private frames: SimLog[][] = []
  /** Per open frame: its value transfer when it is a creation (the new address is known at its end). */
  private creations: (SimLog | undefined)[] = []
  private readonly opener: string[] = []
  private count = 0
  private listening = false

  constructor(private readonly traceTransfers: boolean) {}

  /**
   * Listens to `vm`'s EVM until stop(). LOG, the CALL/CREATE family and SELFDESTRUCT are seen by
   * wrapping this EVM's own opcode handlers (they run after the opcode's gas is paid, where geth
   * emits): no step events, which would copy the memory at every opcode.
   */
  attach(vm: VM): void {
    const map = (vm.evm as unknown as { _opcodeMap: OpEntry[] })._opcodeMap
    const wrap = (op: number, make: (orig: OpHandler) => OpHandler): void => {
      const e = map[op]
      if (e !== undefined && e.opcodeInfo.code === op) map[op] = { ...e, opHandler: make(e.opHandler) }
    }
    for (let op = 0xa0; op <= 0xa4; op++) {
      wrap(op, (orig) => (rs, c) => {
        orig(rs, c)
        if (!this.listening) return
        const logs = rs.interpreter._result.logs
        const l = logs[logs.length - 1]
        if (l !== undefined) this.push(l[0], l[1], l[2])
      })
    }
    if (this.traceTransfers) {
      for (const [op, name] of OPENERS) {
        wrap(op, (orig) => (rs, c) => {
          if (this.listening) this.opener[rs.env.depth] = name
          return orig(rs, c)
        })
      }
      wrap(0xff, (orig) => async (rs, c) => {
        if (!this.listening) return orig(rs, c)
        const beneficiary = setLengthLeft(bigIntToBytes(rs.stack.peek(1)[0]!), 20).slice(-20)
        const balance = (await rs.stateManager.getAccount(rs.env.address))?.balance ?? 0n
        this.frames.push([])
        this.transfer(rs.env.address.bytes, beneficiary, balance)
        this.merge(false)
        return orig(rs, c)
      })
    }
    const ev = vm.evm.events!
    ev.on('beforeMessage', (m: Message, done?: (r?: unknown) => void) => {
      if (this.listening) this.enter(m)
      done?.()
    })
    ev.on('afterMessage', (r: EVMResult, done?: (r?: unknown) => void) => {
      if (this.listening) this.exit(r)
      done?.()
    })
  }

  /** Whether EVM events count: on for the calls, off for system calls. */
  listen(on: boolean): void {
    this.listening = on
  }

  /** Before each block: log indices restart. */
  newBlock(): void {
    this.count = 0
  }

  /** Before each transaction. */
  reset(): void {
    this.frames = []
    this.creations = []
  }

  /** The logs the last transaction kept. */
  logs(): SimLog[] {
    return this.frames[0] ?? []
  }

  private push(address: Uint8Array, topics: Uint8Array[], data: Uint8Array): void {
    const frame = this.frames[this.frames.length - 1]
    if (frame === undefined) return
    frame.push({ log: [address, topics, data], index: this.count++ })
  }

  private transfer(from: Uint8Array, to: Uint8Array, value: bigint): SimLog | undefined {
    if (!this.traceTransfers || value === 0n) return undefined
    this.push(TRANSFER_ADDRESS, [TRANSFER_TOPIC, setLengthLeft(from, 32), setLengthLeft(to, 32)], word(value))
    const frame = this.frames[this.frames.length - 1]!
    return frame[frame.length - 1]
  }

  private enter(m: Message): void {
    this.frames.push([])
    const kind = m.depth === 0 ? 'CALL' : (this.opener[m.depth - 1] ?? 'CALL')
    if (kind === 'DELEGATECALL' || kind === 'CALLCODE') {
      this.creations.push(undefined)
      return
    }
    const log = this.transfer(m.caller.bytes, m.to?.bytes ?? new Uint8Array(20), m.value)
    this.creations.push(m.to === undefined ? log : undefined)
  }

  private exit(r: EVMResult): void {
    const creation = this.creations.pop()
    if (creation !== undefined && r.createdAddress !== undefined) creation.log[1][2] = setLengthLeft(r.createdAddress.bytes, 32)
    const failed = r.execResult.exceptionError !== undefined
    if (this.frames.length <= 1) {
      if (failed) this.frames[0] = []
      return
    }
    this.merge(failed)
  }

  /** Pops the innermost frame into its parent, or drops it when it failed. */
  private merge(failed: boolean): void {
    const top = this.frames.pop()!
    if (!failed) this.frames[this.frames.length - 1]!.push(...top)
  }
}
