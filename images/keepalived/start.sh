#!/bin/sh
# The container's entrypoint. A keepalived that (re)starts is not the master
# yet, so the master bonus file starts at 0 (on /run, a tmpfs: a rebooted
# node never inherits the bonus it had). A reload (SIGHUP) keeps the file,
# so the current master keeps its bonus through a config change.
set -e
mkdir -p /run/skep-vip
echo 0 > /run/skep-vip/master
exec keepalived -n -l -D -P -f /etc/skep/keepalived/keepalived.conf "$@"
