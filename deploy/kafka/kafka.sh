#!/usr/bin/env bash
# Local single-node Apache Kafka 4.x broker (KRaft, broker+controller in one JVM) for tests and
# development. Jars come from Maven Central through deploy/kafka/pom.xml; see README.md here.
#
#   kafka.sh fetch          resolve the broker jars into the cache (idempotent)
#   kafka.sh up             start the broker and wait until it serves metadata (idempotent)
#   kafka.sh down [--wipe]  stop it (idempotent); --wipe also deletes the data dir
#   kafka.sh status         exit 0 if a broker answers at $VIGIL_KAFKA, 1 otherwise
#   kafka.sh logs [N]       print the last N (default 100) lines of the broker log
#
# Environment: VIGIL_KAFKA (127.0.0.1:9092), VIGIL_KAFKA_CONTROLLER_PORT (broker port + 1),
# VIGIL_KAFKA_HOME (~/.cache/vigil/kafka), VIGIL_KAFKA_DATA (~/.cache/vigil/kafka-data),
# KAFKA_HOME (an unpacked Kafka distribution to use instead of Maven), VIGIL_KAFKA_WIPE=1,
# VIGIL_KAFKA_READY_TIMEOUT (90 s), VIGIL_KAFKA_STOP_TIMEOUT (30 s),
# KAFKA_HEAP_OPTS (-Xms256m -Xmx512m), KAFKA_OPTS (extra JVM options).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$HERE/pom.xml"
PROBE="$HERE/probe.py"
LOG4J_CONF="$HERE/log4j2.xml"
CACHE="${VIGIL_KAFKA_HOME:-$HOME/.cache/vigil/kafka}"
LIBS="$CACHE/libs"
DATA="${VIGIL_KAFKA_DATA:-$HOME/.cache/vigil/kafka-data}"
READY_TIMEOUT="${VIGIL_KAFKA_READY_TIMEOUT:-90}"
STOP_TIMEOUT="${VIGIL_KAFKA_STOP_TIMEOUT:-30}"
PIDFILE="$DATA/kafka.pid"
LOGFILE="$DATA/kafka.log"
PROPS="$DATA/server.properties"
MARK="$DATA/.vigil-kafka-data"   # only a dir holding this file is ever wiped
NODE_ID=1

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {   # the comment block at the top of this file
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
}

# --- address ------------------------------------------------------------------------------------
# Sets HOST, PORT, CPORT, LOCAL (1 if the address is on this machine's loopback).
parse_addr() {
    local raw="${VIGIL_KAFKA:-127.0.0.1:9092}"
    raw="${raw#*://}"   # kafka://host:port (Faust style) -> host:port
    raw="${raw%%,*}"    # first of a comma-separated bootstrap list
    raw="${raw%%/*}"
    if [[ "$raw" == *:* ]]; then
        HOST="${raw%:*}"
        PORT="${raw##*:}"
    else
        HOST="$raw"
        PORT=9092
    fi
    [[ -n "$HOST" ]] || HOST=127.0.0.1
    [[ "$PORT" =~ ^[0-9]+$ ]] || die "VIGIL_KAFKA=${VIGIL_KAFKA:-} : bad port '$PORT' (want host:port)"
    PORT=$((10#$PORT))
    ((PORT >= 1 && PORT <= 65534)) || die "VIGIL_KAFKA=${VIGIL_KAFKA:-} : bad port '$PORT' (want host:port)"
    CPORT="${VIGIL_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
    [[ "$CPORT" =~ ^[0-9]+$ ]] || die "bad controller port '$CPORT' (VIGIL_KAFKA_CONTROLLER_PORT)"
    CPORT=$((10#$CPORT))
    ((CPORT >= 1 && CPORT <= 65535 && CPORT != PORT)) || die "bad controller port '$CPORT' (VIGIL_KAFKA_CONTROLLER_PORT)"
    case "$HOST" in
        localhost) HOST=127.0.0.1; LOCAL=1 ;;
        127.*) LOCAL=1 ;;
        *) LOCAL=0 ;;
    esac
}

# --- probing ------------------------------------------------------------------------------------
# 0: a Kafka broker answers and serves metadata; 1: nothing listens; 2: something listens but is
# not a ready Kafka broker. Message of the probe goes to PROBE_MSG.
PROBE_MSG=""
probe() {
    local rc=0
    if command -v python3 >/dev/null 2>&1; then
        PROBE_MSG="$(python3 "$PROBE" "$HOST" "$PORT" 3 2>&1)" || rc=$?
        case "$rc" in 0 | 1 | 2) return "$rc" ;; *) return 2 ;; esac
    fi
    # No python3: a TCP connect is the best we can do without a JVM per probe.
    if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
        PROBE_MSG="tcp connect to $HOST:$PORT ok (python3 missing: no protocol check)"
        return 0
    fi
    PROBE_MSG="no connection to $HOST:$PORT"
    return 1
}

port_in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# --- process helpers ----------------------------------------------------------------------------
read_pid() {
    local pid=""
    [[ -f "$PIDFILE" ]] && pid="$(tr -dc '0-9' <"$PIDFILE")"
    printf '%s' "$pid"
}

# Alive, not a zombie, and really our broker (guards against a recycled pid).
is_our_broker() {
    local pid="$1" state cmd
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        state="$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)"
        [[ "$state" != Z ]] || return 1
        cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    else
        cmd="$(ps -o args= -p "$pid" 2>/dev/null || true)"
    fi
    [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$PROPS"* ]]
}

# Serialise concurrent callers: fd 9 locks the data dir (up/down), fd 8 the jar cache (fetch).
lock_data() {
    mkdir -p "$DATA"
    exec 9>"$DATA/.lock"
    if command -v flock >/dev/null 2>&1; then
        flock -w 300 9 || die "timed out waiting for lock $DATA/.lock"
    fi
}
lock_cache() {
    mkdir -p "$CACHE"
    exec 8>"$CACHE/.fetch.lock"
    if command -v flock >/dev/null 2>&1; then
        flock -w 600 8 || die "timed out waiting for lock $CACHE/.fetch.lock"
    fi
}

# --- fetch --------------------------------------------------------------------------------------
# Sets CLASSPATH_DIR to a directory holding the broker jars.
cmd_fetch() {
    if [[ -n "${KAFKA_HOME:-}" ]]; then
        compgen -G "$KAFKA_HOME/libs/*.jar" >/dev/null \
            || die "KAFKA_HOME=$KAFKA_HOME has no libs/*.jar (unset it to use Maven)"
        CLASSPATH_DIR="$KAFKA_HOME/libs"
        log "using jars from KAFKA_HOME=$KAFKA_HOME/libs (Maven not used)"
        return 0
    fi
    CLASSPATH_DIR="$LIBS"
    local want marker="$LIBS/.vigil-pom.sha256"
    want="$(sha256sum "$POM" | cut -d' ' -f1)"
    if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]] \
        && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
        log "jars up to date in $LIBS"
        return 0
    fi
    lock_cache
    if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then   # another caller just did it
        exec 8>&-
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven (apt-get install maven) or set KAFKA_HOME"
    command -v java >/dev/null 2>&1 || die "java not found: install a JDK >= 17"
    local tmp="$LIBS.tmp.$$"
    rm -rf "$tmp"
    log "resolving Kafka jars from Maven Central into $LIBS ..."
    local t0=$SECONDS
    local mvnlog="$CACHE/fetch.log"
    if ! (cd "$HERE" && mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp") >"$mvnlog" 2>&1; then
        rm -rf "$tmp"
        grep -E 'ERROR|FAIL' "$mvnlog" | head -n 40 >&2 || tail -n 40 "$mvnlog" >&2
        die "mvn dependency:copy-dependencies failed; full output in $mvnlog"
    fi
    printf '%s\n' "$want" >"$tmp/.vigil-pom.sha256"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    exec 8>&-
    log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
}

# --- up -----------------------------------------------------------------------------------------
write_props() {
    cat >"$PROPS.tmp" <<EOF
# Written by deploy/kafka/kafka.sh on every 'up'; edits here are overwritten.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.bootstrap.servers=127.0.0.1:$CPORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA/logs
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=8
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
    mv "$PROPS.tmp" "$PROPS"
}

java_opts() {
    local heap extra
    read -r -a heap <<<"${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
    read -r -a extra <<<"${KAFKA_OPTS:-}"
    JAVA_OPTS=("${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$LOG4J_CONF" ${extra[@]+"${extra[@]}"})
}

format_storage() {
    [[ -f "$DATA/logs/meta.properties" ]] && return 0
    local cid out
    cid="$(java -cp "$CLASSPATH_DIR/*" "-Dlog4j2.configurationFile=$LOG4J_CONF" \
        kafka.tools.StorageTool random-uuid 2>>"$DATA/format.log" | tail -n 1)" \
        || die "StorageTool random-uuid failed; see $DATA/format.log"
    [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "unexpected cluster id '$cid'; see $DATA/format.log"
    log "formatting KRaft storage in $DATA/logs (cluster id $cid)"
    if ! out="$(java -cp "$CLASSPATH_DIR/*" "-Dlog4j2.configurationFile=$LOG4J_CONF" \
        kafka.tools.StorageTool format --standalone -t "$cid" -c "$PROPS" 2>&1)"; then
        printf '%s\n' "$out" >>"$DATA/format.log"
        printf '%s\n' "$out" >&2
        die "StorageTool format failed"
    fi
    printf '%s\n' "$out" >>"$DATA/format.log"
    printf '%s\n' "$CPORT" >"$DATA/controller.port"
}

show_log_tail() {
    if [[ -f "$LOGFILE" ]]; then
        log "last 50 lines of $LOGFILE:"
        tail -n 50 "$LOGFILE" >&2
    fi
}

wait_ready() {   # wait_ready PID
    local pid="$1" deadline=$((SECONDS + READY_TIMEOUT)) rc
    while :; do
        rc=0
        probe || rc=$?
        if ((rc == 0)); then
            return 0
        fi
        if ! is_our_broker "$pid"; then
            rm -f "$PIDFILE"
            show_log_tail
            die "the broker process $pid exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail
            log "not ready after ${READY_TIMEOUT}s ($PROBE_MSG); stopping pid $pid"
            stop_pid "$pid"
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 0.5
    done
}

cmd_up() {
    parse_addr
    local rc=0 t0=$SECONDS pid
    probe || rc=$?
    if ((rc == 0)); then
        log "already up: $PROBE_MSG"
        return 0
    fi
    ((LOCAL == 1)) || die "nothing ready at $HOST:$PORT and it is not a loopback address: kafka.sh only starts a local broker"
    command -v java >/dev/null 2>&1 || die "java not found: install a JDK >= 17"
    if [[ -d "$DATA" && ! -f "$MARK" ]] && [[ -n "$(ls -A "$DATA")" ]]; then
        die "VIGIL_KAFKA_DATA=$DATA is a non-empty directory not created by kafka.sh; pick another"
    fi
    mkdir -p "$DATA"
    : >"$MARK"
    lock_data

    pid="$(read_pid)"
    if is_our_broker "$pid"; then    # started earlier (maybe by a concurrent 'up'), not ready yet
        log "broker pid $pid is running but not ready yet; waiting up to ${READY_TIMEOUT}s"
        wait_ready "$pid"
        log "ready: $PROBE_MSG"
        return 0
    fi
    rm -f "$PIDFILE"
    rc=0
    probe || rc=$?
    ((rc == 0)) && { log "already up: $PROBE_MSG"; return 0; }
    ((rc == 1)) || die "$PROBE_MSG -- another program holds port $PORT; set VIGIL_KAFKA=127.0.0.1:<free port>"
    port_in_use "$HOST" "$CPORT" && die "controller port $CPORT is in use; set VIGIL_KAFKA_CONTROLLER_PORT"
    if [[ -f "$DATA/logs/meta.properties" && -f "$DATA/controller.port" \
        && "$(cat "$DATA/controller.port")" != "$CPORT" ]]; then
        die "storage in $DATA was formatted with controller port $(cat "$DATA/controller.port"), now $CPORT: use the same ports or run 'kafka.sh down --wipe'"
    fi

    cmd_fetch
    write_props
    format_storage
    java_opts

    [[ -f "$LOGFILE" ]] && mv -f "$LOGFILE" "$LOGFILE.prev"
    log "starting Kafka broker at $HOST:$PORT (controller 127.0.0.1:$CPORT, data $DATA)"
    local launcher=()
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    # 8>&- 9>&- : the broker must not inherit (and so hold) the lock file descriptors.
    nohup ${launcher[@]+"${launcher[@]}"} java "${JAVA_OPTS[@]}" -cp "$CLASSPATH_DIR/*" \
        kafka.Kafka "$PROPS" >"$LOGFILE" 2>&1 </dev/null 8>&- 9>&- &
    pid=$!
    printf '%s\n' "$pid" >"$PIDFILE"
    wait_ready "$pid"
    log "ready in $((SECONDS - t0)) s: $PROBE_MSG (pid $pid, log $LOGFILE)"
}

# --- down ---------------------------------------------------------------------------------------
stop_pid() {
    local pid="$1" deadline
    is_our_broker "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while is_our_broker "$pid"; do
        if ((SECONDS >= deadline)); then
            log "pid $pid still alive after ${STOP_TIMEOUT}s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 0.3
    done
}

cmd_down() {
    local wipe="${VIGIL_KAFKA_WIPE:-0}" arg pid rc
    for arg in "$@"; do
        case "$arg" in
            --wipe) wipe=1 ;;
            *) die "down: unknown argument '$arg'" ;;
        esac
    done
    parse_addr
    if [[ -f "$MARK" ]]; then
        lock_data
        pid="$(read_pid)"
        if is_our_broker "$pid"; then
            log "stopping broker pid $pid"
            stop_pid "$pid"
            log "stopped"
        else
            log "not running (no live broker for $DATA)"
        fi
        rm -f "$PIDFILE"
    else
        log "not running (no kafka.sh data dir at $DATA)"
    fi
    rc=0
    probe || rc=$?
    ((rc == 0)) && log "note: a broker still answers at $HOST:$PORT but was not started by kafka.sh with VIGIL_KAFKA_DATA=$DATA; left alone"
    if [[ "$wipe" == 1 && -d "$DATA" ]]; then
        [[ -f "$MARK" ]] || die "refusing to wipe $DATA: it lacks the marker ${MARK##*/} written by kafka.sh"
        rm -rf "$DATA"
        log "wiped $DATA"
    fi
    return 0
}

cmd_status() {
    parse_addr
    local rc=0 pid
    probe || rc=$?
    pid="$(read_pid)"
    if ((rc == 0)); then
        if is_our_broker "$pid"; then log "up: $PROBE_MSG (pid $pid)"; else log "up: $PROBE_MSG"; fi
        return 0
    fi
    if is_our_broker "$pid"; then log "starting or unhealthy: pid $pid runs but $PROBE_MSG"; else log "down: $PROBE_MSG"; fi
    return 1
}

cmd_logs() {
    local n="${1:-100}"
    [[ -f "$LOGFILE" ]] || die "no log at $LOGFILE"
    tail -n "$n" "$LOGFILE"
}

main() {
    local cmd="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        status) cmd_status "$@" ;;
        fetch) cmd_fetch "$@" ;;
        logs) cmd_logs "$@" ;;
        -h | --help | help) usage ;;
        *) usage; die "unknown command '${cmd}'" ;;
    esac
}

main "$@"
