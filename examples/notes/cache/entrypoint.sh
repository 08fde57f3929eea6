#!/bin/sh
# Gives the data directory to the redis user, then becomes that user and
# runs Redis. skep makes a named volume's directory on the shared storage
# owned by root, and Redis must write its append-only file there; its own
# files from an earlier run already belong to redis.
set -eu
if [ "$(stat -c %U /data)" != redis ]; then
	chown redis:redis /data
fi
exec setpriv --reuid=redis --regid=redis --clear-groups -- redis-server /etc/redis/notes.conf "$@"
