# Parallax's hive genesis mapper: jq -f mapper.jq genesis.json > mapped.json
#
# Hive hands every client the same geth-format /genesis.json and describes the chain's rules in HIVE_*
# environment variables. This filter writes those variables into the genesis `config` that
# `parallax init` reads. Values stay decimal strings (Parallax parses them exactly; a jq number is a
# double and would round a 64-bit terminal total difficulty). A variable that is unset leaves the
# genesis file's own field as it is; a set one replaces it.

# The value of an environment variable as a decimal string, or null when unset or empty.
def dec($name):
  env[$name] as $v
  | if $v == null or $v == "" then null
    elif ($v | test("^[0-9]+$")) then $v
    else error("\($name)=\($v): expected a decimal number")
    end;

# Drops the keys whose value is null.
def compact: with_entries(select(.value != null));

# One blobSchedule entry from HIVE_<FORK>_BLOB_{TARGET,MAX,BASE_FEE_UPDATE_FRACTION}, over the
# genesis file's entry and then the defaults hive's geth definition uses for that fork.
def blob($fork; $name; $target; $max; $fraction; $given):
  ($given[$fork] // {}) as $old
  | {
      target: (dec("HIVE_\($name)_BLOB_TARGET") // $old.target // $target),
      max: (dec("HIVE_\($name)_BLOB_MAX") // $old.max // $max),
      baseFeeUpdateFraction: (dec("HIVE_\($name)_BLOB_BASE_FEE_UPDATE_FRACTION") // $old.baseFeeUpdateFraction // $fraction)
    };

# HIVE_* variable → config field. Block-numbered forks first, then timestamped ones.
def fork_fields: {
  homesteadBlock: dec("HIVE_FORK_HOMESTEAD"),
  daoForkBlock: dec("HIVE_FORK_DAO_BLOCK"),
  eip150Block: dec("HIVE_FORK_TANGERINE"),
  eip155Block: dec("HIVE_FORK_SPURIOUS"),
  eip158Block: dec("HIVE_FORK_SPURIOUS"),
  byzantiumBlock: dec("HIVE_FORK_BYZANTIUM"),
  constantinopleBlock: dec("HIVE_FORK_CONSTANTINOPLE"),
  petersburgBlock: dec("HIVE_FORK_PETERSBURG"),
  istanbulBlock: dec("HIVE_FORK_ISTANBUL"),
  # hive's docs spell it MUIRGLACIER, its simulators MUIR_GLACIER: take either.
  muirGlacierBlock: (dec("HIVE_FORK_MUIR_GLACIER") // dec("HIVE_FORK_MUIRGLACIER")),
  berlinBlock: dec("HIVE_FORK_BERLIN"),
  londonBlock: dec("HIVE_FORK_LONDON"),
  arrowGlacierBlock: dec("HIVE_FORK_ARROW_GLACIER"),
  grayGlacierBlock: dec("HIVE_FORK_GRAY_GLACIER"),
  mergeNetsplitBlock: dec("HIVE_MERGE_BLOCK_ID"),
  terminalTotalDifficulty: dec("HIVE_TERMINAL_TOTAL_DIFFICULTY"),
  shanghaiTime: dec("HIVE_SHANGHAI_TIMESTAMP"),
  cancunTime: dec("HIVE_CANCUN_TIMESTAMP"),
  pragueTime: dec("HIVE_PRAGUE_TIMESTAMP"),
  osakaTime: dec("HIVE_OSAKA_TIMESTAMP"),
  bpo1Time: dec("HIVE_BPO1_TIMESTAMP"),
  bpo2Time: dec("HIVE_BPO2_TIMESTAMP"),
  bpo3Time: dec("HIVE_BPO3_TIMESTAMP"),
  bpo4Time: dec("HIVE_BPO4_TIMESTAMP"),
  bpo5Time: dec("HIVE_BPO5_TIMESTAMP"),
  amsterdamTime: dec("HIVE_AMSTERDAM_TIMESTAMP")
};

(.config // {}) as $given
| ($given + (fork_fields | compact)) as $cfg
| ($given.blobSchedule // {}) as $blobs
# Parallax reads the DAO vote as geth does; the flag only matters with a DAO block.
| (if env.HIVE_FORK_DAO_VOTE == null or env.HIVE_FORK_DAO_VOTE == "" then {} else { daoForkSupport: (env.HIVE_FORK_DAO_VOTE == "1") } end) as $dao
| ({
    chainId: dec("HIVE_CHAIN_ID"),
    depositContractAddress: (env.HIVE_DEPOSIT_CONTRACT_ADDRESS | if . == "" then null else . end)
  } | compact) as $ids
# A chain with no terminal total difficulty never merges: geth's definition then writes 2^63 - 1.
| (if $cfg.terminalTotalDifficulty == null then { terminalTotalDifficulty: "9223372036854775807" } else {} end) as $ttd
# One blobSchedule entry for each blob fork the chain schedules (cancun and later), no more.
| ([
    (if $cfg.cancunTime != null then { cancun: blob("cancun"; "CANCUN"; "3"; "6"; "3338477"; $blobs) } else empty end),
    (if $cfg.pragueTime != null then { prague: blob("prague"; "PRAGUE"; "6"; "9"; "5007716"; $blobs) } else empty end),
    (if $cfg.osakaTime != null then { osaka: blob("osaka"; "OSAKA"; "6"; "9"; "5007716"; $blobs) } else empty end),
    (if $cfg.bpo1Time != null then { bpo1: blob("bpo1"; "BPO1"; "10"; "15"; "8346193"; $blobs) } else empty end),
    (if $cfg.bpo2Time != null then { bpo2: blob("bpo2"; "BPO2"; "14"; "21"; "11684671"; $blobs) } else empty end),
    (if $cfg.bpo3Time != null then { bpo3: blob("bpo3"; "BPO3"; "9"; "14"; "8832827"; $blobs) } else empty end),
    (if $cfg.bpo4Time != null then { bpo4: blob("bpo4"; "BPO4"; "9"; "14"; "8832827"; $blobs) } else empty end),
    (if $cfg.bpo5Time != null then { bpo5: blob("bpo5"; "BPO5"; "9"; "14"; "8832827"; $blobs) } else empty end),
    (if $cfg.amsterdamTime != null then { amsterdam: blob("amsterdam"; "AMSTERDAM"; "14"; "21"; "11684671"; $blobs) } else empty end)
  ] | add // {}) as $schedule
| .config = ($cfg + $dao + $ids + $ttd + (if $schedule == {} then {} else { blobSchedule: ($blobs + $schedule) } end))
