package apply

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeSecretFile puts data in dir/name, readable by its owner alone, and
// returns the path. It writes a temporary file and renames it, so the file
// is never seen half-written or with a wider mode.
func writeSecretFile(dir, name string, data []byte) (string, error) {
	if dir == "" {
		return "", errors.New("no directory to keep secrets in (Options.SecretDir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+name+"-*") // mode 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
