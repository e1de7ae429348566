// Is an HTTP answer to a JSON-RPC body well-formed? A 200 carries one JSON-RPC 2.0 response object
// (or an array of them for a batch, or nothing when every entry was a notification); a refusal is a
// 4xx with a JSON-RPC error body. A 5xx, a non-JSON body, or a response without jsonrpc/id/exactly
// one of result and error is malformed. Returns the problem, or undefined when the answer is fine.

/** HTTP statuses a JSON-RPC server may refuse a request with (size, method, media type, auth, host). */
const REFUSALS = new Set([400, 401, 403, 405, 413, 415])

function responseProblem(r: unknown): string | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'response is not an object'
  const o = r as Record<string, unknown>
  if (o['jsonrpc'] !== '2.0') return 'jsonrpc is not "2.0"'
  if (!('id' in o)) return 'no id'
  const id = o['id']
  if (id !== null && typeof id !== 'string' && typeof id !== 'number') return 'id of a wrong type'
  const hasResult = 'result' in o
  const hasError = 'error' in o
  if (hasResult === hasError) return 'not exactly one of result and error'
  if (hasError) {
    const e = o['error'] as Record<string, unknown> | null
    if (typeof e !== 'object' || e === null) return 'error is not an object'
    if (!Number.isInteger(e['code'])) return 'error code is not an integer'
    if (typeof e['message'] !== 'string') return 'error message is not a string'
  }
  return undefined
}

/** True when the body parses to a notification or a batch of only notifications (no answer expected). */
function onlyNotifications(body: string): boolean {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return false
  }
  const isNote = (e: unknown): boolean => typeof e === 'object' && e !== null && !Array.isArray(e) && !('id' in e)
  return Array.isArray(parsed) ? parsed.length > 0 && parsed.every(isNote) : isNote(parsed)
}

export function replyProblem(status: number, text: string, body: string): string | undefined {
  if (status !== 200) {
    if (!REFUSALS.has(status)) return `HTTP ${status}`
    if (text === '') return undefined
    try {
      return responseProblem(JSON.parse(text))
    } catch {
      return `HTTP ${status} with a non-JSON body`
    }
  }
  if (text === '') return onlyNotifications(body) ? undefined : 'empty answer to a request that expects one'
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return 'answer is not JSON'
  }
  if (!Array.isArray(parsed)) return responseProblem(parsed)
  if (parsed.length === 0) return 'empty batch answer'
  for (const r of parsed) {
    const p = responseProblem(r)
    if (p !== undefined) return `batch entry: ${p}`
  }
  return undefined
}
