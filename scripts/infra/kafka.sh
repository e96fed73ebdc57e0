#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker+controller in one JVM) on loopback, for tests and benchmarks.
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
KAFKA_HEAP="${KAFKA_HEAP:--Xms128m -Xmx512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"

HERE="$INFRA_DIR"
CACHE="$ROOT/.cache/kafka"
HOME_V="$CACHE/$KAFKA_VERSION"                  # jars (lib/) and the compiled Ping tool (classes/)
# A second broker (a test that restarts its own) sets KAFKA_PORT and KAFKA_CONTROLLER_PORT, and may
# keep its files apart with KAFKA_DATA_DIR and KAFKA_RUN_DIR (e.g. in a temporary folder).
DATA="${KAFKA_DATA_DIR:-$CACHE/data/$KAFKA_PORT/$KAFKA_VERSION}"  # log.dirs: topics and KRaft metadata
RUN="${KAFKA_RUN_DIR:-$CACHE/run/$KAFKA_PORT}"                    # one broker per port: config, pid file, log
CONFIG="$RUN/server.properties"
PIDFILE="$RUN/kafka.pid"
LOG="$RUN/kafka.log"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

usage() {
  cat <<EOF
Usage: scripts/infra/kafka.sh up|down|status|url|version|fetch

Runs Apache Kafka $KAFKA_VERSION (single node, KRaft) on $BOOTSTRAP.
  up       fetch the jars if needed, format storage, start the broker, wait until it answers
  down     stop the broker (SIGTERM, then SIGKILL after ${KAFKA_STOP_TIMEOUT}s)
  status   say whether it runs and answers (exit 0) or not (exit 3)
  url      print the bootstrap address ($BOOTSTRAP)
  version  print the Kafka version this script runs
  fetch    only download the jars into .cache/kafka/$KAFKA_VERSION/lib

Environment: KAFKA_VERSION, KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
  KAFKA_HEAP ("-Xms128m -Xmx512m"), KAFKA_START_TIMEOUT (90 s), KAFKA_STOP_TIMEOUT (30 s), JAVA_HOME,
  KAFKA_DATA_DIR (the broker's log.dirs), KAFKA_RUN_DIR (its config, pid file and log).
Files: .cache/kafka/run/<port>/{server.properties,kafka.log,kafka.pid}, data in
  .cache/kafka/data/<port>/<version> (unless KAFKA_RUN_DIR / KAFKA_DATA_DIR say otherwise),
  jars in .cache/kafka/<version>/lib.
EOF
}

running_pid() {  # prints the pid of our broker if it runs; tolerates a stale pid file
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $CONFIG" || return 1
  echo "$pid"
}

running_version() { grep -o 'Kafka version: [^ ]*' "$LOG" 2>/dev/null | tail -n 1 | cut -d' ' -f3; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

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

ping_broker() {  # ping_broker TIMEOUT [PID]: real protocol check through Kafka's AdminClient
  local classes="$HOME_V/classes"
  if [[ ! -f "$classes/Ping.class" || "$HERE/kafka/Ping.java" -nt "$classes/Ping.class" ]]; then
    mkdir -p "$classes"
    "$JAVAC" -nowarn -d "$classes" -cp "$HOME_V/lib/*" "$HERE/kafka/Ping.java" >&2 || die "could not compile Ping.java"
  fi
  "$JAVA" -Xmx64m -XX:TieredStopAtLevel=1 -Dinfra.log.level=ERROR "${LOGCONF[@]}" \
    -cp "$classes:$HOME_V/lib/*" Ping "$BOOTSTRAP" "$@"
}

LOGCONF=(-Dlog4j.configuration="file:$HERE/kafka/log4j.properties"
         -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties")

write_config() {
  mkdir -p "$DATA" "$RUN"
  cat >"$CONFIG" <<EOF
# written by scripts/infra/kafka.sh for Kafka $KAFKA_VERSION
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

up() {
  if pid="$(running_pid)"; then
    log "already up: Kafka $(running_version) (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  rm -f "$PIDFILE"
  command -v "$JAVA" >/dev/null || die "java not found (set JAVA_HOME)"
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_busy "$p" && die "port 127.0.0.1:$p is taken by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
  done
  fetch
  write_config
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local uuid
    uuid="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$uuid" == -* ]] && uuid="A${uuid:1}"
    log "formatting storage in $DATA (cluster id $uuid)"
    "$JAVA" -Xmx256m -Dinfra.log.level=WARN "${LOGCONF[@]}" -cp "$HOME_V/lib/*" \
      kafka.tools.StorageTool format -t "$uuid" -c "$CONFIG" --ignore-formatted >"$RUN/format.log" 2>&1 \
      || { cat "$RUN/format.log" >&2; die "storage format failed"; }
  fi
  log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (log: $LOG)"
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
  # the inner bash writes its own pid, then becomes the JVM; KAFKA_HEAP holds several JVM flags
  # shellcheck disable=SC2016,SC2086
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$JAVA" $KAFKA_HEAP -XX:+UseG1GC -Djava.awt.headless=true -Dinfra.log.level=INFO "${LOGCONF[@]}" \
    -cp "$HOME_V/lib/*" kafka.Kafka "$CONFIG" >"$LOG" 2>&1 </dev/null 9>&- &
  local pid="" i
  for ((i = 0; i < 50; i++)); do pid="$(cat "$PIDFILE" 2>/dev/null)" && [[ -n "$pid" ]] && break; sleep 0.1; done
  [[ -n "$pid" ]] || die "broker process did not start (log: $LOG)"
  if ! ping_broker "$KAFKA_START_TIMEOUT" "$pid" warm >&2; then
    tail -n 30 "$LOG" >&2
    kill -0 "$pid" 2>/dev/null || die "broker exited during startup (log above: $LOG)"
    down >/dev/null 2>&1 || true
    die "broker did not answer within ${KAFKA_START_TIMEOUT}s, stopped it (log: $LOG)"
  fi
  log "up: Kafka $(running_version) (pid $pid) on $BOOTSTRAP"
}

down() {
  local pid i
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    log "already down"
    return 0
  fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < KAFKA_STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  log "down"
}

status() {
  local pid
  if ! pid="$(running_pid)"; then
    echo "kafka: down"
    return 3
  fi
  if ping_broker 5 "$pid" >/dev/null; then
    echo "kafka: up, Kafka $(running_version) (pid $pid) on $BOOTSTRAP"
  else
    echo "kafka: process $pid runs but $BOOTSTRAP does not answer"
    return 1
  fi
}

case "${1:-}" in
  up | down | fetch) mkdir -p "$RUN" && exec 9>"$RUN/.lock" && flock 9 && "$1" ;;  # one at a time
  status) "$1" ;;
  url) echo "$BOOTSTRAP" ;;
  version) echo "$KAFKA_VERSION" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
