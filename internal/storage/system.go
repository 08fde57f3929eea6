package storage

import "skep/internal/config"

// skep's own volume (config.Storage.System): the same glusterd containers
// and pool as the user volume, a second brick beside each user brick, and
// a mount on every manager only, where the controller runs. Users bind
// the user mount into their containers; this one holds private keys, so
// it is mounted elsewhere and its root is 0700.

// SystemRemountService retries the system mount after boot until a
// GlusterFS server answers, like RemountService for the user mount.
const SystemRemountService = "skep-system-mount.service"

// systemDockerDropIn orders the engine after the system mount, so the
// controller never starts on a manager whose system volume is not there.
const systemDockerDropIn = unitDir + "/docker.service.d/skep-system-storage.conf"

// SystemCluster is c with its storage section replaced by the system
// volume's, for the helpers that take a cluster (CreateVolumeCommand,
// BrickRef through BrickHosts). Hosts are shared, not copied.
func SystemCluster(c *config.Cluster) *config.Cluster {
	sc := *c
	sc.Storage = c.Storage.System()
	return &sc
}

// SystemUnits renders the systemd units of manager h's system mount: the
// mount unit (its directory private), the engine's drop-in and the
// retrying service, as Units does for the user mount.
func SystemUnits(c *config.Cluster, h config.Host) []Unit {
	return mountUnits(c, h, c.Storage.System(), mountKind{
		header: "# Written by skep apply: skep's own GlusterFS volume %[1]s on every manager.\n" +
			"# It holds private keys: no container but skep's controller binds it.\n",
		kind: "system", mountExtra: "DirectoryMode=0700\n",
		binder: "the controller binds", dropIn: systemDockerDropIn, remount: SystemRemountService,
	})
}
