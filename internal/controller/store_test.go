package controller

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStoreIsPrivateAndAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "skep")
	os.MkdirAll(dir, 0o755)
	s, err := newStore(dir, "https://ca.test/dir")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.saveAccount(&account{Email: "a@x.org", KeyPEM: "KEY"}); err != nil {
		t.Fatal(err)
	}
	if err := s.saveStatus(&Status{CA: "x"}); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// No temporary file is left behind, and a second write replaces the first.
	if err := s.saveAccount(&account{Email: "a@x.org", KeyPEM: "KEY2"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(s.ca)
	for _, e := range entries {
		if e.Name() != "account.json" && e.Name() != "certs" {
			t.Errorf("stray file %s", e.Name())
		}
	}
	a, err := s.loadAccount()
	if err != nil || a.KeyPEM != "KEY2" {
		t.Fatalf("account %+v, %v", a, err)
	}
	// Another CA URL is another account.
	s2, _ := newStore(dir, "https://staging.test/dir")
	if a, _ := s2.loadAccount(); a != nil {
		t.Fatalf("staging sees the production account")
	}
}
