#!/bin/sh
# Runs glusterd in the foreground. State (/var/lib/glusterd) and bricks are
# host directories bind-mounted by skep, so a new container keeps the node's
# peer identity (glusterd.info) and data.
set -eu
# Pid files of the last run's brick and self-heal processes survive a
# container restart in /run, and PIDs are reused in a new container: glusterd
# would take a stale file naming some live process for its brick and not
# start the brick. They only describe processes of the previous run.
rm -rf /run/gluster /var/run/gluster
mkdir -p /var/lib/glusterd /var/log/glusterfs /run/gluster
# glusterd -N stays in the foreground; its log goes to the container's log so
# `docker logs skep-glusterd` shows why a peer or brick failed.
exec glusterd -N --log-file=- --log-level=WARNING
