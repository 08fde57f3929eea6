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
  # Swarm never moves a running task: a node that died and came back stays
  # empty while the others carry its tasks. With auto, the swarm leader
  # spreads replicated services evenly again (a rolling update, one
  # service at a time; single-replica services are never moved) once every
  # node has been ready for after. skep rebalance does the same by hand.
  rebalance:
    auto: false
    after: 60s

# Shared storage: a GlusterFS volume with one brick on each of the first
# three hosts (three copies of every file), mounted on every host, so a
# stack's data follows its containers. Hosts need /dev/fuse; skep installs
# the GlusterFS client (glusterfs-client) where it is missing.
storage:
  # GlusterFS volume name.
  volume: skep-data
  # Directory holding this host's copy (brick); give it a disk of its own
  # if you can. Never write into it directly: use the mount.
  brick: /var/lib/skep/brick
  # Where every host mounts the volume; bind it into containers.
  mount: /var/data
  # Where the managers mount skep's own volume (VOLUME-system, bricks
  # BRICK-system beside yours): the controller's ACME account and private
  # keys, mode 0700. Never bind it into an app; it may not overlap mount.
  system_mount: /var/lib/skep-system
  # Only 3 is supported. arbiter: true keeps full copies on two hosts and
  # only metadata on the third (same split-brain protection, less disk).
  replica: 3
  arbiter: false
  # Override skep's volume options (GlusterFS "volume set" keys), e.g.
  # options:
  #   performance.cache-size: 64MB
  # (network.ping-timeout is tuning.storage_ping_timeout, below.)
  # A brick whose disk was replaced (directory gone or empty) is only
  # reported; set this to let apply rebuild it from the other copies.
  replace_lost_bricks: false

# One virtual IP (VIP) for the whole cluster, held by one manager at a time
# (keepalived, VRRP version 3 over unicast, so it works without multicast).
# Point your DNS names at it. The first manager holds it first; when the
# holder or its ingress fails, the next healthy manager takes it in well
# under a second. A manager that restarts does not take it back (no second
# move); one that was only frozen or cut off may, once (see the README).
vip:
  # A free IPv4 address in the managers' subnet, used by no host.
  address: 192.0.2.250
  # Interface that carries the VIP; unset means the one on the route to the
  # other managers.
  # interface: eth0
  # VRRP advertisement interval, 10ms..40.95s; the VIP moves after about
  # three missed adverts. [keepalived: 1s]
  advert_interval: 100ms
  # VRRP virtual router id, 1..255; apply refuses one another router on the
  # network already uses.
  router_id: 51

# Traefik on every manager, ports 80 and 443 (HTTP redirects to HTTPS).
# A service is routed when it joins the skep-public network and carries the
# labels traefik.enable=true, traefik.http.routers.NAME.rule=Host(` + "`name`" + `)
# and traefik.http.services.NAME.loadbalancer.server.port=PORT.
ingress:
  # Nodes that can pull may use the official image; unset, skep builds the
  # pinned Traefik from source and ships it to the nodes.
  # image: traefik:v3.6.15
  # Traefik's API (no dashboard) over HTTPS on api_port, behind basic auth
  # (user admin); apply shows the generated password once.
  api: false
  # api_port: 8080

# HTTPS certificates for the whole cluster. skep's controller (a swarm
# service with its state on skep's own volume, storage.system_mount)
# orders one certificate per name set from an ACME CA, answering the CA's
# HTTP-01 challenges through every Traefik, renews it 30 days before expiry
# and hands it to every Traefik. Names come from services' Host() router
# rules and the list below; point them at the VIP first. Needs the storage
# and ingress sections.
acme:
  # The account's contact (required); the CA writes here about expiry.
  email: ops@example.com
  # production (Let's Encrypt, the default), staging (Let's Encrypt's test
  # CA: untrusted certificates, generous limits; use it while trying), or
  # the https:// directory URL of another ACME CA.
  ca_url: staging
  # Names to keep certificates for besides those in router rules.
  # names: [www.example.com]
  # PEM roots for a private CA's own HTTPS endpoint (public CAs need none).
  # ca_roots: ca-roots.pem

# Timings skep sets on purpose, shorter than the components' stock ones so
# a failure is noticed sooner; each trades something away (see the
# README's "Tuning"; skep plan lists them with their reasons). The values
# below are skep's defaults; stock values in brackets.
tuning:
  # How often nodes report to the managers; a node is marked down after
  # about three missed heartbeats. 500ms..60s [swarm: 5s]
  dispatcher_heartbeat: 2s
  # Restart delay of stack services that restart and whose compose file
  # sets no delay. 0s..10m [swarm: 5s]
  restart_delay: 0s
  # How long GlusterFS waits for a silent node before dropping it; clients
  # stall that long. 1s..1013s, whole seconds [GlusterFS: 42s]
  storage_ping_timeout: 4s
  # How often Traefik re-reads the swarm's services. 500ms..10m [Traefik: 15s]
  ingress_refresh: 2s
`
