#!/bin/bash
# Prints this node's p2p address for hive's simulators (/hive-bin/enode.sh). Parallax peers over
# libp2p, so the address is a multiaddr, /ip4/<ip>/tcp/<port>/p2p/<peer id>, the form --bootnodes
# (and so HIVE_BOOTNODE, for another Parallax) takes; admin_nodeInfo's `enode` field holds the same.
# The node listens on 0.0.0.0 in the container, so the host part is the container's own address
# (what geth's definition passes as --nat=extip), not the loopback address libp2p may list first.
#
# PARALLAX_HIVE_RPC: the HTTP JSON-RPC endpoint (default localhost:8545).
set -euo pipefail

RPC="${PARALLAX_HIVE_RPC:-localhost:8545}"
INFO=$(curl -sf -X POST -H 'Content-Type: application/json' \
  --data '{"jsonrpc":"2.0","id":1,"method":"admin_nodeInfo","params":[]}' "$RPC")
ID=$(jq -r '.result.id // ""' <<<"$INFO")
PORT=$(jq -r '.result.ports.listener // 0' <<<"$INFO")
if [ -z "$ID" ] || [ "$PORT" = "0" ]; then
  echo "enode.sh: the node at $RPC has no p2p listener (admin_nodeInfo: $INFO)" >&2
  exit 1
fi
IP=$(hostname -i 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | grep -v '^127\.' | head -n 1 || true)
if [ -z "$IP" ]; then
  # No routable IPv4 address of our own (outside a container, say): the node's own answer.
  jq -r '.result.enode' <<<"$INFO"
else
  echo "/ip4/$IP/tcp/$PORT/p2p/$ID"
fi
