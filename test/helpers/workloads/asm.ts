// A tiny EVM assembler for hand-written benchmark and differential-test contracts: opcodes by name,
// PUSH of numbers or bytes (smallest PUSHn that fits, PUSH0 for zero) and labels (JUMPDEST + PUSH2
// references, patched when the code is assembled).

const OPCODES: Readonly<Record<string, number>> = {
  STOP: 0x00, ADD: 0x01, MUL: 0x02, SUB: 0x03, DIV: 0x04, MOD: 0x06, EXP: 0x0a,
  LT: 0x10, GT: 0x11, EQ: 0x14, ISZERO: 0x15, AND: 0x16, OR: 0x17, XOR: 0x18, NOT: 0x19, SHL: 0x1b, SHR: 0x1c,
  SHA3: 0x20,
  ADDRESS: 0x30, BALANCE: 0x31, ORIGIN: 0x32, CALLER: 0x33, CALLVALUE: 0x34, CALLDATALOAD: 0x35,
  CALLDATASIZE: 0x36, CALLDATACOPY: 0x37, CODESIZE: 0x38, CODECOPY: 0x39, GASPRICE: 0x3a,
  EXTCODESIZE: 0x3b, EXTCODECOPY: 0x3c, RETURNDATASIZE: 0x3d, RETURNDATACOPY: 0x3e, EXTCODEHASH: 0x3f,
  BLOCKHASH: 0x40, COINBASE: 0x41, TIMESTAMP: 0x42, NUMBER: 0x43, PREVRANDAO: 0x44, GASLIMIT: 0x45,
  CHAINID: 0x46, SELFBALANCE: 0x47, BASEFEE: 0x48,
  POP: 0x50, MLOAD: 0x51, MSTORE: 0x52, MSTORE8: 0x53, SLOAD: 0x54, SSTORE: 0x55, JUMP: 0x56, JUMPI: 0x57,
  PC: 0x58, MSIZE: 0x59, GAS: 0x5a, JUMPDEST: 0x5b, TLOAD: 0x5c, TSTORE: 0x5d, MCOPY: 0x5e, PUSH0: 0x5f,
  DUP1: 0x80, DUP2: 0x81, DUP3: 0x82, DUP4: 0x83, DUP5: 0x84, DUP6: 0x85, DUP7: 0x86, DUP8: 0x87,
  SWAP1: 0x90, SWAP2: 0x91, SWAP3: 0x92, SWAP4: 0x93,
  LOG0: 0xa0, LOG1: 0xa1, LOG2: 0xa2, LOG3: 0xa3, LOG4: 0xa4,
  CREATE: 0xf0, CALL: 0xf1, RETURN: 0xf3, DELEGATECALL: 0xf4, CREATE2: 0xf5, STATICCALL: 0xfa,
  REVERT: 0xfd, INVALID: 0xfe, SELFDESTRUCT: 0xff,
}

export type Opcode = keyof typeof OPCODES & string

/** Builds EVM code step by step: `new Asm().push(1).op('PUSH0').op('SSTORE').code()`. */
export class Asm {
  private readonly out: number[] = []
  private readonly labels = new Map<string, number>()
  private readonly refs: { at: number; label: string }[] = []

  /** One or more opcodes by name (space separated), e.g. `op('CALLER PUSH0 MSTORE')`. */
  op(names: string): this {
    for (const name of names.split(/\s+/).filter((n) => n.length > 0)) {
      const code = OPCODES[name]
      if (code === undefined) throw new Error(`asm: unknown opcode ${name}`)
      this.out.push(code)
    }
    return this
  }

  /** PUSH of a number (smallest width; PUSH0 for 0) or of raw bytes (PUSH<len>, 1..32 bytes). */
  push(value: number | bigint | Uint8Array): this {
    let bytes: Uint8Array
    if (value instanceof Uint8Array) {
      bytes = value
      if (bytes.length === 0 || bytes.length > 32) throw new Error(`asm: cannot push ${bytes.length} bytes`)
    } else {
      let v = BigInt(value)
      if (v < 0n || v >= 1n << 256n) throw new Error(`asm: push value out of range: ${v}`)
      if (v === 0n) return this.op('PUSH0')
      const tmp: number[] = []
      while (v > 0n) {
        tmp.unshift(Number(v & 0xffn))
        v >>= 8n
      }
      bytes = Uint8Array.from(tmp)
    }
    this.out.push(0x5f + bytes.length, ...bytes)
    return this
  }

  /** Marks a jump target here (emits JUMPDEST). */
  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`asm: duplicate label ${name}`)
    this.labels.set(name, this.out.length)
    return this.op('JUMPDEST')
  }

  /** PUSH2 of a label's offset (resolved in code()). */
  ref(name: string): this {
    this.out.push(0x61)
    this.refs.push({ at: this.out.length, label: name })
    this.out.push(0, 0)
    return this
  }

  /** `ref(label) JUMP` */
  jump(name: string): this {
    return this.ref(name).op('JUMP')
  }

  /** `ref(label) JUMPI` (jumps when the top of the stack is non-zero). */
  jumpi(name: string): this {
    return this.ref(name).op('JUMPI')
  }

  /** Raw bytes appended as they are (data after the code, e.g. a runtime behind its init code). */
  raw(bytes: Uint8Array): this {
    this.out.push(...bytes)
    return this
  }

  get length(): number {
    return this.out.length
  }

  code(): Uint8Array {
    const code = Uint8Array.from(this.out)
    for (const { at, label } of this.refs) {
      const pos = this.labels.get(label)
      if (pos === undefined) throw new Error(`asm: undefined label ${label}`)
      code[at] = pos >> 8
      code[at + 1] = pos & 0xff
    }
    return code
  }
}

/**
 * Init code that returns `runtime` as the deployed code; `prelude` (e.g. constructor SSTOREs) runs
 * first. The header has a fixed size, so the runtime offset is known up front.
 */
export function initCode(runtime: Uint8Array, prelude?: Asm): Uint8Array {
  const pre = prelude?.code() ?? new Uint8Array()
  const headerLen = pre.length + 13 // PUSH2 len PUSH2 off PUSH0 CODECOPY PUSH2 len PUSH0 RETURN
  const off = headerLen
  const len = runtime.length
  if (len > 0xffff || off > 0xffff) throw new Error('asm: runtime too large')
  const h = [0x61, len >> 8, len & 0xff, 0x61, off >> 8, off & 0xff, 0x5f, 0x39, 0x61, len >> 8, len & 0xff, 0x5f, 0xf3]
  const out = new Uint8Array(headerLen + len)
  out.set(pre, 0)
  out.set(h, pre.length)
  out.set(runtime, headerLen)
  return out
}
