package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"skep/internal/config"
	"skep/internal/host"
)

// HostFacts is what one host says about its part of the storage, gathered
// in one SSH round trip by FactsScript. Errors of the gluster CLI are kept
// per question, so a half-working host still tells what it can; a question
// that got no answer in time has a *NoAnswer error.
type HostFacts struct {
	Container  string // "" (no container), running, exited, restarting, paused, ...
	Image      string // the container's image
	ConfigHash string // the container's skep.config-hash label
	Client     bool   // the GlusterFS FUSE client (mount.glusterfs) is installed
	MountFS    string // filesystem type at the mount path ("" when nothing is mounted)
	MountOK    bool   // the mount answers a statfs within statfsTimeout
	// BrickProcess: this host's brick process (glusterfsd) runs.
	BrickProcess bool
	// BrickLost is "" (the brick directory is GlusterFS's), "missing",
	// "empty" (no volume-id, no files) or "foreign" (files, no volume-id).
	BrickLost  string
	UnitHashes map[string]string // unit path -> sha256 of its content ("" missing)
	Enabled    map[string]bool   // unit name -> enabled
	// Modes are the permission bits (octal, as stat prints them) of the
	// directories asked about (SystemFactsScript); a missing directory
	// has no entry.
	Modes map[string]string

	Peers     []Peer
	PeersErr  error
	Volume    *Volume // nil when this glusterd knows no such volume (or VolumeErr)
	VolumeErr error
	Bricks    []BrickStatus
	BricksErr error
	Heal      []HealBrick
	HealErr   error
	// Answered names the sections of the output that came back whole
	// (container, mount, mount_ok, peers, volinfo, volstatus, heal, ...):
	// a question not asked, or whose answer was cut off, is missing.
	Answered map[string]bool
	// System is skep's own volume (config.Storage.System) as the host
	// sees it, from the sections named with SystemPrefix (its mount, its
	// volume status); nil when none was asked.
	System *HostFacts
}

// NoAnswer is a GlusterFS question that got no answer within its time:
// not known, unlike an answer that says something failed.
type NoAnswer struct {
	After string // "2s"; "0s (no time left)" when it was not started
}

func (e *NoAnswer) Error() string { return "no answer in " + e.After }

// IsNoAnswer tells whether err means a question went unanswered in time.
func IsNoAnswer(err error) bool {
	var na *NoAnswer
	return errors.As(err, &na)
}

// Mounted tells whether the volume is mounted with the FUSE client and
// answers.
func (f *HostFacts) Mounted() bool { return f.MountFS == "fuse.glusterfs" && f.MountOK }

// GlusterdRunning tells whether skep-glusterd runs.
func (f *HostFacts) GlusterdRunning() bool { return f.Container == "running" }

// Questions says what FactsScript asks of a host.
type Questions struct {
	// Brick asks whether the host's brick process (glusterfsd) runs, as
	// the host sees it: no GlusterFS CLI, no docker exec.
	Brick bool
	// Gluster asks the host's own glusterd, in skep-glusterd: a lost
	// brick, peer status and volume info. Local answers (no transaction
	// among glusterds), so every brick host may be asked at once.
	Gluster bool
	// VolumeStatus and Heal are cluster-wide transactions among all
	// glusterds: ask them of one host per call, never two at once. They
	// run one after the other, after the local questions are answered.
	VolumeStatus bool
	Heal         bool
	// SystemStatus asks the volume status of skep's own volume too, after
	// the user volume's cluster-wide questions, in the same docker exec:
	// the same rule, one host per call.
	SystemStatus bool
	// SystemMount asks about the mount of skep's own volume too (a
	// manager's, where the controller runs): what is mounted there and
	// whether it answers.
	SystemMount bool
	// Budget bounds the GlusterFS questions, counted from the script's
	// start on the host: a question that would outlive it is cut (or not
	// started) and reported as not answered, so nothing the script
	// started in the container runs on after its caller gave up. 0 means
	// DefaultBudget.
	Budget time.Duration
	// StatusOnly leaves out what only apply reads: the unit files and
	// whether they are enabled, and, on a host without a brick, the
	// GlusterFS container. Each is a docker or systemctl run on the host,
	// and status asks every host at once on shared cores.
	StatusOnly bool
	// Extra is shell that runs among the host's quick questions, before
	// the GlusterFS ones; it prints sections of its own (see Section).
	Extra string
}

// DefaultBudget bounds FactsScript's GlusterFS questions when
// Questions.Budget is zero (apply, which is not in a hurry).
const DefaultBudget = 15 * time.Second

// Caps on one GlusterFS question within the budget: each answers in well
// under a second on a healthy cluster, so hitting a cap means no answer.
const (
	localCap       = 4 * time.Second // peer status, volume info
	clusterWideCap = 4 * time.Second // volume status, heal info
)

// statfsTimeout bounds the statfs of the mount: a stalled mount takes all
// of it (a frozen peer stalls a GlusterFS mount for its ping-timeout).
const statfsTimeout = 1500 * time.Millisecond

// EndSection closes every FactsScript output, so a reader of a partial
// output (a caller that gave up) knows the last section was cut.
const EndSection = "end"

// Section is the shell that starts a section of the script's output.
func Section(name string) string { return "echo '@@skep " + name + "'\n" }

// SystemPrefix starts the names of the sections about skep's own volume
// (config.Storage.System); ParseFacts puts them in HostFacts.System.
const SystemPrefix = "system_"

// FactsScript gathers a host's storage facts in one round trip, with at
// most one docker exec (into skep-glusterd, for every GlusterFS question).
// The GlusterFS questions start first, in the background, and the quick
// facts come while they run; the budget makes them end in time, and a
// caller reading the output as it streams has the quick facts even if it
// gives up before the end.
func FactsScript(c *config.Cluster, h config.Host, q Questions) string {
	s := c.Storage
	f := newFrame(q.Budget, "")
	if q.Gluster || q.VolumeStatus || q.Heal || q.SystemStatus {
		f.gluster(glusterScript(s, q))
	}
	f.statfs("", s.Mount)
	if q.SystemMount {
		f.statfs(SystemPrefix, s.SystemMount)
	}
	if !q.StatusOnly || q.Brick {
		f.section("container")
		f.b.WriteString("docker inspect --format '{{.State.Status}}|{{.Config.Image}}|{{index .Config.Labels \"" + LabelConfigHash + "\"}}' " + ContainerName + " 2>/dev/null\n")
	}
	f.section("client")
	f.b.WriteString("{ [ -x /sbin/mount.glusterfs ] || command -v mount.glusterfs; } >/dev/null 2>&1 && echo yes\n")
	f.findmnt("", s.Mount)
	if q.SystemMount {
		f.findmnt(SystemPrefix, s.SystemMount)
	}
	if !q.StatusOnly {
		f.units("", Units(c, h), MountUnitName(s.Mount), RemountService)
	}
	if q.Brick {
		// The brick process, seen from the host: unlike volume status (a
		// transaction among all glusterds), this answers while a peer is
		// frozen.
		f.section("brick_process")
		fmt.Fprintf(&f.b, "pgrep -f -- %s >/dev/null && echo yes\n", host.ShellQuote("glusterfsd .*--brick-name "+s.Brick+"( |$)"))
		// The same for skep's own volume's brick, so status need not ask
		// a third cluster-wide transaction.
		f.section(SystemPrefix + "brick_process")
		fmt.Fprintf(&f.b, "pgrep -f -- %s >/dev/null && echo yes\n", host.ShellQuote("glusterfsd .*--brick-name "+s.System().Brick+"( |$)"))
	}
	f.b.WriteString(q.Extra)
	return f.end()
}

// SystemQuestions says what SystemFactsScript asks of a host.
type SystemQuestions struct {
	// Mount asks a manager about the system mount: what is mounted
	// there, whether it answers, its units, and the modes of its root and
	// of Dirs (only when the volume is mounted: never the directory
	// beneath).
	Mount bool
	Dirs  []string
	// VolumeInfo asks the host's glusterd about the volume (local).
	VolumeInfo bool
	// VolumeStatus is a cluster-wide transaction: one host per call, as
	// Questions.VolumeStatus.
	VolumeStatus bool
}

// SystemFactsScript gathers host h's facts about skep's own volume in one
// round trip, with at most one docker exec, like FactsScript; its sections
// are named with SystemPrefix (ParseSystemFacts reads them).
func SystemFactsScript(c *config.Cluster, h config.Host, q SystemQuestions) string {
	sys := c.Storage.System()
	f := newFrame(0, SystemPrefix)
	if q.VolumeInfo || q.VolumeStatus {
		var g strings.Builder
		g.WriteString(askFunc)
		if q.VolumeInfo {
			ask(&g, SystemPrefix+"volinfo", localCap, "volume", "info", sys.Volume)
		}
		if q.VolumeStatus {
			ask(&g, SystemPrefix+"volstatus", clusterWideCap, "volume", "status", sys.Volume)
		}
		f.gluster(g.String())
	}
	if q.Mount {
		m := host.ShellQuote(sys.Mount)
		f.statfs(SystemPrefix, sys.Mount)
		f.findmnt(SystemPrefix, sys.Mount)
		f.section(SystemPrefix + "modes")
		fmt.Fprintf(&f.b, "if [ \"$(findmnt -rn -o FSTYPE --mountpoint %s)\" = fuse.glusterfs ]; then\n", m)
		for _, d := range append([]string{sys.Mount}, q.Dirs...) {
			fmt.Fprintf(&f.b, "  timeout 3 stat -c '%%a %%n' %s 2>/dev/null\n", host.ShellQuote(d))
		}
		f.b.WriteString("fi\n")
		f.units(SystemPrefix, SystemUnits(c, h), MountUnitName(sys.Mount), SystemRemountService)
	}
	return f.end()
}

// frame writes what every facts script shares: the GlusterFS questions
// (a script run in skep-glusterd) start first, in the background; the
// statfs of each mount runs beside everything else (on a stalled mount it
// takes its whole timeout); the quick questions come while they run, and
// the slow answers last, before EndSection.
type frame struct {
	b      strings.Builder
	prefix string   // of the section of the docker exec's own output
	mounts []string // prefixes of the mounts whose statfs runs
}

func newFrame(budget time.Duration, prefix string) *frame {
	if budget <= 0 {
		budget = DefaultBudget
	}
	f := &frame{prefix: prefix}
	f.b.WriteString("d=$(mktemp -d); gp=\n")
	fmt.Fprintf(&f.b, "end=$(( $(date +%%s%%3N) + %d ))\n", budget.Milliseconds())
	return f
}

func (f *frame) section(name string) { f.b.WriteString(Section(name)) }

// gluster starts script in skep-glusterd. A stopped container refuses the
// exec at once; its error is kept in a section of its own.
func (f *frame) gluster(script string) {
	f.b.WriteString("docker exec -e SKEP_END=\"$end\" " + ContainerName + " sh -c " + host.ShellQuote(script) + " >\"$d/gluster\" 2>&1 & gp=$!\n")
}

// statfs starts the statfs of mount; end prints its answer as the
// section prefix+"mount_ok". A statfs waiting on FUSE ignores SIGTERM; -k
// follows up with SIGKILL.
func (f *frame) statfs(prefix, mount string) {
	f.mounts = append(f.mounts, prefix)
	fmt.Fprintf(&f.b, "{ timeout -k 0.2 %s stat -f -c %%T %s >/dev/null 2>&1 && echo yes; } >\"$d/%smount_ok\" & %ssp=$!\n",
		seconds(statfsTimeout), host.ShellQuote(mount), prefix, prefix)
}

// findmnt tells what is mounted at mount, as the section prefix+"mount".
func (f *frame) findmnt(prefix, mount string) {
	f.section(prefix + "mount")
	fmt.Fprintf(&f.b, "findmnt -rn -o FSTYPE --mountpoint %s\n", host.ShellQuote(mount))
}

// units tells the hashes of units and whether the named ones are enabled.
func (f *frame) units(prefix string, units []Unit, enabled ...string) {
	f.section(prefix + "units")
	for _, u := range units {
		fmt.Fprintf(&f.b, "printf '%%s %%s\\n' \"$(sha256sum < %[1]s 2>/dev/null | cut -c1-64)\" %[1]s\n", host.ShellQuote(u.Path))
	}
	f.section(prefix + "enabled")
	for _, name := range enabled {
		fmt.Fprintf(&f.b, "printf '%%s %%s\\n' %s \"$(systemctl is-enabled %s 2>/dev/null)\"\n", host.ShellQuote(name), host.ShellQuote(name))
	}
}

// end waits for the slow questions and prints their answers.
func (f *frame) end() string {
	for _, p := range f.mounts {
		fmt.Fprintf(&f.b, "wait $%ssp\n", p)
		f.section(p + "mount_ok")
		fmt.Fprintf(&f.b, "cat \"$d/%smount_ok\"\n", p)
	}
	f.b.WriteString("if [ -n \"$gp\" ]; then wait $gp; " + Section(f.prefix+"glusterd_exec") + "cat \"$d/gluster\"; fi\n")
	f.b.WriteString("rm -rf \"$d\"\n")
	f.section(EndSection)
	return f.b.String()
}

// askFunc asks one GlusterFS question in skep-glusterd, as a section of
// its own: it gets what is left of the budget (SKEP_END, in ms since the
// epoch), at most its cap; one that gets no answer in that time prints
// "skep: no answer in ...", which ParseFacts reads as a NoAnswer.
const askFunc = `ask() {
  n=$1 cap=$2; shift 2
  l=$(( SKEP_END - $(date +%s%3N) )); [ "$l" -gt "$cap" ] && l=$cap
  echo "@@skep $n"
  if [ "$l" -lt 200 ]; then echo "skep: no answer in 0s (no time left)"; return; fi
  t=$(( l / 1000 )).$(( l % 1000 / 100 ))
  timeout "$t" gluster --mode=script "$@" --xml 2>&1
  if [ $? = 124 ]; then echo "skep: no answer in ${t}s"; fi
}
`

// ask writes the call of askFunc for one question.
func ask(b *strings.Builder, section string, limit time.Duration, args ...string) {
	fmt.Fprintf(b, "ask %s %d %s\n", section, limit.Milliseconds(), strings.Join(args, " "))
}

// glusterScript runs in skep-glusterd: the local questions at once, and
// beside them the cluster-wide ones one after the other (two transactions
// at once make glusterd refuse or queue one), skep's own volume's last.
func glusterScript(s *config.Storage, q Questions) string {
	var b strings.Builder
	b.WriteString(askFunc)
	if q.Gluster {
		b.WriteString("d=$(mktemp -d)\n")
		fmt.Fprintf(&b, "ask peers %d peer status >\"$d/peers\" &\n", localCap.Milliseconds())
		fmt.Fprintf(&b, "ask volinfo %d volume info %s >\"$d/volinfo\" &\n", localCap.Milliseconds(), s.Volume)
		// A lost brick: its directory gone, or without GlusterFS's
		// volume-id (a new, empty disk). "foreign" is a directory with
		// files but no volume-id: someone else's data, never touched. The
		// brick's parent is bind-mounted at the same path.
		b.WriteString("echo '@@skep brick_lost'\n")
		fmt.Fprintf(&b, "if [ ! -d %[1]s ]; then echo missing; elif ! getfattr -n trusted.glusterfs.volume-id %[1]s >/dev/null 2>&1; then "+
			"if [ -z \"$(ls -A %[1]s)\" ]; then echo empty; else echo foreign; fi; fi\n", host.ShellQuote(s.Brick))
	}
	if q.VolumeStatus {
		ask(&b, "volstatus", clusterWideCap, "volume", "status", s.Volume)
	}
	if q.Heal {
		ask(&b, "heal", clusterWideCap, "volume", "heal", s.Volume, "info", "summary")
	}
	if q.SystemStatus {
		ask(&b, SystemPrefix+"volstatus", clusterWideCap, "volume", "status", s.System().Volume)
	}
	if q.Gluster {
		b.WriteString("wait; cat \"$d/peers\" \"$d/volinfo\"; rm -rf \"$d\"\n")
	}
	return b.String()
}

// seconds renders d for timeout(1) and sleep(1).
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// ParseFacts reads FactsScript's output; Answered tells which sections
// came back. For an output cut off before its end, pass it through Whole
// first.
func ParseFacts(out string) *HostFacts {
	sections := Sections(out)
	f := parseFacts(sections, "")
	for name := range sections {
		if strings.HasPrefix(name, SystemPrefix) {
			f.System = parseFacts(sections, SystemPrefix)
			break
		}
	}
	return f
}

// ParseSystemFacts reads SystemFactsScript's output: skep's own volume as
// the host sees it (never nil).
func ParseSystemFacts(out string) *HostFacts {
	return parseFacts(Sections(out), SystemPrefix)
}

// parseFacts reads the sections named prefix+NAME ("" for the user
// volume's, whose names never start with SystemPrefix).
func parseFacts(all map[string]string, prefix string) *HostFacts {
	f := &HostFacts{UnitHashes: map[string]string{}, Enabled: map[string]bool{}, Modes: map[string]string{}, Answered: map[string]bool{}}
	sections := map[string]string{}
	for name, body := range all {
		if n, ok := strings.CutPrefix(name, prefix); ok && (prefix != "" || !strings.HasPrefix(name, SystemPrefix)) {
			sections[n] = body
			f.Answered[n] = true
		}
	}

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
		line = strings.TrimSpace(line)
		if sum, p, ok := strings.Cut(line, " "); ok {
			f.UnitHashes[p] = sum
		} else if strings.HasPrefix(line, "/") {
			f.UnitHashes[line] = "" // missing
		}
	}
	for _, line := range strings.Split(sections["enabled"], "\n") {
		name, state, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name != "" {
			f.Enabled[name] = state == "enabled"
		}
	}
	for _, line := range strings.Split(sections["modes"], "\n") {
		if mode, p, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			f.Modes[p] = mode
		}
	}
	if out, ok := sections["peers"]; ok {
		f.Peers, f.PeersErr = glusterAnswer(out, ParsePeers)
	}
	if out, ok := sections["volinfo"]; ok {
		f.Volume, f.VolumeErr = glusterAnswer(out, ParseVolumeInfo)
	}
	if out, ok := sections["volstatus"]; ok {
		f.Bricks, f.BricksErr = glusterAnswer(out, ParseVolumeStatus)
	}
	if out, ok := sections["heal"]; ok {
		f.Heal, f.HealErr = glusterAnswer(out, ParseHealSummary)
	}
	return f
}

// Sections splits a script's output at its "@@skep NAME" lines into the
// text of each section.
func Sections(out string) map[string]string {
	sections := map[string]string{}
	var cur string
	var body strings.Builder
	flush := func() {
		if cur != "" && cur != EndSection {
			sections[cur] = body.String()
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(out, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "@@skep "); ok && strings.HasSuffix(line, "\n") {
			flush()
			cur = name
			continue
		}
		body.WriteString(line)
	}
	flush()
	return sections
}

// Whole is the part of a script's output (cut off while it ran) that
// holds only whole sections: everything before its last section, which
// may be cut too, unless that is the end section.
func Whole(out string) string {
	i := strings.LastIndex(out, "\n@@skep ")
	switch {
	case strings.HasPrefix(out, "@@skep ") && i < 0:
		i = 0 // only one section, maybe cut
	case i < 0:
		return out
	default:
		i++
	}
	if strings.HasPrefix(out[i:], "@@skep "+EndSection+"\n") {
		return out
	}
	return out[:i]
}

// glusterAnswer parses one gluster question's output: XML, a complaint
// (docker's, gluster's, timeout's) or the script's "no answer" line.
func glusterAnswer[T any](out string, parse func(string) (T, error)) (T, error) {
	if _, after, ok := strings.Cut(out, "skep: no answer in "); ok {
		var zero T
		return zero, &NoAnswer{After: strings.TrimSpace(strings.SplitN(after, "\n", 2)[0])}
	}
	return parse(xmlPart(out))
}

// xmlPart is the XML document in a command's output; what comes before it
// (docker's complaint, say) becomes the error.
func xmlPart(out string) string {
	if i := strings.Index(out, "<?xml"); i >= 0 {
		return out[i:]
	}
	if i := strings.Index(out, "<cliOutput"); i >= 0 {
		return out[i:]
	}
	msg := strings.TrimSpace(out)
	if msg == "" {
		msg = "no output"
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
