#!/bin/sh
# Runs while the lab node image is built (see Dockerfile).
set -eu

# The kernel belongs to the machine running the lab: loading modules from a
# container fails, and the unit would mark every node "degraded".
systemctl mask systemd-modules-load.service
# Nothing in a container needs these; they only slow the boot or fail.
systemctl mask systemd-udevd.service systemd-udevd-kernel.socket systemd-udevd-control.socket \
  getty@.service serial-getty@.service console-getty.service systemd-firstboot.service 2>/dev/null || true

systemctl enable ssh.service docker.service

# Each node gets its own host keys from the lab (written before the container
# starts), so the lab's known_hosts can be exact: no trust on first use.
rm -f /etc/ssh/ssh_host_*
cat > /etc/ssh/sshd_config.d/skep-lab.conf <<'CONF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
CONF

# systemd makes a fresh machine id per container when the file is empty.
: > /etc/machine-id


# The inner engine starts through skep-lab-dockerd, which nests its
# containers' cgroups under the node's, so pausing the node freezes them too
# (see that script). The drop-in keeps the packaged unit's arguments.
chmod 0755 /usr/local/sbin/skep-lab-dockerd
mkdir -p /etc/systemd/system/docker.service.d
start=$(sed -n 's|^ExecStart=/usr/sbin/dockerd|ExecStart=/usr/local/sbin/skep-lab-dockerd|p' /lib/systemd/system/docker.service)
[ -n "$start" ] || { echo "docker.service has no ExecStart=/usr/sbin/dockerd line" >&2; exit 1; }
printf '[Service]\nExecStart=\n%s\n' "$start" > /etc/systemd/system/docker.service.d/skep-lab-cgroup.conf
