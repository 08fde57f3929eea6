package host

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsMu serialises reading-then-appending known_hosts files, so
// hosts dialled in parallel (DialAll) neither interleave their lines nor add
// the same host twice. One lock for all files: appends are rare and quick.
var knownHostsMu sync.Mutex

// hostKeyChecker verifies a host's key against one known_hosts file and, in
// trust-on-first-use mode, records unknown keys there.
type hostKeyChecker struct {
	name      string // host name for errors
	address   string // host:port as dialled
	file      string
	acceptNew bool
}

// knownHostsFileError is a failure to read or write the known_hosts file
// (as opposed to a key that does not match it).
type knownHostsFileError struct {
	Host, Address, File, Op string
	Err                     error
}

func (e *knownHostsFileError) Error() string {
	return fmt.Sprintf("%s (%s): %s %s: %v", e.Host, e.Address, e.Op, e.File, e.Err)
}

func (e *knownHostsFileError) Unwrap() error { return e.Err }

// callback returns the ssh.HostKeyCallback for the checker.
func (c *hostKeyChecker) callback() ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := c.check(hostname, remote, key)
		if err == nil || !c.acceptNew {
			return err
		}
		var hkErr *HostKeyError
		if !errors.As(err, &hkErr) || hkErr.Changed || hkErr.Revoked {
			return err // a changed or revoked key is never accepted
		}
		return c.appendKey(hostname, remote, key)
	}
}

// check verifies key against the file as it is now.
func (c *hostKeyChecker) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := loadKnownHosts(c.file)
	if err != nil {
		return &knownHostsFileError{Host: c.name, Address: c.address, File: c.file, Op: "reading", Err: err}
	}
	err = cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	hkErr := &HostKeyError{
		Host:        c.name,
		Address:     c.address,
		Fingerprint: ssh.FingerprintSHA256(key),
		KnownHosts:  c.file,
	}
	var keyErr *knownhosts.KeyError
	var revErr *knownhosts.RevokedError
	switch {
	case errors.As(err, &keyErr):
		hkErr.Changed = len(keyErr.Want) > 0
		return hkErr
	case errors.As(err, &revErr):
		hkErr.Revoked = true
		return hkErr
	default:
		return &knownHostsFileError{Host: c.name, Address: c.address, File: c.file, Op: "checking the host key against", Err: err}
	}
}

// appendKey records key for the dialled address, re-checking under the lock
// in case a parallel dial of the same address recorded it meanwhile.
func (c *hostKeyChecker) appendKey(hostname string, remote net.Addr, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()

	err := c.check(hostname, remote, key)
	var hkErr *HostKeyError
	if err == nil || !errors.As(err, &hkErr) || hkErr.Changed || hkErr.Revoked {
		return err
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(c.address)}, key) + "\n"
	if err := appendLine(c.file, line); err != nil {
		return &knownHostsFileError{Host: c.name, Address: c.address, File: c.file, Op: "recording the host key in", Err: err}
	}
	return nil
}

// loadKnownHosts is knownhosts.New, treating a missing file as empty.
func loadKnownHosts(file string) (ssh.HostKeyCallback, error) {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return knownhosts.New()
	}
	return knownhosts.New(file)
}

// appendLine appends line to file, creating the file 0600 (and its directory
// 0700) when missing, and starting on a new line if the file lacks a final
// newline.
func appendLine(file, line string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// knownKeyAlgorithms returns the host key algorithms to offer for address
// (host:port): those of the keys known_hosts holds for it, or nil (library
// defaults) when it holds none.
//
// Why parse the file ourselves: the knownhosts package checks keys but does
// not say which key types it knows for a host. Without restricting
// ClientConfig.HostKeyAlgorithms, a host with several key types may present
// one we have not recorded, and the check would fail as if the key had
// changed. This parse only picks algorithms; the knownhosts callback still
// makes every trust decision.
func knownKeyAlgorithms(file, address string) ([]string, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	target := knownhosts.Normalize(address)
	var algos []string
	seen := map[string]bool{}
	for len(data) > 0 {
		marker, hosts, key, _, rest, err := ssh.ParseKnownHosts(data)
		if err != nil {
			// ParseKnownHosts stops at the first bad line; skip it and go on,
			// as knownhosts does.
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				data = data[i+1:]
				continue
			}
			break
		}
		data = rest
		if marker != "" || !hostsMatch(hosts, target) {
			continue // @cert-authority and @revoked lines do not name key types to prefer
		}
		for _, a := range algorithmsForKeyType(key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos, nil
}

// algorithmsForKeyType maps a key type to the signature algorithms a server
// may use with it: an RSA key signs with SHA-2 on modern servers.
func algorithmsForKeyType(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{t}
}

// hostsMatch reports whether the host patterns of one known_hosts line
// match target (a knownhosts.Normalize'd address): a plain or wildcard
// pattern, or a hashed one; a matching negated pattern excludes the line.
func hostsMatch(patterns []string, target string) bool {
	matched := false
	for _, p := range patterns {
		negate := len(p) > 0 && p[0] == '!'
		if negate {
			p = p[1:]
		}
		var ok bool
		if len(p) > 0 && p[0] == '|' {
			ok = hashedMatch(p, target)
		} else {
			ok = wildcardMatch(p, target)
		}
		if ok && negate {
			return false
		}
		matched = matched || ok
	}
	return matched
}

// hashedMatch checks a "|1|salt|hash" pattern against target: the HMAC-SHA1
// of the normalised address keyed with the salt, as OpenSSH writes it.
func hashedMatch(pattern, target string) bool {
	parts := strings.Split(pattern, "|")
	if len(parts) != 4 || parts[0] != "" || parts[1] != "1" {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(target))
	return hmac.Equal(mac.Sum(nil), want)
}

// wildcardMatch matches s against a known_hosts pattern with * and ?.
func wildcardMatch(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if wildcardMatch(pat[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
		default:
			if len(s) == 0 || s[0] != pat[0] {
				return false
			}
		}
		pat, s = pat[1:], s[1:]
	}
	return len(s) == 0
}
