#!/usr/bin/env bash
# Apache Kafka (KRaft) for tests and benchmarks: one node (broker+controller in one JVM) on loopback, or
# with --brokers 3 a cluster of three such nodes that are together the controller quorum, each on its own
# ports or address (KAFKA_HOSTS), optionally each in a network namespace of its own (KAFKA_NETNS).
# The broker's jars come from Maven Central (scripts/infra/kafka/pom.xml) into <repo>/.cache/kafka/.
#
# Version choice (checked 2026-11 with kafkajs 2.2.4, the project's Node client): 4.4.0, the newest on
# Maven Central. Kafka 4.0 removed old protocol versions (KIP-896), but kafkajs always asks for the newest
# versions it knows, and those are all still served. Tried 4.4.0 first: admin createTopics (waitForLeaders),
# idempotent (maxInFlightRequests 1), plain and transactional producers, eachMessage/eachBatch consumers with
# autoCommit off and commitOffsets(offset+1), resuming a group from its committed offsets, listGroups,
# describeGroups, fetchOffsets, describeConfigs, createPartitions, deleteTopicRecords, a 2-member rebalance:
# all passed, and the broker logged no unsupported-version request. 3.9.2 (the last 3.x) behaved the same,
# so there was no reason to fall back. KAFKA_VERSION=3.9.2 still works (pom.xml's kafka3 profile).
# On a fresh broker, the first group join / idempotent producer got "coordinator is loading" errors
# (kafkajs logs them as ERROR and retries, on 3.9 and 4.4 alike): `up` waits them out (Ping.java "warm").
set -euo pipefail
NAME=kafka
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"

HERE="$INFRA_DIR"
CACHE="$ROOT/.cache/kafka"
HOME_V="$CACHE/$KAFKA_VERSION"                  # jars (lib/) and the compiled Ping tool (classes/)

usage() {
  cat <<EOF
Usage: scripts/infra/kafka.sh up|down|kill|status|url|version|fetch [--brokers 1|3] [--broker N]

Runs Apache Kafka $KAFKA_VERSION (KRaft): one node on 127.0.0.1:$KAFKA_PORT, or with --brokers 3 a
cluster of three nodes (each broker+controller, node ids 1..3, the controller quorum of the three) on
127.0.0.1 ports $KAFKA_PORT, $((KAFKA_PORT + 2)), $((KAFKA_PORT + 4)) (controllers $KAFKA_CONTROLLER_PORT, $((KAFKA_CONTROLLER_PORT + 2)), $((KAFKA_CONTROLLER_PORT + 4))), with
default.replication.factor=3, min.insync.replicas=2 and unclean leader election off.
  up       fetch the jars if needed, format storage, start the node(s), wait until they answer
  down     stop the node(s) (SIGTERM, then SIGKILL after ${KAFKA_STOP_TIMEOUT}s)
  kill     SIGKILL the node(s) at once, as a crash would (a cluster's data stays for 'up')
  status   say whether they run and answer (exit 0), not one runs (exit 3), or some do (exit 1)
  url      print the bootstrap address(es), comma-separated, for KAFKA_BROKERS
  version  print the Kafka version this script runs
  fetch    only download the jars into .cache/kafka/$KAFKA_VERSION/lib

  --brokers 1|3  one node (the default) or the three-node cluster. Once a cluster was made in a run
                 folder (it leaves cluster.env there), every command on that folder means the cluster.
  --broker N     up, down, kill or status of node N alone (1..3); 'up --broker N' starts node N of
                 the existing cluster again on its data and waits until it answers.

Environment: KAFKA_VERSION, KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
  KAFKA_HEAP per node ("-Xms128m -Xmx512m"; "-Xms128m -Xmx384m" in a cluster), KAFKA_START_TIMEOUT (90 s),
  KAFKA_STOP_TIMEOUT (30 s), JAVA_HOME, KAFKA_DATA_DIR (log.dirs), KAFKA_RUN_DIR (config, pid file, log),
  KAFKA_HOSTS="a1,a2,a3": one address per node, each node then on KAFKA_PORT / KAFKA_CONTROLLER_PORT of
    its own address (the addresses must exist; see KAFKA_NETNS),
  KAFKA_NETNS="ns1,ns2,ns3": node i runs inside network namespace i (ip netns exec; needs root).
Files: .cache/kafka/run/<port>/{server.properties,kafka.log,kafka.pid}, data in
  .cache/kafka/data/<port>/<version> (<port> is <first host>_<port> with KAFKA_HOSTS), unless
  KAFKA_RUN_DIR / KAFKA_DATA_DIR say otherwise; a cluster has node1..node3 subfolders in both, and
  cluster.env (its layout and cluster id) in the run folder. Jars in .cache/kafka/<version>/lib.
EOF
}

# --- the command line: a command and options in any order
COMMAND="" BROKERS_ARG="" NODE_ARG=""
while (($#)); do
  case "$1" in
    --brokers | --broker)
      (($# >= 2)) || die "$1 needs a number"
      if [[ "$1" == --brokers ]]; then BROKERS_ARG="$2"; else NODE_ARG="$2"; fi
      shift 2 ;;
    --brokers=*) BROKERS_ARG="${1#*=}"; shift ;;
    --broker=*) NODE_ARG="${1#*=}"; shift ;;
    -h | --help | help) usage; exit 0 ;;
    up | down | kill | status | url | version | fetch)
      [[ -z "$COMMAND" ]] || { usage >&2; exit 2; }
      COMMAND="$1"; shift ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -n "$COMMAND" ]] || { usage >&2; exit 2; }
[[ -z "$BROKERS_ARG" || "$BROKERS_ARG" =~ ^[13]$ ]] || die "--brokers must be 1 or 3, got '$BROKERS_ARG'"
[[ -z "$NODE_ARG" || "$NODE_ARG" =~ ^[1-9][0-9]*$ ]] || die "--broker must be a node id (1..3), got '$NODE_ARG'"
[[ -z "$NODE_ARG" || "$COMMAND" =~ ^(up|down|kill|status)$ ]] || die "--broker goes with up, down, kill or status"

# --- where the files are
IFS=, read -ra ENV_HOSTS <<<"${KAFKA_HOSTS:-}"
IFS=, read -ra ENV_NETNS <<<"${KAFKA_NETNS:-}"
PLACE="$KAFKA_PORT"
((${#ENV_HOSTS[@]} == 0)) || PLACE="${ENV_HOSTS[0]}_$KAFKA_PORT"
# A second broker or cluster (a test that kills and restarts its own) sets KAFKA_PORT and
# KAFKA_CONTROLLER_PORT (or KAFKA_HOSTS), and may keep its files apart with KAFKA_DATA_DIR and
# KAFKA_RUN_DIR (e.g. in a temporary folder).
DATA="${KAFKA_DATA_DIR:-$CACHE/data/$PLACE/$KAFKA_VERSION}"  # log.dirs: topics and KRaft metadata
RUN="${KAFKA_RUN_DIR:-$CACHE/run/$PLACE}"                    # config, pid file, log (per node)
LAYOUT="$RUN/cluster.env"                                     # a cluster's addresses, namespaces and id

# --- how many nodes, and where each one listens
CLUSTER_NODES="" CLUSTER_ID="" NODE_HOSTS=() NODE_PORTS=() NODE_CPORTS=() NODE_NETNS=()
if [[ -f "$LAYOUT" ]]; then
  # shellcheck source=/dev/null
  source "$LAYOUT"
  [[ -z "$BROKERS_ARG" || "$BROKERS_ARG" == "$CLUSTER_NODES" ]] ||
    die "$RUN holds a $CLUSTER_NODES-node cluster (cluster.env); use another KAFKA_RUN_DIR / KAFKA_PORT for --brokers $BROKERS_ARG"
fi
NODES="${BROKERS_ARG:-${CLUSTER_NODES:-1}}"
CLUSTER=$((NODES > 1))
[[ -z "$NODE_ARG" ]] || ((NODE_ARG <= NODES)) || die "there is no node $NODE_ARG: $NODES node(s)"
KAFKA_HEAP="${KAFKA_HEAP:-$( ((CLUSTER)) && echo '-Xms128m -Xmx384m' || echo '-Xms128m -Xmx512m')}"

env_layout() {  # the layout the environment asks for
  local i
  ((${#ENV_HOSTS[@]} == 0 || ${#ENV_HOSTS[@]} == NODES)) ||
    die "KAFKA_HOSTS has ${#ENV_HOSTS[@]} address(es) for $NODES node(s)"
  ((${#ENV_NETNS[@]} == 0 || ${#ENV_NETNS[@]} == NODES)) ||
    die "KAFKA_NETNS has ${#ENV_NETNS[@]} namespace(s) for $NODES node(s)"
  NODE_HOSTS=() NODE_PORTS=() NODE_CPORTS=() NODE_NETNS=()
  for ((i = 0; i < NODES; i++)); do
    if ((${#ENV_HOSTS[@]})); then
      NODE_HOSTS+=("${ENV_HOSTS[i]}") NODE_PORTS+=("$KAFKA_PORT") NODE_CPORTS+=("$KAFKA_CONTROLLER_PORT")
    else  # all on loopback: ports two apart, so that a node's broker and controller ports sit together
      NODE_HOSTS+=(127.0.0.1) NODE_PORTS+=($((KAFKA_PORT + 2 * i))) NODE_CPORTS+=($((KAFKA_CONTROLLER_PORT + 2 * i)))
    fi
    NODE_NETNS+=("${ENV_NETNS[i]:-}")
  done
}

# A single node follows the environment every time (as it always did). A cluster keeps the layout it
# was made with (its nodes know each other by these addresses); only the namespaces may change, while
# no node runs (a suite that made new ones).
if ((CLUSTER)) && [[ -n "$CLUSTER_NODES" ]]; then
  if ((${#ENV_HOSTS[@]})) && [[ "${ENV_HOSTS[*]}" != "${NODE_HOSTS[*]}" ]]; then
    die "the cluster in $RUN was made on ${NODE_HOSTS[*]}, not on ${ENV_HOSTS[*]} (KAFKA_HOSTS)"
  fi
else
  env_layout
fi

save_layout() {
  mkdir -p "$RUN"
  {
    echo "# written by scripts/infra/kafka.sh: this cluster's layout, read by every later command"
    printf 'CLUSTER_NODES=%q\nCLUSTER_ID=%q\n' "$NODES" "$CLUSTER_ID"
    printf 'NODE_HOSTS=(%s)\n' "$(printf '%q ' "${NODE_HOSTS[@]}")"
    printf 'NODE_PORTS=(%s)\n' "$(printf '%q ' "${NODE_PORTS[@]}")"
    printf 'NODE_CPORTS=(%s)\n' "$(printf '%q ' "${NODE_CPORTS[@]}")"
    printf 'NODE_NETNS=(%s)\n' "$(printf '%q ' "${NODE_NETNS[@]}")"
  } >"$LAYOUT.tmp"
  mv -f "$LAYOUT.tmp" "$LAYOUT"
}

bootstrap_list() {
  local i out=""
  for ((i = 0; i < NODES; i++)); do out+="${out:+,}${NODE_HOSTS[i]}:${NODE_PORTS[i]}"; done
  echo "$out"
}

# node N: points the per-node names below at node N (1-based). A single node keeps its files directly
# in RUN and DATA, as before clusters; a cluster's node N has node<N>/ subfolders.
node() {
  ID=$1
  HOST="${NODE_HOSTS[ID - 1]}" PORT="${NODE_PORTS[ID - 1]}" CPORT="${NODE_CPORTS[ID - 1]}"
  NETNS="${NODE_NETNS[ID - 1]}"
  if ((CLUSTER)); then
    NRUN="$RUN/node$ID" NDATA="$DATA/node$ID" WHO="node $ID" TAG="node $ID: "
  else
    NRUN="$RUN" NDATA="$DATA" WHO="broker" TAG=""
  fi
  CONFIG="$NRUN/server.properties" PIDFILE="$NRUN/kafka.pid" LOG="$NRUN/kafka.log"
  BOOTSTRAP="$HOST:$PORT"
  PREFIX=()
  [[ -z "$NETNS" ]] || PREFIX=(ip netns exec "$NETNS")
}

# the node ids a command is about: --broker N, or all of them
selected() { if [[ -n "$NODE_ARG" ]]; then echo "$NODE_ARG"; else seq 1 "$NODES"; fi; }

running_pid() {  # prints the pid of the current node if it runs; tolerates a stale pid file
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $CONFIG" || return 1
  echo "$pid"
}

running_version() { grep -o 'Kafka version: [^ ]*' "$LOG" 2>/dev/null | tail -n 1 | cut -d' ' -f3; }

# port_busy PORT: something listens on the current node's address (seen from its namespace)
port_busy() { timeout 3 "${PREFIX[@]}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null; }

fetch() {
  local lib="$HOME_V/lib" stamp
  stamp="$KAFKA_VERSION $(sha256sum "$HERE/kafka/pom.xml" | cut -d' ' -f1)"
  complete() { [[ -f "$lib/.complete" && "$(cat "$lib/.complete")" == "$stamp" ]]; }
  complete && return 0
  mkdir -p "$HOME_V" && exec 8>"$HOME_V/.fetch.lock" && flock 8  # brokers on other ports may fetch too
  if ! complete; then
    command -v mvn >/dev/null || die "mvn not found (needed once to fetch Kafka from Maven Central)"
    log "fetching kafka_2.13:$KAFKA_VERSION and its runtime classpath from Maven Central"
    rm -rf "$lib" && mkdir -p "$lib"
    if ! mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -Dkafka.version="$KAFKA_VERSION" -Dkafka.line="${KAFKA_VERSION%%.*}" -DoutputDirectory="$lib" \
      >"$HOME_V/fetch.log" 2>&1; then
      cat "$HOME_V/fetch.log" >&2
      die "maven could not fetch Kafka $KAFKA_VERSION (see above)"
    fi
    echo "$stamp" >"$lib/.complete"
  fi
  exec 8>&-
}

ping_tool() {  # compiles kafka/Ping.java when needed
  local classes="$HOME_V/classes"
  if [[ ! -f "$classes/Ping.class" || "$HERE/kafka/Ping.java" -nt "$classes/Ping.class" ]]; then
    mkdir -p "$classes"
    "$JAVAC" -nowarn -d "$classes" -cp "$HOME_V/lib/*" "$HERE/kafka/Ping.java" >&2 || die "could not compile Ping.java"
  fi
}

# ping_kafka BOOTSTRAP TIMEOUT [PIDS [warm|- [BROKERS]]]: real protocol check through Kafka's AdminClient
# (see kafka/Ping.java), from this namespace: where the clients are.
ping_kafka() {
  ping_tool
  "$JAVA" -Xmx64m -XX:TieredStopAtLevel=1 -Dinfra.log.level=ERROR "${LOGCONF[@]}" \
    -cp "$HOME_V/classes:$HOME_V/lib/*" Ping "$@"
}

LOGCONF=(-Dlog4j.configuration="file:$HERE/kafka/log4j.properties"
         -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties")

write_config() {  # the current node's server.properties
  local i voters="" rf=1 isr=1
  if ((CLUSTER)); then
    rf="$NODES" isr=2
    for ((i = 0; i < NODES; i++)); do voters+="${voters:+,}$((i + 1))@${NODE_HOSTS[i]}:${NODE_CPORTS[i]}"; done
  else
    voters="1@$HOST:$CPORT"
  fi
  mkdir -p "$NDATA" "$NRUN"
  cat >"$CONFIG" <<EOF
# written by scripts/infra/kafka.sh for Kafka $KAFKA_VERSION
process.roles=broker,controller
node.id=$ID
controller.quorum.voters=$voters
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CPORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$NDATA
num.partitions=1
auto.create.topics.enable=true
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
EOF
}

new_cluster_id() {
  local uuid
  uuid="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  [[ "$uuid" == -* ]] && uuid="A${uuid:1}"
  echo "$uuid"
}

format_storage() {  # format_storage CLUSTER_ID: the current node's log.dirs, unless already formatted
  [[ -f "$NDATA/meta.properties" ]] && return 0
  log "${TAG}formatting storage in $NDATA (cluster id $1)"
  "$JAVA" -Xmx256m -Dinfra.log.level=WARN "${LOGCONF[@]}" -cp "$HOME_V/lib/*" \
    kafka.tools.StorageTool format -t "$1" -c "$CONFIG" --ignore-formatted >"$NRUN/format.log" 2>&1 \
    || { cat "$NRUN/format.log" >&2; die "${TAG}storage format failed"; }
}

spawn() {  # starts the current node's JVM in the background and prints its pid
  local pid="" i
  rm -f "$PIDFILE"
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
  # the inner bash writes its own pid, then becomes the JVM (ip netns exec execs, so the pid holds);
  # KAFKA_HEAP holds several JVM flags
  # shellcheck disable=SC2016,SC2086
  setsid "${PREFIX[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$JAVA" $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true -Dinfra.log.level=INFO "${LOGCONF[@]}" \
    -cp "$HOME_V/lib/*" kafka.Kafka "$CONFIG" >"$LOG" 2>&1 </dev/null 9>&- &
  for ((i = 0; i < 50; i++)); do pid="$(cat "$PIDFILE" 2>/dev/null)" && [[ -n "$pid" ]] && break; sleep 0.1; done
  [[ -n "$pid" ]] || die "${TAG}process did not start (log: $LOG)"
  echo "$pid"
}

# stop SIGNAL ID...: sends SIGNAL to those nodes that run, waits until they are gone (after SIGTERM,
# KAFKA_STOP_TIMEOUT at most, then SIGKILL), and removes their pid files
stop() {
  local signal=$1 id pid i alive
  shift
  local -A pids=()
  for id in "$@"; do
    node "$id"
    if pid="$(running_pid)"; then
      log "$TAG$([[ $signal == KILL ]] && echo killing || echo stopping) pid $pid"
      kill "-$signal" "$pid" 2>/dev/null || true
      pids[$id]=$pid
    else
      rm -f "$PIDFILE"
      log "${TAG}already down"
    fi
  done
  ((${#pids[@]})) || return 0
  for ((i = 0; i < KAFKA_STOP_TIMEOUT * 10; i++)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for id in "${!pids[@]}"; do
    if kill -0 "${pids[$id]}" 2>/dev/null; then
      node "$id"
      log "${TAG}still running after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "${pids[$id]}" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "${pids[$id]}" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  for id in "${!pids[@]}"; do node "$id"; rm -f "$PIDFILE"; done
  log "${NODE_ARG:+$TAG}down"
}

down() { mapfile -t ids < <(selected); stop TERM "${ids[@]}"; }
kill_nodes() { mapfile -t ids < <(selected); stop KILL "${ids[@]}"; }

up_single() {
  node 1
  if pid="$(running_pid)"; then
    log "already up: Kafka $(running_version) (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  command -v "$JAVA" >/dev/null || die "java not found (set JAVA_HOME)"
  for p in "$PORT" "$CPORT"; do
    port_busy "$p" && die "port $HOST:$p is taken by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
  done
  [[ ! -d "$DATA/node1" ]] || die "$DATA holds a cluster's data (node1/); use --brokers 3 or another KAFKA_DATA_DIR"
  fetch
  write_config
  format_storage "$(new_cluster_id)"
  log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (log: $LOG)"
  pid="$(spawn)"
  if ! ping_kafka "$BOOTSTRAP" "$KAFKA_START_TIMEOUT" "$pid" warm >&2; then
    tail -n 30 "$LOG" >&2
    kill -0 "$pid" 2>/dev/null || die "broker exited during startup (log above: $LOG)"
    stop TERM 1 >/dev/null 2>&1 || true
    die "broker did not answer within ${KAFKA_START_TIMEOUT}s, stopped it (log: $LOG)"
  fi
  log "up: Kafka $(running_version) (pid $pid) on $BOOTSTRAP"
}

# up of a cluster: starts the selected nodes that do not run (all at once: a node answers only once a
# majority of the controllers runs), waits until each answers, and after a whole-cluster start until
# the group and transaction coordinators work on all three.
up_cluster() {
  local id pid p ids=() started=() pids=() jobs=() failed=""
  local -A all=()
  command -v "$JAVA" >/dev/null || die "java not found (set JAVA_HOME)"
  if [[ ! -f "$LAYOUT" ]]; then
    [[ -n "$NODE_ARG" ]] && die "there is no cluster in $RUN to start node $NODE_ARG of (up --brokers 3 first)"
    [[ ! -f "$DATA/meta.properties" ]] || die "$DATA holds a single broker's data; use another KAFKA_DATA_DIR"
  fi
  mapfile -t ids < <(selected)
  for id in $(seq 1 "$NODES"); do node "$id"; pid="$(running_pid)" && all[$id]=$pid; done
  if ((${#all[@]} == 0 && ${#ENV_NETNS[@]} == NODES)); then  # new namespaces for a stopped cluster
    NODE_NETNS=("${ENV_NETNS[@]}")
  fi
  for id in "${ids[@]}"; do
    node "$id"
    if [[ -n "${all[$id]:-}" ]]; then
      log "${TAG}already up: Kafka $(running_version) (pid ${all[$id]}) on $BOOTSTRAP"
      continue
    fi
    for p in "$PORT" "$CPORT"; do
      port_busy "$p" && die "${TAG}port $HOST:$p is taken by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT or KAFKA_HOSTS)"
    done
    started+=("$id")
  done
  ((${#started[@]})) || return 0
  fetch
  [[ -n "$CLUSTER_ID" ]] || CLUSTER_ID="$(new_cluster_id)"
  save_layout
  # each node's JVMs at once (formatting, then waiting for an answer): they take seconds each
  for id in "${started[@]}"; do node "$id"; write_config; format_storage "$CLUSTER_ID" & jobs+=($!); done
  for p in "${jobs[@]}"; do wait "$p" || die "could not format the cluster's storage"; done
  ping_tool
  for id in "${started[@]}"; do
    node "$id"
    log "${TAG}starting Kafka $KAFKA_VERSION on $BOOTSTRAP${NETNS:+ in namespace $NETNS} (log: $LOG)"
    pid="$(spawn)"
    pids+=("$pid")
  done
  jobs=()
  for p in "${!started[@]}"; do
    node "${started[p]}"
    ping_kafka "$BOOTSTRAP" "$KAFKA_START_TIMEOUT" "${pids[p]}" >/dev/null &
    jobs+=($!)
  done
  for p in "${!started[@]}"; do wait "${jobs[p]}" || failed="${failed:-${started[p]}}"; done
  if [[ -z "$failed" && -z "$NODE_ARG" ]] &&
    ! ping_kafka "$(bootstrap_list)" "$KAFKA_START_TIMEOUT" "$(IFS=,; echo "${pids[*]}")" warm "$NODES" >/dev/null; then
    failed=all
  fi
  if [[ -n "$failed" ]]; then
    [[ "$failed" == all ]] || { node "$failed"; tail -n 30 "$LOG" >&2; }
    stop TERM "${started[@]}" >/dev/null 2>&1 || true
    die "$([[ "$failed" == all ]] && echo "the cluster's coordinators" || echo "$WHO") did not answer within ${KAFKA_START_TIMEOUT}s; stopped the node(s) this command started (logs: $RUN/node*/kafka.log)"
  fi
  for p in "${!started[@]}"; do
    node "${started[p]}"
    log "${TAG}up: Kafka $(running_version) (pid ${pids[p]}) on $BOOTSTRAP"
  done
  ((${#started[@]} < NODES)) || log "up: $NODES nodes on $(bootstrap_list)"
}

up() { if ((CLUSTER)); then up_cluster; else up_single; fi; }

status() {
  local id pid up=0 down=0 answered
  for id in $(selected); do
    node "$id"
    local who="kafka${TAG:+ $WHO}"
    if ! pid="$(running_pid)"; then
      echo "$who: down"
      down=$((down + 1))
    elif ping_kafka "$BOOTSTRAP" 5 "$pid" >/dev/null; then
      echo "$who: up, Kafka $(running_version) (pid $pid) on $BOOTSTRAP${NETNS:+ in namespace $NETNS}"
      up=$((up + 1))
    else
      echo "$who: process $pid runs but $BOOTSTRAP does not answer"
    fi
  done
  answered=$(selected | wc -l)
  ((up == answered)) && return 0
  ((down == answered)) && return 3
  return 1
}

case "$COMMAND" in
  up | down | kill | fetch)  # one at a time per run folder
    mkdir -p "$RUN" && exec 9>"$RUN/.lock" && flock 9
    case "$COMMAND" in kill) kill_nodes ;; *) "$COMMAND" ;; esac ;;
  status) status ;;
  url) bootstrap_list ;;
  version) echo "$KAFKA_VERSION" ;;
esac
