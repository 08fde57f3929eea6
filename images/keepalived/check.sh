#!/bin/sh
# The track check keepalived runs every half second: exit 0 when the local
# service the VIP depends on answers, 1 when it does not. curl's own time
# limit bounds it, so a frozen service counts as dead instead of stalling
# the check. Usage:
#   skep-vip-check http URL        e.g. Traefik's ping endpoint
#   skep-vip-check docker SOCKET   the Docker engine's /_ping
case "$1" in
http)
	exec curl -fsS -o /dev/null --max-time 0.8 "$2" ;;
docker)
	exec curl -fsS -o /dev/null --max-time 0.8 --unix-socket "$2" http://engine/_ping ;;
*)
	echo "usage: skep-vip-check http URL | docker SOCKET" >&2
	exit 2 ;;
esac
