// Reopens a datadir after a process ended (killed, interrupted) and checks that its store is
// consistent: the flat state describes the head, the canonical index runs from 0 to the head and not
// beyond, and the head's state root opens (the whole account trie is walked and matches the flat table).
import { join } from 'node:path'
import { createBlockHeaderFromRLP } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { commonFromGenesis } from '../../config/index.ts'
import { Prefix, key, metaKey, MetaKey, readU64be, u64be } from '../../src/db/keys.ts'
import { LevelKV } from '../../src/db/level.ts'
import { Overlay } from '../../src/db/overlay.ts'
import { openTrie } from '../../src/exec/state.ts'
import { specFromStoredConfig } from '../../src/node/datadir.ts'

/** The head, its number and state root, and the flat tables as `key=value` lines; throws when inconsistent. */
export async function dumpFlat(dir: string): Promise<{ head: string; number: bigint; flat: string[]; root: string }> {
  const kv = await LevelKV.open(join(dir, 'chaindata'))
  try {
    const head = (await kv.get(metaKey(MetaKey.Head)))!
    const flatRoot = (await kv.get(metaKey(MetaKey.FlatRoot)))!
    if (bytesToHex(head) !== bytesToHex(flatRoot)) throw new Error('flat state does not describe the head')
    const number = readU64be((await kv.get(key(Prefix.HashToNumber, head)))!)
    // canonical index consistent up to the head, nothing above it
    for (let n = 0n; n <= number; n++) if ((await kv.get(key(Prefix.Canonical, u64be(n)))) === undefined) throw new Error(`canonical ${n} missing`)
    if ((await kv.get(key(Prefix.Canonical, u64be(number + 1n)))) !== undefined) throw new Error('canonical entry above head')
    const spec = specFromStoredConfig(new TextDecoder().decode((await kv.get(metaKey(MetaKey.ChainConfig)))!))
    const header = createBlockHeaderFromRLP((await kv.get(key(Prefix.Header, head)))!, { common: commonFromGenesis(spec), setHardfork: true, skipConsensusFormatValidation: true })
    // the state root opens: walk the whole account trie
    const accounts = await openTrie(new Overlay(kv), header.stateRoot).getValueMap()
    const flat: string[] = []
    for await (const k of kv.keys({ gte: Uint8Array.of(Prefix.FlatAccount), lt: Uint8Array.of(Prefix.FlatStorage + 1) })) {
      flat.push(`${bytesToHex(k)}=${bytesToHex((await kv.get(k))!)}`)
    }
    if (Object.keys(accounts.values).length !== flat.filter((f) => f.startsWith('0x03')).length) throw new Error('flat accounts differ from the trie')
    return { head: bytesToHex(head), number, flat, root: bytesToHex(header.stateRoot) }
  } finally {
    await kv.close()
  }
}
