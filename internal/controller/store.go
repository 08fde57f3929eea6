package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// store keeps the controller's state in a directory on skep's own volume
// (replicated like the user's data, mounted on the managers only, never
// under the storage mount apps bind), so a controller restarted on another
// node finds the same account and certificates. Everything is private
// (directories 0700, files 0600) and written atomically: a controller
// killed mid-write leaves the old file.
//
// Layout (CA is a short hash of the directory URL, so staging and
// production accounts never mix):
//
//	DIR/status.json               what skep status reads
//	DIR/acme/CA/account.json      account key (PEM) and registration
//	DIR/acme/CA/orders.json       order history, for rate limits
//	DIR/acme/CA/certs/ID.json     one certificate with its key
type store struct {
	dir string // the state directory, e.g. /var/lib/skep-system/controller
	ca  string // acme/CA under dir
}

func newStore(dir, caURL string) (*store, error) {
	sum := sha256.Sum256([]byte(caURL))
	s := &store{dir: dir, ca: filepath.Join(dir, "acme", hex.EncodeToString(sum[:])[:12])}
	if err := os.MkdirAll(filepath.Join(s.ca, "certs"), 0o700); err != nil {
		return nil, fmt.Errorf("state directory %s: %w (is skep's system volume mounted?)", dir, err)
	}
	// MkdirAll keeps the modes of directories that already exist; make
	// sure every level skep owns is private.
	for _, d := range []string{dir, filepath.Join(dir, "acme"), s.ca, filepath.Join(s.ca, "certs")} {
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, which replaces the file in one step.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	// Data reaches the disk before the rename makes it visible, so a crash
	// cannot leave an empty file under the real name.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// readJSON reads path into v; a missing file leaves v alone and is no error.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// account is the ACME account as stored.
type account struct {
	Email  string `json:"email"`
	KeyPEM string `json:"key_pem"`
	URI    string `json:"uri,omitempty"` // empty until registered
}

func (s *store) loadAccount() (*account, error) {
	var a account
	if err := readJSON(filepath.Join(s.ca, "account.json"), &a); err != nil {
		return nil, err
	}
	if a.KeyPEM == "" {
		return nil, nil
	}
	return &a, nil
}

func (s *store) saveAccount(a *account) error {
	return writeJSON(filepath.Join(s.ca, "account.json"), a)
}

// Certificate is one issued certificate with its private key.
type Certificate struct {
	Names    NameSet   `json:"names"`
	CertPEM  string    `json:"cert_pem"` // leaf first, then the chain
	KeyPEM   string    `json:"key_pem"`
	NotAfter time.Time `json:"not_after"`
	Issuer   string    `json:"issuer"`
	Serial   string    `json:"serial"`
	Obtained time.Time `json:"obtained"`
}

func certFile(dir string, names NameSet) string {
	sum := sha256.Sum256([]byte(names.Key()))
	// The first name keeps the file recognisable; the hash keeps it unique.
	first := strings.ReplaceAll(names[0], "*", "_")
	return filepath.Join(dir, "certs", first+"-"+hex.EncodeToString(sum[:])[:8]+".json")
}

func (s *store) saveCert(c *Certificate) error { return writeJSON(certFile(s.ca, c.Names), c) }

// certs returns every stored certificate, sorted by names.
func (s *store) certs() ([]*Certificate, error) {
	files, err := filepath.Glob(filepath.Join(s.ca, "certs", "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Certificate
	var errs []error
	for _, f := range files {
		var c Certificate
		if err := readJSON(f, &c); err != nil {
			errs = append(errs, err)
			continue
		}
		if len(c.Names) > 0 && c.CertPEM != "" && c.KeyPEM != "" {
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Names.Key() < out[j].Names.Key() })
	return out, errors.Join(errs...)
}

func (s *store) loadOrders() ([]Attempt, error) {
	var h []Attempt
	err := readJSON(filepath.Join(s.ca, "orders.json"), &h)
	return h, err
}

func (s *store) saveOrders(h []Attempt) error {
	return writeJSON(filepath.Join(s.ca, "orders.json"), h)
}

func (s *store) saveStatus(st *Status) error {
	return writeJSON(filepath.Join(s.dir, StatusFile), st)
}
