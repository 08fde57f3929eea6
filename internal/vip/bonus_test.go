package vip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func bonusValue(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// A master that steps down during a reload keeps its bonus until it is the
// master again; one still not the master when the grace ends loses it.
func TestMasterBonusHeldThroughReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "master")
	b := newMasterBonus(file, 200*time.Millisecond, t.Logf)
	b.state(true)
	if v := bonusValue(t, file); v != "1" {
		t.Fatalf("master: bonus %s, want 1", v)
	}

	b.reloading()
	b.state(false) // the instance re-created by the reload
	if v := bonusValue(t, file); v != "1" {
		t.Fatalf("backup during a reload: bonus %s, want it kept", v)
	}
	b.state(true)
	time.Sleep(300 * time.Millisecond)
	if v := bonusValue(t, file); v != "1" {
		t.Fatalf("master again after the reload: bonus %s, want 1", v)
	}

	b.reloading()
	b.state(false)
	time.Sleep(300 * time.Millisecond)
	if v := bonusValue(t, file); v != "0" {
		t.Fatalf("still backup after the grace: bonus %s, want 0", v)
	}
}

// Without a reload a step down drops the bonus at once: a holder that
// fails must not keep it.
func TestMasterBonusDroppedWithoutReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "master")
	b := newMasterBonus(file, time.Hour, t.Logf)
	b.state(true)
	b.state(false)
	if v := bonusValue(t, file); v != "0" {
		t.Fatalf("backup without a reload: bonus %s, want 0", v)
	}
}
