package storage

import (
	"fmt"
	"strings"

	"skep/internal/config"
)

// Unit is a file apply writes on a host.
type Unit struct {
	Path    string
	Content string
}

const unitDir = "/etc/systemd/system"

// MountUnitName is the systemd mount unit for path (systemd-escape --path).
func MountUnitName(p string) string {
	p = strings.Trim(p, "/")
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == ':',
			c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String() + ".mount"
}

// RemountService retries the mount after boot until a GlusterFS server
// answers (see Units).
const RemountService = "skep-storage-mount.service"

// dockerDropIn orders the engine after the mount.
const dockerDropIn = unitDir + "/docker.service.d/skep-storage.conf"

// volfileServers lists where host h fetches the volume's layout: its own
// glusterd first when it has a brick (no network hop, and a node that only
// lost its link still sees its own view), then the other brick hosts in
// file order, so any one node may be down at mount time.
func volfileServers(c *config.Cluster, h config.Host) []string {
	var out []string
	bricks := c.BrickHosts()
	for _, b := range bricks {
		if b.Name == h.Name {
			out = append(out, b.Address)
		}
	}
	for _, b := range bricks {
		if b.Name != h.Name {
			out = append(out, b.Address)
		}
	}
	return out
}

// Units renders the systemd units of host h's mount:
//   - the mount unit: the FUSE client mounts the volume at boot, after the
//     network, trying each brick host in turn for the volume layout;
//   - a drop-in that makes the Docker engine wait for the mount attempt, so
//     containers that bind the mount path never start on the empty
//     directory beneath it. Wants, not Requires: when no GlusterFS server
//     answers yet (the whole cluster booting), the engine must start anyway,
//     since it runs skep-glusterd itself;
//   - a service that, after the engine, retries the mount every 5 s until a
//     server answers, which is how a cluster that booted all at once gets
//     its mount without anyone running apply.
func Units(c *config.Cluster, h config.Host) []Unit {
	return mountUnits(c, h, c.Storage, mountKind{
		header: "# Written by skep apply: the shared GlusterFS volume %[1]s on every host.\n",
		kind:   "shared", binder: "containers may bind", dropIn: dockerDropIn, remount: RemountService,
	})
}

// mountKind is what tells one of skep's mounts' units from the other's.
type mountKind struct {
	header     string // comment atop the mount unit; %[1]s is the volume
	kind       string // "shared" or "system", in the units' descriptions
	mountExtra string // more [Mount] settings
	binder     string // who binds the mount, in the drop-in's comment
	dropIn     string // the engine's drop-in
	remount    string // the retrying service
}

// mountUnits renders the units of host h's mount of volume s (see Units
// for why each exists). A '-' in the path is \x2d in the unit's name;
// ExecStart= undoes C escapes, so there the backslash is doubled.
func mountUnits(c *config.Cluster, h config.Host, s *config.Storage, k mountKind) []Unit {
	mount := MountUnitName(s.Mount)
	servers := volfileServers(c, h)
	opts := []string{"_netdev"}
	if len(servers) > 1 {
		opts = append(opts, "backup-volfile-servers="+strings.Join(servers[1:], ":"))
	}
	mountUnit := fmt.Sprintf(k.header+`[Unit]
Description=skep %[5]s storage: GlusterFS volume %[1]s at %[2]s
Wants=network-online.target
After=network-online.target

[Mount]
What=%[3]s:/%[1]s
Where=%[2]s
Type=glusterfs
Options=%[4]s
%[6]s# Long enough to try every volfile server, short enough not to hold the
# engine's start for long when none answers.
TimeoutSec=30

[Install]
WantedBy=remote-fs.target
`, s.Volume, s.Mount, servers[0], strings.Join(opts, ","), k.kind, k.mountExtra)

	dropIn := fmt.Sprintf(`# Written by skep apply: %[3]s %[1]s, so the engine starts
# after the mount has been tried. Wants, not Requires: the engine also runs
# skep-glusterd, and must start when no GlusterFS server answers yet.
[Unit]
Wants=%[2]s
After=%[2]s
`, s.Mount, mount, k.binder)

	remount := fmt.Sprintf(`# Written by skep apply: mounts %[1]s once a GlusterFS server answers, for
# boots where none did in time (e.g. the whole cluster started at once).
[Unit]
Description=skep %[4]s storage: mount %[1]s when a GlusterFS server answers
After=docker.service %[2]s
StartLimitIntervalSec=0

[Service]
Type=oneshot
ExecCondition=/bin/sh -c '! findmnt -rn --mountpoint %[1]s >/dev/null'
ExecStart=/bin/systemctl start %[3]s
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
`, s.Mount, mount, strings.ReplaceAll(mount, `\`, `\\`), k.kind)

	return []Unit{
		{Path: unitDir + "/" + mount, Content: mountUnit},
		{Path: k.dropIn, Content: dropIn},
		{Path: unitDir + "/" + k.remount, Content: remount},
	}
}
