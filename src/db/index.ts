// src/db: storage. LevelDB (classic-level) behind a small KV interface, the one key-prefix table,
// the trie-node adapter for @ethereumjs/mpt, the write overlay that makes a block one atomic batch,
// and the chain store (headers, bodies, receipts, canonical index, forkchoice pointers, flat state).
export * from './interface.ts'
export * from './keys.ts'
export { MemoryKV } from './memory.ts'
export { LevelKV } from './level.ts'
export { Overlay } from './overlay.ts'
export { TrieNodeDB } from './trie-db.ts'
