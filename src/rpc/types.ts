// The shape every JSON-RPC method table shares (Engine API port, --http port).
export type RpcHandler = (params: unknown[]) => Promise<unknown> | unknown
export type MethodTable = ReadonlyMap<string, RpcHandler>
