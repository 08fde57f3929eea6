package stackdeploy

import (
	"testing"
	"time"

	"skep/internal/config"
)

func TestMkdirCommandQuotesEachDirectory(t *testing.T) {
	got := MkdirCommand([]string{"/var/data/volumes/app_data", "/var/data/it's here"})
	want := `mkdir -p -- '/var/data/volumes/app_data' '/var/data/it'\''s here'`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestConvertOptionsFollowTheClusterFile(t *testing.T) {
	bare := &config.Cluster{}
	if o := convertOptions(bare, "app", false); o.StorageMount != "" || o.PublicNetwork != "" || o.Name != "app" {
		t.Errorf("without storage and ingress: %+v", o)
	}
	full := &config.Cluster{Storage: &config.Storage{Mount: "/mnt/shared"}, Ingress: &config.Ingress{}}
	if o := convertOptions(full, "app", true); o.StorageMount != "/mnt/shared" || o.PublicNetwork != "skep-public" || !o.IPVS {
		t.Errorf("with storage and ingress: %+v", o)
	}
	// The restart delay is always set: the file's, else skep's default.
	if o := convertOptions(bare, "app", false); o.RestartDelay == nil || *o.RestartDelay != 0 {
		t.Errorf("default restart delay %v, want 0s", o.RestartDelay)
	}
	full.Tuning.RestartDelay = "3s"
	if o := convertOptions(full, "app", false); o.RestartDelay == nil || *o.RestartDelay != 3*time.Second {
		t.Errorf("restart delay %v, want the file's 3s", o.RestartDelay)
	}
}
