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
# cgroupfs driver (cgroup v1): an absolute cgroup path names the place in
# the tree; "skep-node" keeps the inner containers in one subtree of ours.
exec /usr/sbin/dockerd --cgroup-parent "$parent/skep-node" "$@"
