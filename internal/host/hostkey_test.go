package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestKnownHostAccepted(t *testing.T) {
	s := newTestServer(t)
	h, err := Dial(context.Background(), s.target("node1", writeKnownHosts(t, s.knownHostsLine())))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	out, err := h.Exec(context.Background(), "echo hello")
	if err != nil || out != "hello\n" {
		t.Fatalf("Exec = %q, %v", out, err)
	}
	if h.Name() != "node1" || h.Address() != "127.0.0.1" {
		t.Errorf("Name, Address = %q, %q", h.Name(), h.Address())
	}
}

func TestUnknownHostRefused(t *testing.T) {
	s := newTestServer(t)
	kh := filepath.Join(t.TempDir(), "missing", "known_hosts")
	_, err := Dial(context.Background(), s.target("node1", kh))
	var hkErr *HostKeyError
	if !errors.As(err, &hkErr) {
		t.Fatalf("want *HostKeyError, got %T: %v", err, err)
	}
	fp := ssh.FingerprintSHA256(s.hostKeys[0].PublicKey())
	if hkErr.Changed || hkErr.Fingerprint != fp || hkErr.Host != "node1" || hkErr.Address != s.addr() {
		t.Errorf("HostKeyError = %+v", hkErr)
	}
	want := fmt.Sprintf("node1 (%s): unknown host key %s; verify it, then run again with --accept-new-host-keys to trust it", s.addr(), fp)
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if _, err := os.Stat(kh); !os.IsNotExist(err) {
		t.Errorf("known_hosts was written without AcceptNew: %v", err)
	}
}

func TestAcceptNewAppendsAndTrusts(t *testing.T) {
	s := newTestServer(t)
	dir := filepath.Join(t.TempDir(), "ssh")
	kh := filepath.Join(dir, "known_hosts")
	tg := s.target("node1", kh)
	tg.AcceptNew = true
	h, err := Dial(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()

	data, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != s.knownHostsLine() {
		t.Errorf("known_hosts = %q, want %q", data, s.knownHostsLine())
	}
	for file, want := range map[string]os.FileMode{kh: 0o600, dir: 0o700} {
		if st, err := os.Stat(file); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", file, st.Mode().Perm(), want, err)
		}
	}

	tg.AcceptNew = false
	h, err = Dial(context.Background(), tg)
	if err != nil {
		t.Fatalf("second dial without AcceptNew: %v", err)
	}
	h.Close()
	if again, _ := os.ReadFile(kh); string(again) != string(data) {
		t.Errorf("known_hosts changed on second dial: %q", again)
	}
}

func TestAcceptNewAddsNewlineToUnterminatedFile(t *testing.T) {
	s := newTestServer(t)
	other := knownhosts.Line([]string{"otherhost"}, newEd25519Signer(t).PublicKey())
	kh := writeKnownHosts(t, other) // no final newline
	tg := s.target("node1", kh)
	tg.AcceptNew = true
	h, err := Dial(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	data, _ := os.ReadFile(kh)
	if want := other + "\n" + s.knownHostsLine(); string(data) != want {
		t.Errorf("known_hosts = %q, want %q", data, want)
	}
}

func TestChangedKeyRefusedEvenWithAcceptNew(t *testing.T) {
	s := newTestServer(t)
	old := knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, newEd25519Signer(t).PublicKey()) + "\n"
	kh := writeKnownHosts(t, old)
	tg := s.target("node1", kh)
	tg.AcceptNew = true
	_, err := Dial(context.Background(), tg)
	var hkErr *HostKeyError
	if !errors.As(err, &hkErr) || !hkErr.Changed {
		t.Fatalf("want changed *HostKeyError, got %T: %v", err, err)
	}
	for _, want := range []string{"node1 (" + s.addr() + "): HOST KEY CHANGED", "possible man-in-the-middle",
		"remove the old line from " + kh, ssh.FingerprintSHA256(s.hostKeys[0].PublicKey())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if data, _ := os.ReadFile(kh); string(data) != old {
		t.Errorf("known_hosts modified: %q", data)
	}
}

func TestParallelAcceptNewWritesEachHostOnce(t *testing.T) {
	servers := []*testServer{newTestServer(t), newTestServer(t), newTestServer(t)}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	var targets []Target
	for i, s := range servers {
		for j := range 3 { // the same address under several names
			tg := s.target(fmt.Sprintf("s%d-%d", i, j), kh)
			tg.AcceptNew = true
			targets = append(targets, tg)
		}
	}
	hosts, err := DialAll(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		h.Close()
	}
	if len(hosts) != len(targets) {
		t.Errorf("%d hosts, want %d", len(hosts), len(targets))
	}
	data, _ := os.ReadFile(kh)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != len(servers) {
		t.Fatalf("known_hosts has %d lines, want %d:\n%s", len(lines), len(servers), data)
	}
	for _, s := range servers {
		if !strings.Contains(string(data), s.knownHostsLine()) {
			t.Errorf("known_hosts lacks %q", s.knownHostsLine())
		}
	}
}

// A host with an RSA and an ed25519 key, of which we know only one, must be
// checked against that one, not refused as "changed" because it offered the
// other.
func TestHostKeyAlgorithmsFollowKnownHosts(t *testing.T) {
	s := newTestServer(t, newRSASigner(t), newEd25519Signer(t))
	for _, k := range s.hostKeys {
		line := knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, k.PublicKey()) + "\n"
		h, err := Dial(context.Background(), s.target("node1", writeKnownHosts(t, line)))
		if err != nil {
			t.Fatalf("known %s key: %v", k.PublicKey().Type(), err)
		}
		h.Close()
	}
}

func TestKnownKeyAlgorithms(t *testing.T) {
	ed := newEd25519Signer(t).PublicKey()
	rsaPub := newRSASigner(t).PublicKey()
	content := strings.Join([]string{
		"# comment",
		knownhosts.Line([]string{"[10.0.0.1]:2222"}, ed),
		knownhosts.Line([]string{knownhosts.HashHostname("10.0.0.2")}, rsaPub),
		knownhosts.Line([]string{"*.example.com", "!bad.example.com"}, ed),
		"this line is not valid",
		"@revoked 10.0.0.1 " + string(ssh.MarshalAuthorizedKey(rsaPub)),
		knownhosts.Line([]string{"10.0.0.3"}, ed),
		knownhosts.Line([]string{"10.0.0.3"}, ed),
	}, "\n")
	kh := writeKnownHosts(t, content)
	for addr, want := range map[string][]string{
		"10.0.0.1:2222":      {ssh.KeyAlgoED25519},
		"10.0.0.1:22":        nil,
		"10.0.0.2:22":        {ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA},
		"10.0.0.3:22":        {ssh.KeyAlgoED25519},
		"www.example.com:22": {ssh.KeyAlgoED25519},
		"bad.example.com:22": nil,
		"10.0.0.9:22":        nil,
	} {
		got, err := knownKeyAlgorithms(kh, addr)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("knownKeyAlgorithms(%s) = %v, %v; want %v", addr, got, err, want)
		}
	}
	if got, err := knownKeyAlgorithms(filepath.Join(t.TempDir(), "none"), "10.0.0.1:22"); got != nil || err != nil {
		t.Errorf("missing file: %v, %v", got, err)
	}
}
