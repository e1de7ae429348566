#!/bin/bash
# Hive entry point of the Parallax client container: maps hive's files and HIVE_* variables onto
# `parallax init`, `parallax import` and `parallax node`, then runs the node in the foreground.
#
#   parallax.sh [root]
#
# root (default /) is where hive's files are looked for and where this script writes; the image uses
# /, the e2e test (test/e2e/hive-client.test.ts) a temporary directory laid out the same way:
#
#   <root>/genesis.json   geth-format genesis (mandatory)
#   <root>/chain.rlp      blocks to import before serving (optional)
#   <root>/blocks/*.rlp   more blocks, imported in numeric file name order (optional)
#   <root>/keys/          keystore files (optional): --keystore, their accounts listed (locked)
#   <root>/jwtsecret      the Engine API secret; when absent, hive's well-known secret is written there
#
# Written: <root>/parallax-genesis.json (the mapped genesis), <root>/parallax-data (the datadir).
#
# Variables (hive's eth1 client protocol): HIVE_CHAIN_ID, HIVE_NETWORK_ID, the fork variables
# HIVE_FORK_* / HIVE_MERGE_BLOCK_ID / HIVE_*_TIMESTAMP through Osaka, BPO1-5 and Amsterdam, the blob
# parameters HIVE_<FORK>_BLOB_*, HIVE_TERMINAL_TOTAL_DIFFICULTY, HIVE_DEPOSIT_CONTRACT_ADDRESS (all
# in mapper.jq), HIVE_BOOTNODE, HIVE_LOGLEVEL, HIVE_NODETYPE, HIVE_SKIP_POW, HIVE_MINER,
# HIVE_MINER_EXTRA, HIVE_TARGET_GAS_LIMIT, HIVE_CLIQUE_PERIOD (refused), HIVE_GRAPHQL_ENABLED (no
# GraphQL: refused).
#
# Outside hive: PARALLAX_BIN (the command, default `parallax`), PARALLAX_HIVE_ADDR (listen address,
# default 0.0.0.0) and PARALLAX_HIVE_{HTTP,WS,AUTH,P2P}_PORT (defaults 8545, 8546, 8551, 30303).
set -euo pipefail

ROOT="${1:-/}"
ROOT="${ROOT%/}" # "" for /, so "$ROOT/genesis.json" is /genesis.json
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
read -r -a PARALLAX <<<"${PARALLAX_BIN:-parallax}"
ADDR="${PARALLAX_HIVE_ADDR:-0.0.0.0}"
HTTP_PORT="${PARALLAX_HIVE_HTTP_PORT:-8545}"
WS_PORT="${PARALLAX_HIVE_WS_PORT:-8546}"
AUTH_PORT="${PARALLAX_HIVE_AUTH_PORT:-8551}"
P2P_PORT="${PARALLAX_HIVE_P2P_PORT:-30303}"
DATADIR="$ROOT/parallax-data"
GENESIS="$ROOT/parallax-genesis.json"
JWT="$ROOT/jwtsecret"
# The secret every hive Engine API simulator signs with ("secretsecret…" in hex).
HIVE_JWT="0x7365637265747365637265747365637265747365637265747365637265747365"

say() { echo "parallax.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

[ -f "$ROOT/genesis.json" ] || fail "$ROOT/genesis.json not found (hive provides it)"

# Global flags (every command).
GLOBAL=(--datadir "$DATADIR")
if [ -n "${HIVE_LOGLEVEL:-}" ]; then
  case "$HIVE_LOGLEVEL" in
    [0-5]) GLOBAL+=(--verbosity "$HIVE_LOGLEVEL") ;;
    *) fail "HIVE_LOGLEVEL=$HIVE_LOGLEVEL: expected 0-5" ;;
  esac
fi

# What Parallax cannot be asked to do: refuse at once, as geth's definition does for an unknown node type.
case "${HIVE_NODETYPE:-}" in
  "" | full | archive) ;; # Parallax executes every block and keeps every state: geth's full/archive
  *) fail "unsupported HIVE_NODETYPE=${HIVE_NODETYPE} (Parallax syncs full and keeps archive state; no snap or light sync)" ;;
esac
[ -z "${HIVE_CLIQUE_PERIOD:-}" ] || fail "HIVE_CLIQUE_PERIOD is set: Parallax has no clique (proof of authority) engine"
[ -z "${HIVE_GRAPHQL_ENABLED:-}" ] || fail "HIVE_GRAPHQL_ENABLED is set: Parallax serves no GraphQL"

NODE=(--syncmode full --gcmode archive)
NODE+=(--networkid "${HIVE_NETWORK_ID:-1337}") # geth's definition avoids mainnet's id when hive names none
[ -z "${HIVE_MINER_EXTRA:-}" ] || NODE+=(--miner.extradata "$HIVE_MINER_EXTRA")
[ -z "${HIVE_TARGET_GAS_LIMIT:-}" ] || NODE+=(--miner.gaslimit "$HIVE_TARGET_GAS_LIMIT")
if [ -n "${HIVE_MINER:-}" ]; then
  say "HIVE_MINER=$HIVE_MINER ignored: Parallax does not mine; blocks are built for a consensus client over the Engine API"
fi
if [ -n "${HIVE_SKIP_POW:-}" ]; then
  say "HIVE_SKIP_POW: nothing to switch off, Parallax never verifies ethash seals of pre-merge blocks"
fi

# Peers: Parallax speaks libp2p. A multiaddr bootnode (another Parallax's enode.sh) is dialled; a
# devp2p enode URL (geth, reth, ...) cannot be, and is left out with a line saying so.
BOOTNODES=()
BOOT="${HIVE_BOOTNODE:-}"
for b in ${BOOT//,/ }; do
  case "$b" in
    /ip4/* | /ip6/* | /dns/* | /dns4/* | /dns6/*) BOOTNODES+=("$b") ;;
    *) say "bootnode $b left out: Parallax peers over libp2p multiaddrs, not devp2p enode URLs" ;;
  esac
done
if [ "${#BOOTNODES[@]}" -gt 0 ]; then
  NODE+=(--bootnodes "$(IFS=,; echo "${BOOTNODES[*]}")")
fi

# Genesis: hive's variables onto the file, then init (idempotent on a restart).
jq -f "$HERE/mapper.jq" "$ROOT/genesis.json" >"$GENESIS"
if [ "${HIVE_LOGLEVEL:-3}" -ge 4 ]; then
  say "genesis config:"
  jq -c .config "$GENESIS" >&2
fi
"${PARALLAX[@]}" "${GLOBAL[@]}" init "$GENESIS"

# Blocks: a failed import is not fatal (hive expects the node to serve the last valid block).
if [ -f "$ROOT/chain.rlp" ]; then
  "${PARALLAX[@]}" "${GLOBAL[@]}" import "$ROOT/chain.rlp" || say "import of $ROOT/chain.rlp stopped at an invalid block"
else
  say "no $ROOT/chain.rlp"
fi
if [ -d "$ROOT/blocks" ]; then
  # All files in one import, in numeric name order; like geth's, an invalid file stops only itself.
  mapfile -t FILES < <(cd "$ROOT/blocks" && ls | sort -n)
  if [ "${#FILES[@]}" -gt 0 ]; then
    "${PARALLAX[@]}" "${GLOBAL[@]}" import "${FILES[@]/#/$ROOT/blocks/}" || say "not every file of $ROOT/blocks was imported"
  fi
fi

# Keystore files: their accounts are listed by eth_accounts, locked (hive gives no password), as a
# geth with those files in its keystore lists them.
if [ -d "$ROOT/keys" ] && [ -n "$(ls -A "$ROOT/keys")" ]; then
  NODE+=(--keystore "$ROOT/keys")
fi

# The Engine API secret: the one mounted at <root>/jwtsecret, else hive's.
if [ ! -f "$JWT" ]; then
  echo "$HIVE_JWT" >"$JWT"
fi

API=admin,debug,eth,net,txpool,web3
exec "${PARALLAX[@]}" "${GLOBAL[@]}" node "${NODE[@]}" \
  --http --http.addr "$ADDR" --http.port "$HTTP_PORT" --http.api "$API" --http.vhosts '*' \
  --ws --ws.addr "$ADDR" --ws.port "$WS_PORT" --ws.api "$API" --ws.origins '*' \
  --authrpc.addr "$ADDR" --authrpc.port "$AUTH_PORT" --authrpc.jwtsecret "$JWT" \
  --port "$P2P_PORT" --p2p.addr "$ADDR"
