#!/usr/bin/env bash
# Origin: the eps-dist team's shared tooling (netns-cluster.sh and README.md of the
# shared multihost folder, written for issue 15), copied unchanged into the repository
# so CI has it (scripts/multihost-test.sh); part of eps-dist, under the same terms.
# netns-cluster.sh — N emulated MPI hosts on one Linux machine, made of network
# namespaces joined by veth pairs to a bridge, so that OpenMPI sends its
# traffic over TCP between "hosts" and network faults can be injected.
# Needs root, iproute2, util-linux (unshare), OpenMPI 4.x; for delay/loss on a
# kernel without sch_netem also iptables and python3 (see README.md).
#
#   netns-cluster.sh up N               hosts h1..hN (+ launcher h0, switch hsw); prints the hostfile path
#   netns-cluster.sh run HOSTFILE ARGS  mpirun ARGS across the hosts (from h0), with the right MCA flags
#   netns-cluster.sh fault DELAY LOSS [HOST...]   e.g. fault 50ms 1% ; fault off
#   netns-cluster.sh cut HOST | heal HOST          unplug / replug HOST's cable at the switch
#   netns-cluster.sh status | counters | exec HOST CMD... | down
#
# Settings (environment): NC_PREFIX (h), NC_SUBNET (10.77.0 — a private /24 used
# only inside the namespaces), NC_SLOTS (2 per host), NC_NICE (10), NC_BTL
# (tcp,self), NC_STATE (/run/netns-cluster-$NC_PREFIX), NC_FAULT_METHOD
# (auto | netem | nfqueue), NC_TCP_RETRIES2 (unset: kernel default 15, i.e.
# ~15 min before TCP gives up on a dead peer; 5 makes it ~13 s), NC_VERBOSE
# (1: print the mpirun line).
set -Eeuo pipefail

P=${NC_PREFIX:-h}
NET=${NC_SUBNET:-10.77.0}
SLOTS=${NC_SLOTS:-2}
NICE=${NC_NICE:-10}
BTL=${NC_BTL:-tcp,self}
STATE=${NC_STATE:-/run/netns-cluster-$P}
FAULT_METHOD=${NC_FAULT_METHOD:-auto}
SW=${P}sw            # the "switch": a namespace that holds only the bridge
LAUNCHER=${P}0       # where mpirun runs; it hosts no ranks unless a hostfile names it
BASE=10              # host k has address $NET.$((BASE + k))

say() { echo "netns-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
    exit 2
}

[[ $P =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "NC_PREFIX must be 1-6 lower-case letters/digits, starting with a letter"
[[ $NET =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "NC_SUBNET must be three octets, e.g. 10.77.0"
case $NET in
    10.*|192.168.*|172.1[6-9].*|172.2[0-9].*|172.3[01].*) ;;
    *) die "NC_SUBNET $NET is not a private (RFC 1918) range" ;;
esac
[ "$(id -u)" = 0 ] || die "needs root (ip netns)"

addr() { echo "$NET.$((BASE + ${1#"$P"}))"; }
hosts() { [ -f "$STATE/hosts" ] && awk '{print $2}' "$STATE/hosts"; }        # h0 h1 ... hN
compute_hosts() { hosts | grep -vx "$LAUNCHER" || true; }                    # h1 ... hN
have_cluster() { [ -f "$STATE/hosts" ] || die "no cluster (no $STATE/hosts); run: $0 up N"; }
is_host() { hosts | grep -qx "$1" || die "$1 is not a host of this cluster ($(hosts | tr '\n' ' '))"; }
in_host() { local h=$1; shift; ip netns exec "$h" "$@"; }
python() { if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi; }

# ---------------------------------------------------------------- up / down

make_ns() {
    echo "$1" >> "$STATE/namespaces"        # recorded first, so down removes half-made ones
    ip netns add "$1"
    ip -n "$1" link set lo up
    # No IPv6: keeps neighbour-discovery chatter out of the byte counters.
    in_host "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    # How long TCP retransmits to a silent peer before the connection fails
    # (per namespace). It decides when mpirun notices a host behind a cut link.
    if [ -n "${NC_TCP_RETRIES2:-}" ]; then in_host "$1" sysctl -qw net.ipv4.tcp_retries2="$NC_TCP_RETRIES2"; fi
}

cmd_up() {
    [ $# = 1 ] && [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 200 ] || die "usage: up N (1..200)"
    local n=$1 k h
    [ -d "$STATE" ] && { say "removing the previous cluster first"; cmd_down; }
    for h in "$SW" $(seq -f "$P%g" 0 "$n"); do
        [ -e "/run/netns/$h" ] && die "network namespace $h exists but is not recorded in $STATE; remove it (ip netns del $h) or set NC_PREFIX"
    done
    mkdir -p "$STATE"
    : > "$STATE/namespaces"
    trap 'say "up failed; removing what was made"; cmd_down >/dev/null 2>&1 || true' ERR
    [ -d /etc/netns ] || { mkdir /etc/netns; touch "$STATE/made-etc-netns"; }
    [ -d /run/netns ] || touch "$STATE/made-run-netns"     # ip netns add makes it a bind mount

    make_ns "$SW"
    ip -n "$SW" link add br0 type bridge
    ip -n "$SW" link set br0 up
    in_host "$SW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true

    : > "$STATE/hosts"
    for k in $(seq 0 "$n"); do echo "$NET.$((BASE + k)) $P$k" >> "$STATE/hosts"; done
    for k in $(seq 0 "$n"); do
        h=$P$k
        make_ns "$h"
        ip -n "$SW" link add "port-$h" type veth peer name eth0 netns "$h"
        ip -n "$SW" link set "port-$h" master br0 up
        ip -n "$h" addr add "$(addr "$h")/24" dev eth0
        ip -n "$h" link set eth0 up
        # ip netns exec bind-mounts /etc/netns/<ns>/hosts over /etc/hosts.
        mkdir -p "/etc/netns/$h"
        echo "$h" >> "$STATE/etc-netns"
        { printf '127.0.0.1\tlocalhost\n'; awk '{print $1 "\t" $2}' "$STATE/hosts"; } > "/etc/netns/$h/hosts"
    done

    : > "$STATE/hostfile"
    for k in $(seq 1 "$n"); do echo "$P$k slots=$SLOTS" >> "$STATE/hostfile"; done

    # The ssh stand-in for OpenMPI's rsh launcher.
    cat > "$STATE/netns-ssh" <<EOF
#!/bin/sh
# netns-ssh: stands in for ssh in OpenMPI's rsh launcher (--mca plm_rsh_agent).
# Called like ssh: netns-ssh [ssh options] HOST COMMAND...  It runs COMMAND
# with sh -c inside network namespace HOST, in its own UTS namespace whose
# hostname is HOST, with an ssh-like clean environment (NC_AGENT_KEEP_ENV=1
# keeps the caller's).
while [ \$# -gt 0 ]; do
    case "\$1" in
        -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
[ \$# -ge 2 ] || { echo "usage: netns-ssh HOST COMMAND..." >&2; exit 255; }
host=\${1#*@}; shift
ns=\$(awk -v h="\$host" '\$1 == h || \$2 == h { print \$2; exit }' "$STATE/hosts" 2>/dev/null)
if [ -z "\$ns" ] || [ ! -e "/run/netns/\$ns" ]; then
    echo "netns-ssh: \$host: no such emulated host" >&2; exit 255
fi
if [ "\${NC_AGENT_KEEP_ENV:-0}" = 1 ]; then
    exec ip netns exec "\$ns" unshare --uts sh -c 'hostname "\$0" && exec sh -c "\$1"' "\$ns" "\$*"
fi
exec ip netns exec "\$ns" unshare --uts env -i PATH="\$PATH" HOME="\${HOME:-/root}" LANG="\${LANG:-C.UTF-8}" \\
    USER="\$(id -un)" LOGNAME="\$(id -un)" SHELL=/bin/sh \\
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \\
    sh -c 'hostname "\$0" && exec sh -c "\$1"' "\$ns" "\$*"
EOF
    chmod +x "$STATE/netns-ssh"
    write_delay_daemon

    # Wait until every host's link is up.
    for k in $(seq 0 "$n"); do
        for _ in $(seq 50); do
            ip -n "$P$k" link show eth0 | grep -q 'LOWER_UP' && break
            sleep 0.1
        done
    done
    trap - ERR
    say "up: launcher $LAUNCHER ($(addr "$LAUNCHER")), hosts $(compute_hosts | tr '\n' ' ')on $NET.0/24, switch namespace $SW"
    say "run: $0 run $STATE/hostfile -n $((n * SLOTS)) PROGRAM ARGS..."
    echo "$STATE/hostfile"
}

stop_delay() {   # stop the delay daemon of host $1, if it runs
    local f="$STATE/delay.$1.pid" pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q nc-delay.py; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

cmd_down() {
    if [ ! -d "$STATE" ]; then say "down: nothing to remove ($STATE absent)"; return 0; fi
    local ns pids pid h
    for f in "$STATE"/delay.*.pid; do [ -e "$f" ] || continue; h=${f##*/delay.}; stop_delay "${h%.pid}"; done
    # End what still runs inside our namespaces (e.g. the orted and ranks of a
    # job that hangs on a cut link): only processes in namespaces we made.
    pids=""
    for ns in $(cat "$STATE/namespaces" 2>/dev/null); do
        [ -e "/run/netns/$ns" ] && pids="$pids $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
    done
    pids=$(echo $pids)
    if [ -n "$pids" ]; then
        say "down: ending processes left in the namespaces: $pids"
        kill -TERM $pids 2>/dev/null || true
        for _ in $(seq 50); do
            local alive=""
            for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
            [ -z "$alive" ] && break
            sleep 0.1
        done
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true; done
    fi
    # Deleting a namespace deletes the veth end in it, and with it the peer.
    for ns in $(tac "$STATE/namespaces" 2>/dev/null); do
        [ -e "/run/netns/$ns" ] && ip netns del "$ns"
    done
    for h in $(cat "$STATE/etc-netns" 2>/dev/null); do rm -rf "/etc/netns/$h"; done
    [ -f "$STATE/made-etc-netns" ] && rmdir /etc/netns 2>/dev/null || true
    if [ -f "$STATE/made-run-netns" ] && [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
        umount /run/netns 2>/dev/null || true; rmdir /run/netns 2>/dev/null || true
    fi
    rm -rf "$STATE"
    say "down: removed"
}

# ---------------------------------------------------------------- run / exec

cmd_run() {
    have_cluster
    [ $# -ge 2 ] || die "usage: run HOSTFILE [mpirun options] PROGRAM [ARGS...]"
    local hf=$1; shift
    [ -f "$hf" ] || die "no hostfile $hf"
    hf=$(readlink -f "$hf")
    local mpirun=(mpirun --hostfile "$hf"
        --mca plm_rsh_agent "$STATE/netns-ssh"
        --mca pml ob1 --mca btl "$BTL"
        --mca btl_tcp_if_include "$NET.0/24" --mca oob_tcp_if_include "$NET.0/24"
        "$@")
    # mpirun runs in the launcher namespace under its own hostname. Defaults that
    # a command-line flag may override go in the environment: no binding (the
    # "hosts" share the real cores), yield when idle.
    local line=(ip netns exec "$LAUNCHER" unshare --uts env
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
        OMPI_MCA_hwloc_base_binding_policy="${OMPI_MCA_hwloc_base_binding_policy:-none}"
        OMPI_MCA_mpi_yield_when_idle="${OMPI_MCA_mpi_yield_when_idle:-1}"
        nice -n "$NICE" sh -c 'hostname "$0" && exec "$@"' "$LAUNCHER" "${mpirun[@]}")
    if [ "${NC_VERBOSE:-0}" = 1 ]; then printf '+'; printf ' %q' "${line[@]}"; printf '\n'; fi >&2
    exec "${line[@]}"
}

cmd_exec() {
    have_cluster
    [ $# -ge 2 ] || die "usage: exec HOST COMMAND..."
    is_host "$1"
    local h=$1; shift
    exec ip netns exec "$h" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$h" "$@"
}

# ---------------------------------------------------------------- faults

ms_of() {   # 50ms | 50 | 0.05s -> milliseconds
    local v=$1
    case $v in
        *ms) v=${v%ms} ;;
        *us) v=$(awk -v x="${v%us}" 'BEGIN{print x/1000}') ;;
        *s) v=$(awk -v x="${v%s}" 'BEGIN{print x*1000}') ;;
    esac
    [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "bad delay $1 (e.g. 50ms)"
    echo "$v"
}
pct_of() {  # 1% | 1 -> percent
    local v=${1%\%}
    [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v x="$v" 'BEGIN{exit !(x <= 100)}' || die "bad loss $1 (e.g. 1%)"
    echo "$v"
}
nonzero() { awk -v x="$1" 'BEGIN{exit !(x > 0)}'; }

clear_fault() {
    local h=$1
    tc -n "$h" qdisc show dev eth0 2>/dev/null | grep -q netem && tc -n "$h" qdisc del dev eth0 root 2>/dev/null || true
    if command -v iptables >/dev/null; then
        in_host "$h" iptables -w -D INPUT -i eth0 -j NCFAULT 2>/dev/null || true
        in_host "$h" iptables -w -F NCFAULT 2>/dev/null || true
        in_host "$h" iptables -w -X NCFAULT 2>/dev/null || true
    fi
    stop_delay "$h"
    rm -f "$STATE/fault.$h"
}

netem_works() {  # is sch_netem in this kernel? (probe once, on the switch's bridge)
    [ -f "$STATE/netem" ] || {
        if tc -n "$SW" qdisc add dev br0 root netem delay 0ms 2>/dev/null; then
            tc -n "$SW" qdisc del dev br0 root 2>/dev/null || true; echo yes > "$STATE/netem"
        else echo no > "$STATE/netem"; fi
    }
    [ "$(cat "$STATE/netem")" = yes ]
}

apply_fault() {   # host delay_ms loss_pct
    local h=$1 d=$2 l=$3 method=$FAULT_METHOD
    [ "$method" = auto ] && { if netem_works; then method=netem; else method=nfqueue; fi; }
    if [ "$method" = netem ]; then
        # netem on the host's egress: every packet the host sends waits d ms, l % are lost.
        tc -n "$h" qdisc replace dev eth0 root netem delay "${d}ms" loss "${l}%" \
            || die "tc netem failed on $h (no sch_netem in this kernel?); try NC_FAULT_METHOD=nfqueue"
    else
        # No netem: on the host's ingress, iptables drops l % (statistic match) and
        # queues the rest to NFQUEUE 0, where nc-delay.py holds each packet d ms.
        command -v iptables >/dev/null || die "this kernel has no sch_netem; install iptables (apt-get install iptables) for the nfqueue fallback"
        in_host "$h" iptables -w -N NCFAULT
        in_host "$h" iptables -w -I INPUT -i eth0 -j NCFAULT
        nonzero "$l" && in_host "$h" iptables -w -A NCFAULT -m statistic --mode random \
            --probability "$(awk -v x="$l" 'BEGIN{printf "%.6f", x/100}')" -j DROP
        if nonzero "$d"; then
            rm -f "$STATE/delay.$h.pid"
            ip netns exec "$h" setsid nice -n "$NICE" "$(python)" "$STATE/nc-delay.py" 0 "$d" "$STATE/delay.$h.pid" \
                < /dev/null >> "$STATE/delay.$h.log" 2>&1 &
            for _ in $(seq 50); do [ -s "$STATE/delay.$h.pid" ] && break; sleep 0.1; done
            [ -s "$STATE/delay.$h.pid" ] || die "delay daemon for $h did not start (see $STATE/delay.$h.log)"
            # --queue-bypass: if the daemon is gone, packets pass instead of being dropped.
            in_host "$h" iptables -w -A NCFAULT -j NFQUEUE --queue-num 0 --queue-bypass
        fi
    fi
    echo "delay=${d}ms loss=${l}% method=$method" > "$STATE/fault.$h"
}

cmd_fault() {
    have_cluster
    [ $# -ge 1 ] || die "usage: fault DELAY LOSS [HOST...] | fault off [HOST...]"
    local d l h
    if [ "$1" = off ] || [ "$1" = clear ]; then d=0 l=0; shift
    else [ $# -ge 2 ] || die "usage: fault DELAY LOSS [HOST...]"; d=$(ms_of "$1"); l=$(pct_of "$2"); shift 2; fi
    local targets=("$@")
    [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(compute_hosts)
    for h in "${targets[@]}"; do
        is_host "$h"
        clear_fault "$h"
        if nonzero "$d" || nonzero "$l"; then apply_fault "$h" "$d" "$l"; say "fault $h: $(cat "$STATE/fault.$h")"
        else say "fault $h: cleared"; fi
    done
}

cmd_cut() {
    have_cluster; [ $# = 1 ] || die "usage: cut HOST"; is_host "$1"
    ip -n "$SW" link set "port-$1" down     # the host's eth0 loses carrier; its address stays
    say "cut $1 (switch port port-$1 down)"
}

cmd_heal() {
    have_cluster; [ $# = 1 ] || die "usage: heal HOST"; is_host "$1"
    ip -n "$SW" link set "port-$1" up
    for _ in $(seq 50); do ip -n "$1" link show eth0 | grep -q LOWER_UP && break; sleep 0.1; done
    say "healed $1"
}

# ---------------------------------------------------------------- status

counter() { in_host "$1" cat "/sys/class/net/eth0/statistics/$2"; }

cmd_counters() {   # one line per host: name rx_bytes tx_bytes rx_packets tx_packets
    have_cluster
    local h
    for h in $(hosts); do
        echo "$h $(counter "$h" rx_bytes) $(counter "$h" tx_bytes) $(counter "$h" rx_packets) $(counter "$h" tx_packets)"
    done
}

cmd_status() {
    have_cluster
    local h link fault
    printf '%-6s %-14s %-6s %-12s %-12s %s\n' host address link rx_bytes tx_bytes fault
    for h in $(hosts); do
        if ip -n "$SW" link show "port-$h" | grep -q 'state UP'; then link=up; else link=CUT; fi
        fault=$(cat "$STATE/fault.$h" 2>/dev/null || echo -)
        printf '%-6s %-14s %-6s %-12s %-12s %s\n' "$h" "$(addr "$h")" "$link" \
            "$(counter "$h" rx_bytes)" "$(counter "$h" tx_bytes)" "$fault"
    done
    echo "hostfile: $STATE/hostfile   agent: $STATE/netns-ssh"
}

# ---------------------------------------------------------------- the delay daemon

write_delay_daemon() {
    cat > "$STATE/nc-delay.py" <<'PYEOF'
#!/usr/bin/env python3
"""nc-delay.py QUEUE DELAY_MS [PIDFILE]: hold every packet that iptables sends
to NFQUEUE QUEUE of this network namespace for DELAY_MS, then accept it, in
arrival order (a user-space stand-in for netem delay; standard library only)."""
import collections, os, select, signal, socket, struct, sys, time

NETLINK_NETFILTER, SOL_NETLINK, NETLINK_NO_ENOBUFS, SO_RCVBUFFORCE = 12, 270, 5, 33
SUBSYS_QUEUE, MSG_PACKET, MSG_CONFIG, MSG_VERDICT_BATCH = 3, 0, 2, 3
CFG_CMD, CFG_PARAMS, CFG_QUEUE_MAXLEN, CFG_MASK, CFG_FLAGS = 1, 2, 3, 4, 5
CMD_BIND, COPY_META, F_FAIL_OPEN, F_GSO = 1, 1, 1, 4
NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR = 1, 4, 2
PACKET_HDR, VERDICT_HDR, NF_ACCEPT = 1, 2, 1

queue, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000.0
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
sock.bind((0, 0))
try:
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
except OSError:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
seq = 0

def attr(kind, data):
    n = 4 + len(data)
    return struct.pack("=HH", n, kind) + data + b"\0" * (-n % 4)

def send(mtype, attrs, ack=False):
    global seq
    seq += 1
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    flags = NLM_F_REQUEST | (NLM_F_ACK if ack else 0)
    sock.send(struct.pack("=IHHII", 16 + len(body), (SUBSYS_QUEUE << 8) | mtype, flags, seq, 0) + body)
    while ack:
        data = sock.recv(65536)
        _, kind, _, s, _ = struct.unpack_from("=IHHII", data)
        if kind == NLMSG_ERROR and s == seq:
            err = struct.unpack_from("=i", data, 16)[0]
            if err:
                sys.exit(f"nc-delay: configuring queue {queue} failed: {os.strerror(-err)}")
            return

# Bind the queue; copy only metadata (no payload); hand over GSO packets whole;
# if the queue overflows, let packets through rather than drop them.
send(MSG_CONFIG, attr(CFG_CMD, struct.pack("!BxH", CMD_BIND, 0)), ack=True)
send(MSG_CONFIG, attr(CFG_PARAMS, struct.pack("!IB", 0, COPY_META)), ack=True)
send(MSG_CONFIG, attr(CFG_QUEUE_MAXLEN, struct.pack("!I", 100000)), ack=True)
send(MSG_CONFIG, attr(CFG_MASK, struct.pack("!I", F_FAIL_OPEN | F_GSO))
     + attr(CFG_FLAGS, struct.pack("!I", F_FAIL_OPEN | F_GSO)), ack=True)

def release(upto):   # accept every queued packet with id <= upto
    send(MSG_VERDICT_BATCH, attr(VERDICT_HDR, struct.pack("!II", NF_ACCEPT, upto)))

stop = False
def on_signal(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        f.write(f"{os.getpid()}\n")
sock.setblocking(False)
pending = collections.deque()   # (release time, packet id) in arrival order
while not stop:
    timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 1.0
    try:
        ready, _, _ = select.select([sock], [], [], timeout)
    except InterruptedError:
        continue
    while ready:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            break
        except InterruptedError:
            continue
        now, off = time.monotonic(), 0
        while off + 16 <= len(data):
            n, kind = struct.unpack_from("=IH", data, off)
            if n < 16:
                break
            if kind == (SUBSYS_QUEUE << 8) | MSG_PACKET:
                a = off + 20
                while a + 4 <= off + n:
                    alen, akind = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if akind & 0x7fff == PACKET_HDR:
                        pending.append((now + delay, struct.unpack_from("!I", data, a + 4)[0]))
                        break
                    a += (alen + 3) & ~3
            off += (n + 3) & ~3
    now, last = time.monotonic(), None
    while pending and pending[0][0] <= now:
        last = pending.popleft()[1]
    if last is not None:
        release(last)
if pending:
    release(pending[-1][1])   # let everything still held through before leaving
PYEOF
}

# ---------------------------------------------------------------- main

[ $# -ge 1 ] || usage
cmd=$1; shift
case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    run) cmd_run "$@" ;;
    exec) cmd_exec "$@" ;;
    fault) cmd_fault "$@" ;;
    cut) cmd_cut "$@" ;;
    heal) cmd_heal "$@" ;;
    status) cmd_status ;;
    counters) cmd_counters ;;
    -h|--help|help) usage ;;
    *) say "unknown command $cmd"; usage ;;
esac
