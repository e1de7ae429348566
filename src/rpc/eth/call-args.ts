// geth's TransactionArgs (eth_call / eth_estimateGas / eth_createAccessList), its state and block
// overrides, and CallDefaults + ToMessage: defaults filled in, fees normalised to a message.
import { Address, bytesToHex } from '@ethereumjs/util'
import { InvalidParamsError } from '../errors.ts'
import { ServerError } from './errors.ts'
import {
  addressJSON, bigJSON, bytesJSON, DecodeError, hashJSON, jsonKind, u256JSON, uint64JSON, type Where,
} from './params.ts'

export type AccessListBytes = [Uint8Array, Uint8Array[]][]
/** [chainId, address, nonce, yParity, r, s] as bigints / bytes. */
export interface Authorization {
  chainId: bigint
  address: Uint8Array
  nonce: bigint
  yParity: bigint
  r: bigint
  s: bigint
}

export interface TransactionArgs {
  from?: Uint8Array
  to?: Uint8Array
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  nonce?: bigint
  data?: Uint8Array
  input?: Uint8Array
  accessList?: AccessListBytes
  chainId?: bigint
  maxFeePerBlobGas?: bigint
  blobVersionedHashes?: Uint8Array[]
  authorizationList?: Authorization[]
}

/** What is executed: geth's core.Message. */
export interface CallMessage {
  from: Address
  to?: Address
  value: bigint
  nonce: bigint
  gasLimit: bigint
  gasPrice: bigint
  gasFeeCap: bigint
  gasTipCap: bigint
  data: Uint8Array
  accessList: AccessListBytes
  blobFeeCap?: bigint
  blobHashes?: Uint8Array[]
  authorizations?: Authorization[]
}

const present = (o: Record<string, unknown>, k: string): boolean => o[k] !== undefined && o[k] !== null

function listJSON(v: unknown, goType: string, where: Where): unknown[] {
  if (!Array.isArray(v)) {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${where.struct}.${where.field} of type ${goType}`)
  }
  return v
}

function objectJSON(v: unknown, goType: string, where: Where): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    const into = where.field !== undefined ? `Go struct field ${where.struct}.${where.field}` : 'Go value'
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into ${into} of type ${goType}`)
  }
  return v as Record<string, unknown>
}

function accessListJSON(v: unknown): AccessListBytes {
  return listJSON(v, 'types.AccessList', { struct: 'TransactionArgs', field: 'accessList' }).map((t) => {
    const o = objectJSON(t, 'types.AccessTuple', { struct: 'TransactionArgs', field: 'accessList' })
    if (!present(o, 'address')) throw new DecodeError("missing required field 'address' in AccessTuple")
    if (!present(o, 'storageKeys')) throw new DecodeError("missing required field 'storageKeys' in AccessTuple")
    const where = { struct: 'TransactionArgs', field: 'accessList.address' }
    const keys = listJSON(o['storageKeys'], '[]common.Hash', { struct: 'TransactionArgs', field: 'accessList.storageKeys' })
    return [addressJSON(o['address'], where), keys.map((k) => hashJSON(k, { struct: 'TransactionArgs', field: 'accessList.storageKeys' }))]
  })
}

function authorizationsJSON(v: unknown): Authorization[] {
  return listJSON(v, '[]types.SetCodeAuthorization', { struct: 'TransactionArgs', field: 'authorizationList' }).map((a) => {
    const o = objectJSON(a, 'types.SetCodeAuthorization', { struct: 'TransactionArgs', field: 'authorizationList' })
    for (const k of ['chainId', 'address', 'nonce', 'yParity', 'r', 's']) {
      if (!present(o, k)) throw new DecodeError(`missing required field '${k}' for SetCodeAuthorization`)
    }
    const w = (field: string): Where => ({ struct: 'TransactionArgs', field: `authorizationList.${field}` })
    return {
      chainId: u256JSON(o['chainId'], w('chainId')),
      address: addressJSON(o['address'], w('address')),
      nonce: uint64JSON(o['nonce'], w('nonce')),
      yParity: uint64JSON(o['yParity'], w('yParity')),
      r: u256JSON(o['r'], w('r')),
      s: u256JSON(o['s'], w('s')),
    }
  })
}

/** Decodes a TransactionArgs object (unknown fields ignored, null = absent, like Go). */
export function transactionArgsJSON(v: unknown): TransactionArgs {
  const o = objectJSON(v, 'ethapi.TransactionArgs', {})
  const w = (field: string): Where => ({ struct: 'TransactionArgs', field })
  const a: TransactionArgs = {}
  if (present(o, 'from')) a.from = addressJSON(o['from'], w('from'))
  if (present(o, 'to')) a.to = addressJSON(o['to'], w('to'))
  if (present(o, 'gas')) a.gas = uint64JSON(o['gas'], w('gas'))
  if (present(o, 'gasPrice')) a.gasPrice = bigJSON(o['gasPrice'], w('gasPrice'))
  if (present(o, 'maxFeePerGas')) a.maxFeePerGas = bigJSON(o['maxFeePerGas'], w('maxFeePerGas'))
  if (present(o, 'maxPriorityFeePerGas')) a.maxPriorityFeePerGas = bigJSON(o['maxPriorityFeePerGas'], w('maxPriorityFeePerGas'))
  if (present(o, 'value')) a.value = bigJSON(o['value'], w('value'))
  if (present(o, 'nonce')) a.nonce = uint64JSON(o['nonce'], w('nonce'))
  if (present(o, 'data')) a.data = bytesJSON(o['data'], w('data'))
  if (present(o, 'input')) a.input = bytesJSON(o['input'], w('input'))
  if (present(o, 'accessList')) a.accessList = accessListJSON(o['accessList'])
  if (present(o, 'chainId')) a.chainId = bigJSON(o['chainId'], w('chainId'))
  if (present(o, 'maxFeePerBlobGas')) a.maxFeePerBlobGas = bigJSON(o['maxFeePerBlobGas'], w('maxFeePerBlobGas'))
  if (present(o, 'blobVersionedHashes')) {
    a.blobVersionedHashes = listJSON(o['blobVersionedHashes'], '[]common.Hash', w('blobVersionedHashes')).map((h) => hashJSON(h, w('blobVersionedHashes')))
  }
  if (present(o, 'authorizationList')) a.authorizationList = authorizationsJSON(o['authorizationList'])
  return a
}

/** geth's TransactionArgs.CallDefaults (errors are -32000, like geth's plain errors). */
export function callDefaults(args: TransactionArgs, gasCap: bigint, baseFee: bigint | undefined, chainId: bigint): void {
  if (args.gasPrice !== undefined && (args.maxFeePerGas !== undefined || args.maxPriorityFeePerGas !== undefined)) {
    throw new ServerError('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  if (args.chainId === undefined) args.chainId = chainId
  else if (args.chainId !== chainId) throw new ServerError(`chainId does not match node's (have=${args.chainId}, want=${chainId})`)
  if (args.gas === undefined) args.gas = gasCap === 0n ? (1n << 63n) - 1n : gasCap
  else if (gasCap > 0n && gasCap < args.gas) args.gas = gasCap
  args.nonce ??= 0n
  args.value ??= 0n
  if (baseFee === undefined) {
    args.gasPrice ??= 0n
  } else {
    args.maxFeePerGas ??= 0n
    args.maxPriorityFeePerGas ??= 0n
  }
  if (args.maxFeePerBlobGas === undefined && args.blobVersionedHashes !== undefined) args.maxFeePerBlobGas = 0n
}

/** geth's TransactionArgs.ToMessage (after callDefaults). */
export function toMessage(args: TransactionArgs, baseFee: bigint | undefined): CallMessage {
  let gasPrice: bigint
  let gasFeeCap: bigint
  let gasTipCap: bigint
  if (baseFee === undefined || args.gasPrice !== undefined) {
    gasPrice = args.gasPrice ?? 0n
    gasFeeCap = gasTipCap = gasPrice
  } else {
    gasFeeCap = args.maxFeePerGas ?? 0n
    gasTipCap = args.maxPriorityFeePerGas ?? 0n
    gasPrice = 0n
    if (gasFeeCap > 0n || gasTipCap > 0n) {
      gasPrice = gasTipCap + baseFee
      if (gasPrice > gasFeeCap) gasPrice = gasFeeCap
    }
  }
  const m: CallMessage = {
    from: new Address(args.from ?? new Uint8Array(20)),
    value: args.value ?? 0n,
    nonce: args.nonce ?? 0n,
    gasLimit: args.gas ?? 0n,
    gasPrice,
    gasFeeCap,
    gasTipCap,
    data: args.input ?? args.data ?? new Uint8Array(),
    accessList: args.accessList ?? [],
  }
  if (args.to !== undefined) m.to = new Address(args.to)
  if (args.maxFeePerBlobGas !== undefined) m.blobFeeCap = args.maxFeePerBlobGas
  if (args.blobVersionedHashes !== undefined) m.blobHashes = args.blobVersionedHashes
  if (args.authorizationList !== undefined) m.authorizations = args.authorizationList
  return m
}

// ---- overrides ----

export interface AccountOverride {
  nonce?: bigint
  code?: Uint8Array
  balance?: bigint
  state?: Map<string, Uint8Array>
  stateDiff?: Map<string, Uint8Array>
  /** eth_simulateV1: move the precompile at this account to another address. */
  movePrecompileTo?: Uint8Array
}
export type StateOverride = Map<string, AccountOverride>

function slotMapJSON(v: unknown, field: string): Map<string, Uint8Array> {
  const o = objectJSON(v, 'map[common.Hash]common.Hash', { struct: 'override.OverrideAccount', field })
  const out = new Map<string, Uint8Array>()
  for (const [k, val] of Object.entries(o)) {
    const key = hashJSON(k, { struct: 'override.OverrideAccount', field })
    out.set(bytesToHex(key), hashJSON(val, { struct: 'override.OverrideAccount', field }))
  }
  return out
}

/** geth's override.StateOverride: address → {nonce, code, balance, state | stateDiff} (and movePrecompileToAddress where `moves`). */
export function stateOverrideJSON(v: unknown, moves = false): StateOverride {
  const o = objectJSON(v, 'override.StateOverride', {})
  const out: StateOverride = new Map()
  for (const [addr, acc] of Object.entries(o)) {
    const address = addressJSON(addr)
    const a = objectJSON(acc, 'override.OverrideAccount', {})
    const w = (field: string): Where => ({ struct: 'OverrideAccount', field })
    const ov: AccountOverride = {}
    if (present(a, 'nonce')) ov.nonce = uint64JSON(a['nonce'], w('nonce'))
    if (present(a, 'code')) ov.code = bytesJSON(a['code'], w('code'))
    if (present(a, 'balance')) ov.balance = bigJSON(a['balance'], w('balance'))
    if (present(a, 'state')) ov.state = slotMapJSON(a['state'], 'state')
    if (present(a, 'stateDiff')) ov.stateDiff = slotMapJSON(a['stateDiff'], 'stateDiff')
    if (present(a, 'movePrecompileToAddress')) {
      if (!moves) throw new InvalidParamsError('movePrecompileToAddress is not supported')
      ov.movePrecompileTo = addressJSON(a['movePrecompileToAddress'], w('movePrecompileToAddress'))
    }
    if (ov.state !== undefined && ov.stateDiff !== undefined) {
      throw new ServerError(`account ${new Address(address).toString()} has both 'state' and 'stateDiff'`)
    }
    out.set(bytesToHex(address), ov)
  }
  return out
}

/** geth's override.BlockOverrides (the fields Parallax can apply). */
export interface BlockOverrides {
  number?: bigint
  difficulty?: bigint
  time?: bigint
  gasLimit?: bigint
  feeRecipient?: Uint8Array
  prevRandao?: Uint8Array
  baseFeePerGas?: bigint
  /** eth_simulateV1 only (eth_call refuses them). */
  blobBaseFee?: bigint
  beaconRoot?: Uint8Array
  withdrawals?: WithdrawalOverride[]
}

export interface WithdrawalOverride {
  index: bigint
  validatorIndex: bigint
  address: Uint8Array
  amount: bigint
}

export function withdrawalsJSON(v: unknown): WithdrawalOverride[] {
  return listJSON(v, 'types.Withdrawals', { struct: 'BlockOverrides', field: 'withdrawals' }).map((x) => {
    const o = objectJSON(x, 'types.Withdrawal', { struct: 'BlockOverrides', field: 'withdrawals' })
    const w = (field: string): Where => ({ struct: 'Withdrawal', field })
    for (const k of ['index', 'validatorIndex', 'address', 'amount']) {
      if (!present(o, k)) throw new DecodeError(`missing required field '${k}' for Withdrawal`)
    }
    return {
      index: uint64JSON(o['index'], w('index')),
      validatorIndex: uint64JSON(o['validatorIndex'], w('validatorIndex')),
      address: addressJSON(o['address'], w('address')),
      amount: uint64JSON(o['amount'], w('amount')),
    }
  })
}

/** geth's override.BlockOverrides; `simulate` accepts the fields only eth_simulateV1 applies. */
export function blockOverridesJSON(v: unknown, simulate = false): BlockOverrides {
  const o = objectJSON(v, 'override.BlockOverrides', {})
  const w = (field: string): Where => ({ struct: 'BlockOverrides', field })
  const b: BlockOverrides = {}
  if (present(o, 'number')) b.number = bigJSON(o['number'], w('number'))
  if (present(o, 'difficulty')) b.difficulty = bigJSON(o['difficulty'], w('difficulty'))
  if (present(o, 'time')) b.time = uint64JSON(o['time'], w('time'))
  if (present(o, 'gasLimit')) b.gasLimit = uint64JSON(o['gasLimit'], w('gasLimit'))
  if (present(o, 'feeRecipient')) b.feeRecipient = addressJSON(o['feeRecipient'], w('feeRecipient'))
  if (present(o, 'prevRandao')) b.prevRandao = hashJSON(o['prevRandao'], w('prevRandao'))
  if (present(o, 'baseFeePerGas')) b.baseFeePerGas = bigJSON(o['baseFeePerGas'], w('baseFeePerGas'))
  if (simulate) {
    if (present(o, 'blobBaseFee')) b.blobBaseFee = bigJSON(o['blobBaseFee'], w('blobBaseFee'))
    if (present(o, 'beaconRoot')) b.beaconRoot = hashJSON(o['beaconRoot'], w('beaconRoot'))
    if (present(o, 'withdrawals')) b.withdrawals = withdrawalsJSON(o['withdrawals'])
    return b
  }
  for (const k of ['blobBaseFee', 'beaconRoot', 'withdrawals']) {
    if (present(o, k)) throw new InvalidParamsError(`block override ${k} is not supported`)
  }
  return b
}
