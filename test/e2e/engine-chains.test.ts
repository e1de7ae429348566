// Invalid payloads, missing ancestors and reorgs over the Engine API, as hive's engine simulators
// check them: tampered payloads (block hash recomputed, so only the block itself is wrong), a side
// chain with an invalid block inside, a payload whose parent arrives later, and transactions that
// follow the canonical branch back and forth. Payloads of other branches come from a second node.
import t from 'tap'
import {
  devGenesisJson,
  randomAddress,
  randomHash,
  refOf,
  sendTx,
  signTx,
  devAddress,
  waitFor,
  startHarness,
  tamper,
  type Envelope,
  type Harness,
  type Hex,
} from '../helpers/engine-harness.ts'

interface BlockJson {
  number: Hex
  hash: Hex
}
interface ReceiptJson {
  blockHash: Hex
}
interface TxJson {
  hash: Hex
  blockHash: Hex | null
}

async function withNodes(n: number, fn: (...hs: Harness[]) => Promise<void>): Promise<void> {
  const hs = await Promise.all(Array.from({ length: n }, () => startHarness(devGenesisJson())))
  try {
    await fn(...hs)
  } finally {
    await Promise.all(hs.map((h) => h.close()))
  }
}

const latestHash = async (h: Harness): Promise<Hex> => ((await h.rpc.call('eth_getBlockByNumber', ['latest', false])) as BlockJson).hash

t.test('tampered payloads are INVALID with the right latestValidHash', (t) =>
  withNodes(1, async (h) => {
    await sendTx(h.rpc, h.common, { key: 5, nonce: 0n, to: randomAddress(), value: 1n })
    await sendTx(h.rpc, h.common, { key: 6, nonce: 0n, to: randomAddress(), value: 2n })
    const { env } = await h.engine.build(h.genesis, { timestamp: h.genesis.timestamp + 12n, feeRecipient: randomAddress() })
    t.equal(env.payload.transactions.length, 2, 'the payload carries two transactions')
    const G = h.genesis.hash

    // A wrong block hash: INVALID (V2+; INVALID_BLOCK_HASH is V1's), latestValidHash null.
    const badHash: Envelope = { ...env, payload: { ...env.payload, blockHash: randomHash() } }
    const st0 = await h.engine.newPayload(badHash)
    t.equal(st0.status, 'INVALID', 'bad block hash: INVALID')
    t.equal(st0.latestValidHash, null, 'bad block hash: latestValidHash null')

    const cases: [string, Parameters<typeof tamper>[1]][] = [
      ['stateRoot', { stateRoot: randomHash() }],
      ['receiptsRoot', { receiptsRoot: randomHash() }],
      ['gasUsed', { gasUsed: `0x${(BigInt(env.payload.gasUsed) + 1n).toString(16)}` }],
      ['timestamp equal to the parent', { timestamp: `0x${h.genesis.timestamp.toString(16)}` }],
      ['a removed transaction', { transactions: env.payload.transactions.slice(1) }],
      ['logsBloom', { logsBloom: `0x${'ff'.repeat(256)}` }],
      ['baseFeePerGas', { baseFeePerGas: `0x${(BigInt(env.payload.baseFeePerGas) + 1n).toString(16)}` }],
      ['blockNumber', { blockNumber: '0x2' }],
      ['gasLimit beyond the 1/1024 bound', { gasLimit: `0x${(BigInt(env.payload.gasLimit) * 2n).toString(16)}` }],
      ['blobGasUsed without blob transactions', { blobGasUsed: '0x20000' }],
      ['excessBlobGas', { excessBlobGas: '0x20000' }],
      ['extraData over 32 bytes', { extraData: `0x${'01'.repeat(33)}` }],
    ]
    const expectInvalid = async (what: string, bad: Envelope): Promise<void> => {
      const st = await h.engine.newPayload(bad)
      t.equal(st.status, 'INVALID', `${what}: INVALID`)
      t.equal(st.latestValidHash, G, `${what}: latestValidHash is the parent`)
      t.ok(st.validationError !== null && st.validationError.length > 0, `${what}: a validationError`)
    }
    const invalid: Envelope[] = []
    for (const [what, changes] of cases) {
      const bad = await tamper(env, changes, h.common)
      await expectInvalid(what, bad)
      invalid.push(bad)
    }
    // Fields outside the payload that enter the header: the beacon root and the requests hash.
    await expectInvalid('parentBeaconBlockRoot', await tamper({ ...env, parentBeaconBlockRoot: randomHash() }, {}, h.common))
    await expectInvalid('executionRequests', await tamper({ ...env, executionRequests: ['0x0001'] }, {}, h.common))

    // Transactions that decode but cannot execute: INVALID, latestValidHash the parent (as hive expects).
    const txCases: [string, Hex][] = [
      ['a transaction with a nonce gap', signTx(h.common, { key: 5, nonce: 3n, to: randomAddress(), value: 1n }).raw],
      ['a transaction worth more than the balance', signTx(h.common, { key: 5, nonce: 0n, to: randomAddress(), value: 10n ** 30n }).raw],
      ['a transaction with gas above the block gas limit', signTx(h.common, { key: 5, nonce: 0n, to: randomAddress(), gasLimit: BigInt(env.payload.gasLimit) + 1n }).raw],
    ]
    for (const [what, raw] of txCases) await expectInvalid(what, await tamper(env, { transactions: [raw, env.payload.transactions[1]!] }, h.common))

    const again = await h.engine.newPayload(invalid[0]!)
    t.equal(again.status, 'INVALID', 'an invalid payload sent again is still INVALID')
    t.equal(again.latestValidHash, G)

    // paris.md: `{status: INVALID, latestValidHash: null}` if `transactions` contains zero length entries
    // (whichever check catches it first: the entry itself or the block hash over it).
    const empty = await tamper(env, { transactions: ['0x', ...env.payload.transactions] }, h.common)
    const stEmpty = await h.engine.newPayload(empty)
    t.equal(stEmpty.status, 'INVALID', 'a zero-length transaction: INVALID')
    t.equal(stEmpty.latestValidHash, null, 'a zero-length transaction: latestValidHash null (paris.md newPayload 6)')

    // A child of an invalid payload: INVALID, latestValidHash the last valid ancestor.
    const child = await tamper(
      env,
      { parentHash: invalid[0]!.payload.blockHash, blockNumber: '0x2', timestamp: `0x${(h.genesis.timestamp + 24n).toString(16)}`, transactions: [] },
      h.common,
    )
    const stChild = await h.engine.newPayload(child)
    t.equal(stChild.status, 'INVALID', 'child of an invalid payload: INVALID')
    t.equal(stChild.latestValidHash, G, 'child of an invalid payload: latestValidHash is genesis')
    const fcuBad = await h.engine.forkchoice(invalid[0]!.payload.blockHash)
    t.equal(fcuBad.payloadStatus.status, 'INVALID', 'forkchoiceUpdated to an invalid block: INVALID')
    t.equal(fcuBad.payloadStatus.latestValidHash, G)
    t.equal(fcuBad.payloadId, null)
    t.equal(await latestHash(h), G, 'the head stayed at genesis')

    // prevRandao is not checked by the execution layer: another prevRandao is another valid block.
    const otherRandao = await tamper(env, { prevRandao: randomHash() }, h.common)
    t.not(otherRandao.payload.blockHash, env.payload.blockHash)
    t.equal((await h.engine.newPayload(otherRandao)).status, 'VALID', 'prevRandao changed (hash recomputed): VALID')

    // The untouched payload is still VALID (the bad-hash attempt did not poison it).
    const good = await h.engine.newPayload(env)
    t.equal(good.status, 'VALID', 'the original payload: VALID')
    t.equal(good.latestValidHash, env.payload.blockHash)
    t.equal((await h.engine.forkchoice(env.payload.blockHash)).payloadStatus.status, 'VALID')
    t.equal(await latestHash(h), env.payload.blockHash)
  }),
)

t.test('a side chain with an invalid block 5: 1-4 VALID, 5-10 INVALID with latestValidHash = block 4', (t) =>
  withNodes(2, async (h, builder) => {
    // The node's own canonical chain: 2 blocks.
    const own = await h.engine.extendMany(h.genesis, 2, randomAddress())
    const head = own[1]!.payload.blockHash
    // The side chain, 10 blocks from genesis, built by another node; blocks 5-10 rewritten with block
    // 5's stateRoot wrong and each later block re-parented onto the rewritten one.
    const side = await builder.engine.extendMany(builder.genesis, 10, randomAddress())
    const chain: Envelope[] = side.slice(0, 4)
    let parent = side[3]!.payload.blockHash
    for (let i = 4; i < 10; i++) {
      const changes = i === 4 ? { stateRoot: randomHash(), parentHash: parent } : { parentHash: parent }
      const env = await tamper(side[i]!, changes, h.common)
      chain.push(env)
      parent = env.payload.blockHash
    }
    const lvh = chain[3]!.payload.blockHash
    for (let i = 0; i < 10; i++) {
      const st = await h.engine.newPayload(chain[i]!)
      if (i < 4) {
        t.equal(st.status, 'VALID', `side block ${i + 1}: VALID`)
        t.equal(st.latestValidHash, chain[i]!.payload.blockHash)
      } else {
        t.equal(st.status, 'INVALID', `side block ${i + 1}: INVALID`)
        t.equal(st.latestValidHash, lvh, `side block ${i + 1}: latestValidHash is block 4`)
      }
    }
    const fcu = await h.engine.forkchoice(chain[9]!.payload.blockHash)
    t.equal(fcu.payloadStatus.status, 'INVALID', 'forkchoiceUpdated to block 10: INVALID')
    t.equal(fcu.payloadStatus.latestValidHash, lvh)
    t.equal(await latestHash(h), head, 'the canonical head did not move')
    // The valid part of the side chain can still become canonical.
    const fcu4 = await h.engine.forkchoice(lvh)
    t.equal(fcu4.payloadStatus.status, 'VALID', 'forkchoiceUpdated to side block 4: VALID')
    t.equal(await latestHash(h), lvh)
  }),
)

t.test('a payload whose parent is missing: SYNCING, then VALID once the parent arrives', (t) =>
  withNodes(2, async (h, builder) => {
    const [b1, b2] = await builder.engine.extendMany(builder.genesis, 2, randomAddress())
    const st2 = await h.engine.newPayload(b2!)
    t.equal(st2.status, 'SYNCING', 'block N+2 first: SYNCING')
    t.equal(st2.latestValidHash, null)
    const fcuEarly = await h.engine.forkchoice(b2!.payload.blockHash, h.engine.attributes({ timestamp: BigInt(b2!.payload.timestamp) + 12n }, 3))
    t.equal(fcuEarly.payloadStatus.status, 'SYNCING', 'forkchoiceUpdated to N+2 without N+1: SYNCING')
    t.equal(fcuEarly.payloadId, null, 'and no build')
    t.equal(await latestHash(h), h.genesis.hash)
    const st1 = await h.engine.newPayload(b1!)
    t.equal(st1.status, 'VALID', 'block N+1: VALID')
    t.equal(st1.latestValidHash, b1!.payload.blockHash)
    const st2b = await h.engine.newPayload(b2!)
    t.equal(st2b.status, 'VALID', 'block N+2 again: VALID')
    t.equal(st2b.latestValidHash, b2!.payload.blockHash)
    const fcu = await h.engine.forkchoice(b2!.payload.blockHash)
    t.equal(fcu.payloadStatus.status, 'VALID', 'forkchoiceUpdated to N+2: VALID')
    t.equal(fcu.payloadStatus.latestValidHash, b2!.payload.blockHash)
    t.equal(await latestHash(h), b2!.payload.blockHash, 'the head is N+2')
  }),
)

t.test('payloads in reverse order: SYNCING until the first, then the whole chain imports', (t) =>
  withNodes(2, async (h, builder) => {
    const blocks = await builder.engine.extendMany(builder.genesis, 5, randomAddress())
    const badHash: Envelope = { ...blocks[4]!, payload: { ...blocks[4]!.payload, blockHash: randomHash() } }
    const stBad = await h.engine.newPayload(badHash)
    t.equal(stBad.status, 'INVALID', 'a wrong block hash is INVALID even with an unknown parent')
    t.equal(stBad.latestValidHash, null)
    for (let i = 4; i >= 1; i--) t.equal((await h.engine.newPayload(blocks[i]!)).status, 'SYNCING', `block ${i + 1} first: SYNCING`)
    t.equal((await h.engine.newPayload(blocks[0]!)).status, 'VALID', 'block 1: VALID')
    for (let i = 1; i < 5; i++) t.equal((await h.engine.newPayload(blocks[i]!)).status, 'VALID', `block ${i + 1} again: VALID`)
    t.equal((await h.engine.forkchoice(blocks[4]!.payload.blockHash)).payloadStatus.status, 'VALID', 'forkchoiceUpdated to block 5: VALID')
    t.equal(await latestHash(h), blocks[4]!.payload.blockHash)
  }),
)

t.test('an invalid payload whose parent arrives later is INVALID once the parent is known', (t) =>
  withNodes(2, async (h, builder) => {
    const [b1, b2] = await builder.engine.extendMany(builder.genesis, 2, randomAddress())
    const bad2 = await tamper(b2!, { stateRoot: randomHash() }, h.common)
    t.equal((await h.engine.newPayload(bad2)).status, 'SYNCING', 'bad N+2 with unknown parent: SYNCING')
    t.equal((await h.engine.newPayload(b1!)).status, 'VALID', 'N+1: VALID')
    const st = await h.engine.newPayload(bad2)
    t.equal(st.status, 'INVALID', 'bad N+2 again: INVALID')
    t.equal(st.latestValidHash, b1!.payload.blockHash, 'latestValidHash N+1')
    const fcu = await h.engine.forkchoice(bad2.payload.blockHash)
    t.equal(fcu.payloadStatus.status, 'INVALID', 'forkchoiceUpdated to it: INVALID')
    t.equal(fcu.payloadStatus.latestValidHash, b1!.payload.blockHash)
    t.equal((await h.engine.newPayload(b2!)).status, 'VALID', 'the good N+2: VALID')
  }),
)

t.test('reorgs back and forth: receipts and lookups follow the canonical branch, abandoned transactions are pooled again', (t) =>
  withNodes(2, async (h, other) => {
    const toA = randomAddress()
    const toB = randomAddress()
    // Branch A (this node): txA. Branch B (the other node, which never sees txA): txB. Same parent.
    const txA = await sendTx(h.rpc, h.common, { key: 7, nonce: 0n, to: toA, value: 7n })
    const txB = await sendTx(other.rpc, other.common, { key: 8, nonce: 0n, to: toB, value: 8n })
    const ts = h.genesis.timestamp + 12n
    const { env: A } = await h.engine.build(h.genesis, { timestamp: ts, feeRecipient: randomAddress() })
    const { env: B } = await other.engine.build(other.genesis, { timestamp: ts, feeRecipient: randomAddress() })
    t.same(A.payload.transactions.length, 1, 'A has one transaction')
    t.same(B.payload.transactions.length, 1, 'B has one transaction')
    t.not(A.payload.blockHash, B.payload.blockHash)
    t.equal((await h.engine.newPayload(A)).status, 'VALID', 'A: VALID')
    t.equal((await h.engine.newPayload(B)).status, 'VALID', 'B: VALID')

    const receipt = async (hash: Hex) => (await h.rpc.call('eth_getTransactionReceipt', [hash])) as ReceiptJson | null
    const tx = async (hash: Hex) => (await h.rpc.call('eth_getTransactionByHash', [hash])) as TxJson | null
    const balance = async (a: Hex) => BigInt((await h.rpc.call('eth_getBalance', [a, 'latest'])) as Hex)
    const pooled = (hash: Hex) => waitForPooled(h, hash)

    const onA = async (label: string) => {
      t.equal((await h.engine.forkchoice(A.payload.blockHash)).payloadStatus.status, 'VALID', `${label}: fcU A VALID`)
      t.equal((await receipt(txA))?.blockHash, A.payload.blockHash, `${label}: txA receipt in A`)
      t.equal((await tx(txA))?.blockHash, A.payload.blockHash, `${label}: txA found in A`)
      t.equal(await receipt(txB), null, `${label}: no receipt for txB`)
      t.equal(await balance(toA), 7n)
      t.equal(await balance(toB), 0n)
    }
    const onB = async (label: string) => {
      t.equal((await h.engine.forkchoice(B.payload.blockHash)).payloadStatus.status, 'VALID', `${label}: fcU B VALID`)
      t.equal((await receipt(txB))?.blockHash, B.payload.blockHash, `${label}: txB receipt in B`)
      t.equal((await tx(txB))?.blockHash, B.payload.blockHash, `${label}: txB found in B`)
      t.equal(await receipt(txA), null, `${label}: no receipt for txA`)
      t.equal(await balance(toA), 0n)
      t.equal(await balance(toB), 8n)
    }

    await onA('first A')
    t.equal(await tx(txB), null, 'txB unknown while A is canonical (never pooled here)')
    await onB('then B')
    t.ok(await pooled(txA), 'txA is pending again after A was reorged out')
    const onTopOfB = await h.engine.build(refOf(B.payload), { timestamp: ts + 12n, feeRecipient: randomAddress() })
    t.same(onTopOfB.env.payload.transactions, A.payload.transactions, 'a block built on B includes txA again')
    await onA('back to A')
    t.ok(await pooled(txB), 'txB is pending after B was reorged out')
    const onTopOfA = await h.engine.build(refOf(A.payload), { timestamp: ts + 12n, feeRecipient: randomAddress() })
    t.same(onTopOfA.env.payload.transactions, B.payload.transactions, 'a block built on A includes txB')
    t.equal((await h.engine.newPayload(onTopOfA.env)).status, 'VALID')
    t.equal((await h.engine.forkchoice(onTopOfA.env.payload.blockHash)).payloadStatus.status, 'VALID')
    t.equal((await receipt(txB))?.blockHash, onTopOfA.env.payload.blockHash, 'txB now mined on top of A')
    t.equal((await receipt(txA))?.blockHash, A.payload.blockHash, 'txA still in A')
  }),
)

/** Whether `hash` shows up as a pending (pooled, unmined) transaction within a few seconds. */
async function waitForPooled(h: Harness, hash: Hex): Promise<boolean> {
  const until = Date.now() + 3000
  while (Date.now() < until) {
    const tx = (await h.rpc.call('eth_getTransactionByHash', [hash])) as TxJson | null
    if (tx !== null && tx.blockHash === null) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return false
}

t.test('a 3-block reorg and back: state, nonces, receipts and the pool follow the canonical branch', (t) =>
  withNodes(2, async (h, other) => {
    const [P, Q, R] = [randomAddress(), randomAddress(), randomAddress()]
    const ts = h.genesis.timestamp
    // Branch A (this node): key 0 nonce 0 in A1, nonce 1 in A2, key 1 in A3.
    const a1tx = await sendTx(h.rpc, h.common, { key: 0, nonce: 0n, to: P, value: 10n })
    const A1 = await h.engine.extend(h.genesis, { timestamp: ts + 12n })
    const a2tx = await sendTx(h.rpc, h.common, { key: 0, nonce: 1n, to: P, value: 20n })
    const A2 = await h.engine.extend(refOf(A1.payload), { timestamp: ts + 24n })
    const a3tx = await sendTx(h.rpc, h.common, { key: 1, nonce: 0n, to: R, value: 30n })
    const A3 = await h.engine.extend(refOf(A2.payload), { timestamp: ts + 36n })
    t.same([A1, A2, A3].map((b) => b.payload.transactions.length), [1, 1, 1], 'one transaction per A block')
    // Branch B (the other node): another key 0 nonce 0 transaction in B1, then an empty B2.
    const b1tx = await sendTx(other.rpc, other.common, { key: 0, nonce: 0n, to: Q, value: 40n })
    const B1 = await other.engine.extend(other.genesis, { timestamp: ts + 13n })
    const B2 = await other.engine.extend(refOf(B1.payload), { timestamp: ts + 25n })
    for (const b of [B1, B2]) t.equal((await h.engine.newPayload(b)).status, 'VALID', `side block ${BigInt(b.payload.blockNumber)}: VALID`)
    t.equal(await latestHash(h), A3.payload.blockHash, 'side blocks do not move the head')

    const receiptBlock = async (hash: Hex) => ((await h.rpc.call('eth_getTransactionReceipt', [hash])) as ReceiptJson | null)?.blockHash ?? null
    const txState = async (hash: Hex) => {
      const tx = (await h.rpc.call('eth_getTransactionByHash', [hash])) as TxJson | null
      return tx === null ? 'unknown' : tx.blockHash === null ? 'pending' : tx.blockHash
    }
    const balance = async (a: Hex) => BigInt((await h.rpc.call('eth_getBalance', [a, 'latest'])) as Hex)
    const nonce = async (key: number) => BigInt((await h.rpc.call('eth_getTransactionCount', [devAddress(key), 'latest'])) as Hex)

    t.equal((await h.engine.forkchoice(B2.payload.blockHash)).payloadStatus.status, 'VALID', 'fcU B2: VALID')
    t.equal(await latestHash(h), B2.payload.blockHash)
    t.equal(await h.rpc.call('eth_blockNumber', []), '0x2', 'the head number went down to 2')
    t.same([await balance(P), await balance(Q), await balance(R)], [0n, 40n, 0n], 'balances of branch B')
    t.same([await nonce(0), await nonce(1)], [1n, 0n], 'nonces of branch B')
    t.same([await receiptBlock(a1tx), await receiptBlock(a2tx), await receiptBlock(a3tx)], [null, null, null], 'no receipts of branch A')
    t.equal(await receiptBlock(b1tx), B1.payload.blockHash, 'the B1 transaction is mined in B1')
    t.ok(await waitForPooled(h, a2tx), 'A2 transaction (key 0 nonce 1) is pending again')
    t.ok(await waitForPooled(h, a3tx), 'A3 transaction is pending again')
    t.equal(await txState(a1tx), 'unknown', 'A1 transaction (key 0 nonce 0, taken by B1) is dropped')
    const pendingNonce = async (key: number) => BigInt((await h.rpc.call('eth_getTransactionCount', [devAddress(key), 'pending'])) as Hex)
    t.same([await pendingNonce(0), await pendingNonce(1)], [2n, 1n], 'pending nonces count the re-pooled transactions')
    const built = await h.engine.build(refOf(B2.payload), { timestamp: ts + 37n })
    t.same([...built.env.payload.transactions].sort(), [...A2.payload.transactions, ...A3.payload.transactions].sort(), 'a block on B2 carries the A2 and A3 transactions')

    t.equal((await h.engine.forkchoice(A3.payload.blockHash)).payloadStatus.status, 'VALID', 'fcU A3 again: VALID')
    t.equal(await h.rpc.call('eth_blockNumber', []), '0x3')
    t.same([await balance(P), await balance(Q), await balance(R)], [30n, 0n, 30n], 'balances of branch A')
    t.same([await nonce(0), await nonce(1)], [2n, 1n], 'nonces of branch A')
    t.same(
      [await receiptBlock(a1tx), await receiptBlock(a2tx), await receiptBlock(a3tx)],
      [A1.payload.blockHash, A2.payload.blockHash, A3.payload.blockHash],
      'receipts of branch A are back',
    )
    t.equal(await receiptBlock(b1tx), null, 'no receipt for the B1 transaction')
    t.ok(await waitFor(async () => (await txState(b1tx)) === 'unknown'), 'the B1 transaction (nonce taken by A1) is not pooled')
    const onA = await h.engine.build(refOf(A3.payload), { timestamp: ts + 48n })
    t.same(onA.env.payload.transactions, [], 'nothing left to include on A3')
  }),
)
