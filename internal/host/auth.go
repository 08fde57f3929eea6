package host

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethod returns how to authenticate to t: its key file, or the
// ssh-agent at SSH_AUTH_SOCK when it has none. The returned func releases
// the agent connection; call it once the handshake is over.
func authMethod(t Target) (ssh.AuthMethod, func(), error) {
	addr := t.addr()
	fail := func(err error, hint string) (ssh.AuthMethod, func(), error) {
		return nil, nil, &AuthError{Host: t.Name, Address: addr, User: t.User, Err: err, Hint: hint}
	}
	if t.KeyFile != "" {
		signer, err := loadKey(t.KeyFile)
		if err != nil {
			var pm *ssh.PassphraseMissingError
			if errors.As(err, &pm) {
				return fail(fmt.Errorf("key %s is protected by a passphrase", t.KeyFile),
					"load it into ssh-agent (ssh-add "+t.KeyFile+") and leave the key file unset so skep uses the agent")
			}
			return fail(err, "")
		}
		return ssh.PublicKeys(signer), func() {}, nil
	}

	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return fail(errors.New("no key file given and SSH_AUTH_SOCK is not set"),
			"set a key file for the host, or start ssh-agent and ssh-add your key")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return fail(fmt.Errorf("connecting to ssh-agent at %s: %w", sock, err), "is ssh-agent running?")
	}
	ag := agent.NewClient(conn)
	return ssh.PublicKeysCallback(ag.Signers), func() { conn.Close() }, nil
}

// loadKey reads a private key file, refusing one that others can read, as
// OpenSSH does.
func loadKey(file string) (ssh.Signer, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("permissions %04o for %s are too open; chmod 600 %s", perm, file, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return nil, err
		}
		return nil, fmt.Errorf("key file %s: %w", file, err)
	}
	return signer, nil
}
