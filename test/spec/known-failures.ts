// Fixture cases that are known to fail, with the reason. The runners assert they still fail, so a
// fix shows up as a test failure until the entry is removed. Keep this list short and explained.
export const KNOWN_FAILURES = new Map<string, string>([])

/**
 * Engine fixture cases known to fail (none today). Note: three older cases that send a 1-byte
 * execution request expect INVALID, while execution-apis prague.md demands -32602 (which we answer);
 * all three use the pre-mainnet system-contract addresses and are left out anyway.
 */
export const KNOWN_ENGINE_FAILURES = new Map<string, string>([])

/** state_test runs (`<file>::<case>::<fork>[d,g,v]`) known to fail (none today). */
export const KNOWN_STATE_FAILURES = new Map<string, string>([])

/** transaction_test cases (`<file>::<case>::<fork>`) known to fail, with the reason. */
export const KNOWN_TX_FAILURES = new Map<string, string>([])
