#!/bin/sh
# Starts the node's Docker engine with its containers' cgroups nested under
# the node container's own cgroup.
#
# Why: the lab's node containers share the machine's cgroup tree (cgroupns
# host, /sys/fs/cgroup bind-mounted; cgroup v1 with the cgroupfs driver on
# the machine). Left alone, the inner engine puts its containers in /docker/
# beside the node container, so `docker pause` of the node (which freezes
# only the node's cgroup) left GlusterFS, keepalived and every task running:
# `skep lab pause` did not freeze the machine. Under the node's own cgroup
# they are frozen, and thawed, with it.
#
# The parent is read from PID 1's freezer line (systemd does not manage the
# v1 freezer, so it is the node container's cgroup as the outer engine made
# it). It is passed as a flag, not a daemon.json key: skep apply owns
# daemon.json, and dockerd refuses to start when both set one option.
set -eu
parent=""
if [ -r /proc/1/cgroup ]; then
  parent=$(awk -F: '$2 == "freezer" {print $3; exit}' /proc/1/cgroup)
fi
case "$parent" in
  ""|/) exec /usr/sbin/dockerd "$@" ;;   # not nested (cgroup v2 or own namespace): nothing to do
esac
parent=${parent%/init.scope}

# A real-time budget down the chain to skep-keepalived. Where the kernel
# schedules real-time tasks by cgroup (cgroup v1 with cpu.rt_runtime_us),
# a task may run SCHED_RR only if its cgroup and every one above it have
# a budget, and the engine's /docker has none: keepalived (vrrp_rt_priority)
# would be refused. A child's budget must fit in its parent's, so parents
# are raised first, and never lowered: /docker (shared with the other
# nodes, of this lab and others), this node's cgroup, and skep-node, which
# holds the inner containers (skep-keepalived asks RTRuntime, 50000 µs a
# second, of it: see internal/vip). Without the file (Debian's stock
# kernels, cgroup v2) there is nothing to grant: CAP_SYS_NICE is enough.
cpu=/sys/fs/cgroup/cpu
grant() { # CGROUP MICROSECONDS: raise CGROUP's real-time budget to at least this
  f=$cpu$1/cpu.rt_runtime_us
  cur=$(cat "$f" 2>/dev/null || echo 0)
  [ "$cur" -ge "$2" ] && return 0
  echo "$2" > "$f" 2>/dev/null || echo "skep-lab-dockerd: could not grant $1 a real-time budget of $2 µs (was $cur): keepalived will run without real-time scheduling" >&2
}
if [ -f "$cpu/cpu.rt_runtime_us" ] && [ -d "$cpu$parent" ]; then
  grant "${parent%/*}" 600000
  grant "$parent" 60000
  mkdir -p "$cpu$parent/skep-node"
  grant "$parent/skep-node" 60000
fi

# cgroupfs driver (cgroup v1): an absolute cgroup path names the place in
# the tree; "skep-node" keeps the inner containers in one subtree of ours.
exec /usr/sbin/dockerd --cgroup-parent "$parent/skep-node" "$@"
