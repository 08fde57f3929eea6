#!/bin/sh
# Runs glusterd in the foreground. State (/var/lib/glusterd) and bricks are
# host directories bind-mounted by skep, so a new container keeps the node's
# peer identity (glusterd.info) and data.
set -eu
mkdir -p /var/lib/glusterd /var/log/glusterfs /run/gluster
# glusterd -N stays in the foreground; its log goes to the container's log so
# `docker logs skep-glusterd` shows why a peer or brick failed.
exec glusterd -N --log-file=- --log-level=WARNING
