// A Common for decoding many transactions. ethereumjs' transaction constructors copy the Common they
// are given and merge the transaction params into the copy (Common.updateParams: a JSON round trip of
// every EIP's params and a rebuilt params cache) for every transaction, legacy ones twice: measured
// 52-79 ms of the 60-90 ms it takes to decode the 590 transactions of a 30M-gas ERC-20 block, on the
// main thread of newPayload and in every speculation worker. The Common returned here has them merged
// once; its updateParams skips that same params object (the copies each transaction takes inherit
// the skip) and does anything else as before. Same params, same values: see test/unit/util/tx-common.test.ts.
import type { Common } from '@ethereumjs/common'
import { paramsTx } from '@ethereumjs/tx'

type UpdateParams = Common['updateParams']

export function txDecodeCommon(common: Common): Common {
  const copy = common.copy()
  copy.updateParams(paramsTx)
  const inherited = Object.getPrototypeOf(copy) as { updateParams: UpdateParams }
  // An own property: Common.copy() (Object.assign of own properties) carries it to every copy.
  Object.defineProperty(copy, 'updateParams', {
    value: function updateParams(this: Common, params: Parameters<UpdateParams>[0]): void {
      if (params === paramsTx) return
      inherited.updateParams.call(this, params)
    },
    enumerable: true,
    writable: true,
    configurable: true,
  })
  return copy
}

const shared = new WeakMap<Common, Common>()

/** txDecodeCommon(common), made once per Common (decoding blocks over a long-lived chain Common). */
export function sharedTxDecodeCommon(common: Common): Common {
  let c = shared.get(common)
  if (c === undefined) shared.set(common, (c = txDecodeCommon(common)))
  return c
}
