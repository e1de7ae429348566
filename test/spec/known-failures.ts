// Fixture cases that are known to fail, with the reason. The runners assert they still fail, so a
// fix shows up as a test failure until the entry is removed. Keep this list short and explained.
export const KNOWN_FAILURES = new Map<string, string>([])
