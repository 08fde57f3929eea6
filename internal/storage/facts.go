package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"skep/internal/config"
)

// HostFacts is what one host says about its part of the storage, gathered
// in one SSH round trip by FactsScript. Errors of the gluster CLI are kept
// per question, so a half-working host still tells what it can.
type HostFacts struct {
	Container  string // "" (no container), running, exited, restarting, paused, ...
	Image      string // the container's image
	ConfigHash string // the container's skep.config-hash label
	Client     bool   // the GlusterFS FUSE client (mount.glusterfs) is installed
	MountFS    string // filesystem type at the mount path ("" when nothing is mounted)
	MountOK    bool   // the mount answers a statfs within 2 s
	// BrickProcess: this host's brick process (glusterfsd) runs.
	BrickProcess bool
	// BrickLost is "" (the brick directory is GlusterFS's), "missing",
	// "empty" (no volume-id, no files) or "foreign" (files, no volume-id).
	BrickLost  string
	UnitHashes map[string]string // unit path -> sha256 of its content ("" missing)
	Enabled    map[string]bool   // unit name -> enabled

	Peers     []Peer
	PeersErr  error
	Volume    *Volume // nil when this glusterd knows no such volume (or VolumeErr)
	VolumeErr error
	Bricks    []BrickStatus
	BricksErr error
	Heal      []HealBrick
	HealErr   error
	Asked     map[string]bool // which gluster questions were asked
}

// Mounted tells whether the volume is mounted with the FUSE client and
// answers.
func (f *HostFacts) Mounted() bool { return f.MountFS == "fuse.glusterfs" && f.MountOK }

// GlusterdRunning tells whether skep-glusterd runs.
func (f *HostFacts) GlusterdRunning() bool { return f.Container == "running" }

// FactsScript gathers a host's storage facts. withHeal adds the heal
// summary (status wants it; apply does not). Every gluster call is bounded,
// so a frozen peer cannot hold the round trip for long.
func FactsScript(c *config.Cluster, h config.Host, gluster bool, withHeal bool) string {
	s := c.Storage
	var b strings.Builder
	sec := func(name string) { fmt.Fprintf(&b, "echo '@@skep %s'\n", name) }
	// The statfs of the mount runs beside everything else: on a stalled
	// mount it takes its whole timeout.
	b.WriteString("d=$(mktemp -d)\n")
	fmt.Fprintf(&b, "{ timeout 2 stat -f -c %%T %s >/dev/null 2>&1 && echo yes; } >\"$d/mount_ok\" &\n", shellQuote(s.Mount))
	sec("container")
	fmt.Fprintf(&b, "docker inspect --format '{{.State.Status}}|{{.Config.Image}}|{{index .Config.Labels %q}}' %s 2>/dev/null\n", LabelConfigHash, ContainerName)
	sec("client")
	b.WriteString("{ [ -x /sbin/mount.glusterfs ] || command -v mount.glusterfs; } >/dev/null 2>&1 && echo yes\n")
	sec("mount")
	fmt.Fprintf(&b, "findmnt -rn -o FSTYPE --mountpoint %s\n", shellQuote(s.Mount))
	sec("units")
	for _, u := range Units(c, h) {
		fmt.Fprintf(&b, "printf '%%s %%s\\n' \"$(sha256sum < %[1]s 2>/dev/null | cut -c1-64)\" %[1]s\n", shellQuote(u.Path))
	}
	sec("enabled")
	for _, name := range []string{MountUnitName(s.Mount), RemountService} {
		fmt.Fprintf(&b, "printf '%%s %%s\\n' %s \"$(systemctl is-enabled %s 2>/dev/null)\"\n", shellQuote(name), shellQuote(name))
	}
	if gluster {
		// The brick process, seen from the host: unlike volume status (a
		// transaction among all glusterds), this answers while a peer is
		// frozen.
		sec("brick_process")
		fmt.Fprintf(&b, "pgrep -f -- %s >/dev/null && echo yes\n", shellQuote("glusterfsd .*--brick-name "+s.Brick+"( |$)"))
		// Only where skep-glusterd runs (a stopped one would make every
		// call fail slowly), and all questions at once, so the round trip
		// costs the slowest answer, not the sum.
		b.WriteString("if [ \"$(docker inspect --format '{{.State.Running}}' " + ContainerName + " 2>/dev/null)\" = true ]; then\n")
		// A lost brick: its directory gone, or without GlusterFS's volume-id
		// (a new, empty disk). "foreign" is a directory with files but no
		// volume-id: someone else's data, never touched.
		sec("brick_lost")
		fmt.Fprintf(&b, "if [ ! -d %[1]s ]; then echo missing; elif ! docker exec %[2]s getfattr -n trusted.glusterfs.volume-id %[1]s >/dev/null 2>&1; then "+
			"if [ -z \"$(ls -A %[1]s)\" ]; then echo empty; else echo foreign; fi; fi\n", shellQuote(s.Brick), ContainerName)
		names := []string{}
		ask := func(name string, secs int, args ...string) {
			names = append(names, name)
			fmt.Fprintf(&b, "timeout %d %s >\"$d/%s\" 2>&1 &\n", secs, Gluster(append(args, "--xml")...), name)
		}
		ask("peers", 4, "peer", "status")
		ask("volinfo", 4, "volume", "info", s.Volume)
		ask("volstatus", 4, "volume", "status", s.Volume)
		if withHeal {
			ask("heal", 5, "volume", "heal", s.Volume, "info", "summary")
		}
		b.WriteString("wait\n")
		fmt.Fprintf(&b, "for n in %s; do echo \"@@skep $n\"; cat \"$d/$n\"; done\n", strings.Join(names, " "))
		b.WriteString("fi\n")
	}
	b.WriteString("wait\n")
	sec("mount_ok")
	b.WriteString("cat \"$d/mount_ok\"; rm -rf \"$d\"\n")
	return b.String()
}

// ParseFacts reads FactsScript's output.
func ParseFacts(out string) *HostFacts {
	f := &HostFacts{UnitHashes: map[string]string{}, Enabled: map[string]bool{}, Asked: map[string]bool{}}
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

	if parts := strings.Split(strings.TrimSpace(sections["container"]), "|"); len(parts) == 3 {
		f.Container, f.Image, f.ConfigHash = parts[0], parts[1], parts[2]
		if f.ConfigHash == "<no value>" {
			f.ConfigHash = ""
		}
	}
	f.Client = strings.TrimSpace(sections["client"]) == "yes"
	f.MountFS = strings.TrimSpace(sections["mount"])
	f.MountOK = strings.TrimSpace(sections["mount_ok"]) == "yes"
	f.BrickProcess = strings.TrimSpace(sections["brick_process"]) == "yes"
	f.BrickLost = strings.TrimSpace(sections["brick_lost"])
	for _, line := range strings.Split(sections["units"], "\n") {
		sum, p, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			if strings.HasPrefix(line, "/") {
				f.UnitHashes[strings.TrimSpace(line)] = ""
			}
			continue
		}
		f.UnitHashes[p] = sum
	}
	for _, line := range strings.Split(sections["enabled"], "\n") {
		name, state, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name != "" {
			f.Enabled[name] = state == "enabled"
		}
	}
	if out, ok := sections["peers"]; ok {
		f.Asked["peers"] = true
		f.Peers, f.PeersErr = ParsePeers(xmlPart(out))
	}
	if out, ok := sections["volinfo"]; ok {
		f.Asked["volinfo"] = true
		f.Volume, f.VolumeErr = ParseVolumeInfo(xmlPart(out))
	}
	if out, ok := sections["volstatus"]; ok {
		f.Asked["volstatus"] = true
		f.Bricks, f.BricksErr = ParseVolumeStatus(xmlPart(out))
	}
	if out, ok := sections["heal"]; ok {
		f.Asked["heal"] = true
		f.Heal, f.HealErr = ParseHealSummary(xmlPart(out))
	}
	return f
}

// xmlPart is the XML document in a command's output; what comes before it
// (a timeout's or docker's complaint) becomes the error.
func xmlPart(out string) string {
	if i := strings.Index(out, "<?xml"); i >= 0 {
		return out[i:]
	}
	if i := strings.Index(out, "<cliOutput"); i >= 0 {
		return out[i:]
	}
	msg := strings.TrimSpace(out)
	if msg == "" {
		msg = "no answer (timed out)"
	}
	return "<cliOutput><opRet>-1</opRet><opErrstr>" + xmlEscape(msg) + "</opErrstr></cliOutput>"
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// UnitHash is the sha256 of a unit's content as FactsScript reports it.
func UnitHash(content string) string {
	h := sha256.Sum256([]byte(content))
	return hex.EncodeToString(h[:])
}
