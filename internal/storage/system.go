package storage

import (
	"fmt"
	"strings"

	"skep/internal/config"
)

// skep's own volume (config.Storage.System): the same glusterd containers
// and pool as the user volume, a second brick beside each user brick, and
// a mount on every manager only, where the controller runs. Users bind
// the user mount into their containers; this one holds private keys, so
// it is mounted elsewhere and its root is 0700.

// SystemRemountService retries the system mount after boot until a
// GlusterFS server answers, like RemountService for the user mount.
const SystemRemountService = "skep-system-mount.service"

// systemDockerDropIn orders the engine after the system mount, so the
// controller never starts on a manager whose system volume is not there.
const systemDockerDropIn = unitDir + "/docker.service.d/skep-system-storage.conf"

// SystemCluster is c with its storage section replaced by the system
// volume's, for the helpers that take a cluster (CreateVolumeCommand,
// BrickRef through BrickHosts). Hosts are shared, not copied.
func SystemCluster(c *config.Cluster) *config.Cluster {
	sc := *c
	sc.Storage = c.Storage.System()
	return &sc
}

// SystemUnits renders the systemd units of manager h's system mount: the
// mount unit, the engine's drop-in and the retrying service, as Units does
// for the user mount (see there for why each exists). A '-' in the path
// is \x2d in the unit's name; ExecStart= undoes C escapes, so there the
// backslash is doubled.
func SystemUnits(c *config.Cluster, h config.Host) []Unit {
	s := c.Storage.System()
	mount := MountUnitName(s.Mount)
	servers := volfileServers(c, h)
	opts := []string{"_netdev"}
	if len(servers) > 1 {
		opts = append(opts, "backup-volfile-servers="+strings.Join(servers[1:], ":"))
	}
	mountUnit := fmt.Sprintf(`# Written by skep apply: skep's own GlusterFS volume %[1]s on every manager.
# It holds private keys: no container but skep's controller binds it.
[Unit]
Description=skep system storage: GlusterFS volume %[1]s at %[2]s
Wants=network-online.target
After=network-online.target

[Mount]
What=%[3]s:/%[1]s
Where=%[2]s
Type=glusterfs
Options=%[4]s
DirectoryMode=0700
TimeoutSec=30

[Install]
WantedBy=remote-fs.target
`, s.Volume, s.Mount, servers[0], strings.Join(opts, ","))

	dropIn := fmt.Sprintf(`# Written by skep apply: the controller binds %[1]s, so the engine starts
# after the mount has been tried (Wants, not Requires: the engine also runs
# skep-glusterd).
[Unit]
Wants=%[2]s
After=%[2]s
`, s.Mount, mount)

	remount := fmt.Sprintf(`# Written by skep apply: mounts %[1]s once a GlusterFS server answers, for
# boots where none did in time.
[Unit]
Description=skep system storage: mount %[1]s when a GlusterFS server answers
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
`, s.Mount, mount, strings.ReplaceAll(mount, `\`, `\\`))

	return []Unit{
		{Path: unitDir + "/" + mount, Content: mountUnit},
		{Path: systemDockerDropIn, Content: dropIn},
		{Path: unitDir + "/" + SystemRemountService, Content: remount},
	}
}

// SystemFacts is what one host says about the system volume.
type SystemFacts struct {
	MountFS string // filesystem type at the system mount ("" when nothing is mounted)
	MountOK bool   // the mount answers a statfs within 2 s
	// Modes are the permission bits (octal, as stat prints them) of the
	// mount's root and of the private directories asked about; a missing
	// directory has no entry.
	Modes      map[string]string
	UnitHashes map[string]string // unit path -> sha256 of its content ("" missing)
	Enabled    map[string]bool   // unit name -> enabled

	Asked     bool    // gluster was asked (skep-glusterd runs here)
	Volume    *Volume // nil when this glusterd knows no system volume (or VolumeErr)
	VolumeErr error
	Bricks    []BrickStatus
	BricksErr error
}

// Mounted tells whether the system volume is mounted and answers.
func (f *SystemFacts) Mounted() bool { return f.MountFS == "fuse.glusterfs" && f.MountOK }

// SystemFactsScript gathers host h's system-volume facts in one round
// trip: on a manager its mount, units and the modes of the mount's root
// and of dirs (only when the volume is mounted there: never the empty
// directory beneath); on a brick host the volume as its glusterd sees it.
func SystemFactsScript(c *config.Cluster, h config.Host, manager, brick bool, dirs []string) string {
	s := c.Storage.System()
	var b strings.Builder
	sec := func(name string) { fmt.Fprintf(&b, "echo '@@skep %s'\n", name) }
	b.WriteString("d=$(mktemp -d)\n")
	if manager {
		m := shellQuote(s.Mount)
		fmt.Fprintf(&b, "{ timeout 2 stat -f -c %%T %s >/dev/null 2>&1 && echo yes; } >\"$d/mount_ok\" &\n", m)
		sec("mount")
		fmt.Fprintf(&b, "findmnt -rn -o FSTYPE --mountpoint %s\n", m)
		sec("modes")
		fmt.Fprintf(&b, "if [ \"$(findmnt -rn -o FSTYPE --mountpoint %s)\" = fuse.glusterfs ]; then\n", m)
		for _, d := range append([]string{s.Mount}, dirs...) {
			fmt.Fprintf(&b, "  timeout 3 stat -c '%%a %%n' %s 2>/dev/null\n", shellQuote(d))
		}
		b.WriteString("fi\n")
		sec("units")
		for _, u := range SystemUnits(c, h) {
			fmt.Fprintf(&b, "printf '%%s %%s\\n' \"$(sha256sum < %[1]s 2>/dev/null | cut -c1-64)\" %[1]s\n", shellQuote(u.Path))
		}
		sec("enabled")
		for _, name := range []string{MountUnitName(s.Mount), SystemRemountService} {
			fmt.Fprintf(&b, "printf '%%s %%s\\n' %s \"$(systemctl is-enabled %s 2>/dev/null)\"\n", shellQuote(name), shellQuote(name))
		}
	}
	if brick {
		b.WriteString("if [ \"$(docker inspect --format '{{.State.Running}}' " + ContainerName + " 2>/dev/null)\" = true ]; then\n")
		fmt.Fprintf(&b, "timeout 4 %s >\"$d/volinfo\" 2>&1 &\n", Gluster("volume", "info", s.Volume, "--xml"))
		fmt.Fprintf(&b, "timeout 4 %s >\"$d/volstatus\" 2>&1 &\n", Gluster("volume", "status", s.Volume, "--xml"))
		b.WriteString("wait\n")
		b.WriteString("for n in volinfo volstatus; do echo \"@@skep $n\"; cat \"$d/$n\"; done\n")
		b.WriteString("fi\n")
	}
	b.WriteString("wait\n")
	if manager {
		sec("mount_ok")
		b.WriteString("cat \"$d/mount_ok\"\n")
	}
	b.WriteString("rm -rf \"$d\"\n")
	return b.String()
}

// ParseSystemFacts reads SystemFactsScript's output.
func ParseSystemFacts(out string) *SystemFacts {
	f := &SystemFacts{Modes: map[string]string{}, UnitHashes: map[string]string{}, Enabled: map[string]bool{}}
	sections := splitSections(out)
	f.MountFS = strings.TrimSpace(sections["mount"])
	f.MountOK = strings.TrimSpace(sections["mount_ok"]) == "yes"
	for _, line := range strings.Split(sections["modes"], "\n") {
		if mode, p, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			f.Modes[p] = mode
		}
	}
	for _, line := range strings.Split(sections["units"], "\n") {
		line = strings.TrimSpace(line)
		if sum, p, ok := strings.Cut(line, " "); ok {
			f.UnitHashes[p] = sum
		} else if strings.HasPrefix(line, "/") {
			f.UnitHashes[line] = ""
		}
	}
	for _, line := range strings.Split(sections["enabled"], "\n") {
		name, state, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name != "" {
			f.Enabled[name] = state == "enabled"
		}
	}
	if out, ok := sections["volinfo"]; ok {
		f.Asked = true
		f.Volume, f.VolumeErr = ParseVolumeInfo(xmlPart(out))
	}
	if out, ok := sections["volstatus"]; ok {
		f.Bricks, f.BricksErr = ParseVolumeStatus(xmlPart(out))
	}
	return f
}

// splitSections cuts a fact script's output at its "@@skep NAME" lines.
func splitSections(out string) map[string]string {
	sections := map[string]string{}
	var cur string
	var body strings.Builder
	flush := func() {
		if cur != "" {
			sections[cur] = body.String()
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(out, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "@@skep "); ok {
			flush()
			cur = name
			continue
		}
		body.WriteString(line)
	}
	flush()
	return sections
}
