package lab

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// keyPair is an ed25519 key in the OpenSSH formats sshd and ssh read.
type keyPair struct {
	private []byte // OpenSSH PEM
	public  ssh.PublicKey
}

func newKeyPair(comment string) (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{private: pem.EncodeToMemory(block), public: sshPub}, nil
}

// ensureClientKey creates the lab's login key once (0600) and returns its
// public half for the nodes' authorized_keys.
func ensureClientKey(path string) (ssh.PublicKey, error) {
	if data, err := os.ReadFile(path); err == nil {
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			return nil, err
		}
		return signer.PublicKey(), nil
	}
	kp, err := newKeyPair("skep-lab")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, kp.private, 0o600); err != nil {
		return nil, err
	}
	return kp.public, os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(kp.public), 0o644)
}

// nodeSecrets is the tar copied into a node before its first boot: its own
// host key (so known_hosts is exact, no trust on first use) and the lab's
// login key.
func nodeSecrets(host keyPair, login ssh.PublicKey) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	add := func(name string, mode int64, data []byte) error {
		if data == nil {
			return tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Typeflag: tar.TypeDir, ModTime: now})
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), ModTime: now}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	steps := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/ssh/ssh_host_ed25519_key", 0o600, host.private},
		{"etc/ssh/ssh_host_ed25519_key.pub", 0o644, ssh.MarshalAuthorizedKey(host.public)},
		{"root/.ssh/", 0o700, nil},
		{"root/.ssh/authorized_keys", 0o600, ssh.MarshalAuthorizedKey(login)},
	}
	for _, s := range steps {
		if err := add(s.name, s.mode, s.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func knownHostsLine(address string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(address + ":22")}, key) + "\n"
}
