#!/bin/sh
# keepalived's notify hook: "$1"=INSTANCE "$2"=name "$3"=state "$4"=priority.
# It records whether this node is the master in the file keepalived tracks
# (track_file skep_master): the master's priority gets a bonus, so a
# recovered node of higher base priority does not take the VIP back. Written
# through a temporary file so keepalived never reads a half-written value.
file=/run/skep-vip/master
case "$3" in
MASTER) v=1 ;;
*) v=0 ;;
esac
echo "$v" > "$file.tmp" && mv "$file.tmp" "$file"
echo "skep-vip-notify: $2 is $3 (priority $4)"
