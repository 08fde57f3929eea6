package config

// Example returns a commented cluster file for `skep init`. It validates
// with no problems as it stands (key_file is left commented out, so the
// ssh-agent is used); a user edits names and addresses and applies it.
// Addresses are from 192.0.2.0/24 (TEST-NET-1, RFC 5737), which is reserved
// for documentation and never routed, so an unedited file harms no one.
func Example() string { return example }

const example = `# skep cluster file: the machines of one Docker Swarm cluster.
# Edit it, then run:  skep plan -f cluster.yaml  and  skep apply -f cluster.yaml
# Paths below may be absolute, start with ~/, or be relative to this file.

# Name of the cluster: 1..40 characters a-z, 0-9 and '-'.
name: example

# How skep reaches every host over SSH. Each host may override user, port
# and key_file.
ssh:
  # Login user; it must be root or able to run sudo without a password.
  user: root
  # SSH port (default 22).
  port: 22
  # Private key to log in with. Leave it unset to use your ssh-agent
  # (SSH_AUTH_SOCK), which is the preferred way.
  # key_file: ~/.ssh/id_ed25519
  # Host keys are checked against this file (default ~/.ssh/known_hosts);
  # add each host first, e.g. with: ssh-keyscan 192.0.2.11 >> ~/.ssh/known_hosts
  # known_hosts: ~/.ssh/known_hosts

# The machines, in order: the first manager creates the swarm, and the order
# sets the VIP priorities. Names are 1..63 characters a-z, 0-9 and '-';
# addresses are IP addresses or DNS hostnames; both must be unique.
hosts:
  - name: node1
    address: 192.0.2.11
    # manager (default) or worker. Use 3 or 5 managers: 3 tolerate the loss
    # of 1, 5 the loss of 2.
    role: manager
    # Swarm node labels for placement constraints, e.g.
    # node.labels.zone == a. Keys starting with "skep." are reserved.
    # labels:
    #   zone: a
  - name: node2
    address: 192.0.2.12
    role: manager
  - name: node3
    address: 192.0.2.13
    role: manager
  # A worker runs services but takes no part in swarm decisions:
  # - name: node4
  #   address: 192.0.2.14
  #   role: worker
  #   user: admin        # overrides ssh.user for this host
  #   port: 2222         # overrides ssh.port for this host

swarm:
  # Allow fewer than 3, or an even number of, managers. Such a swarm loses
  # quorum sooner: 2 managers tolerate no failure at all. For tests only.
  allow_unsafe_managers: false
`
