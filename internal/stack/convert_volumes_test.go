package stack

import (
	"testing"

	"github.com/docker/docker/api/types/mount"
)

const volumesYAML = `
services:
  db:
    image: postgres
    volumes:
      - db:/var/lib/postgresql/data
      - /var/data/app/conf:/etc/app:ro
      - /etc/foo:/foo
      - /var/run/docker.sock:/var/run/docker.sock
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 1048576}
      - type: volume
        source: logs
        target: /logs
        volume: {subpath: db}
  backup:
    image: restic
    volumes: [db:/data, nfs:/nfs, ext:/ext]
volumes:
  db: {}
  logs: {driver: local}
  nfs:
    driver: local
    driver_opts: {type: nfs, o: "addr=127.0.0.2", device: ":/export"}
  ext: {external: true}
`

func TestConvertVolumes(t *testing.T) {
	runCases(t, []convertCase{{
		name: "shared storage",
		yaml: volumesYAML,
		check: func(t *testing.T, st *Stack) {
			eq(t, "db mounts", svc(t, st, "app_db").TaskTemplate.ContainerSpec.Mounts, []mount.Mount{
				{Type: mount.TypeBind, Source: "/var/data/volumes/app_db", Target: "/var/lib/postgresql/data"},
				{Type: mount.TypeBind, Source: "/var/data/app/conf", Target: "/etc/app", ReadOnly: true},
				{Type: mount.TypeBind, Source: "/etc/foo", Target: "/foo"},
				{Type: mount.TypeBind, Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"},
				{Type: mount.TypeTmpfs, Target: "/tmp", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}},
				{Type: mount.TypeBind, Source: "/var/data/volumes/app_logs/db", Target: "/logs"},
			})
			eq(t, "backup mounts", svc(t, st, "app_backup").TaskTemplate.ContainerSpec.Mounts, []mount.Mount{
				{Type: mount.TypeBind, Source: "/var/data/volumes/app_db", Target: "/data"},
				{Type: mount.TypeVolume, Source: "app_nfs", Target: "/nfs", VolumeOptions: &mount.VolumeOptions{
					Labels: map[string]string{LabelNamespace: "app"},
					DriverConfig: &mount.Driver{Name: "local", Options: map[string]string{
						"type": "nfs", "o": "addr=127.0.0.2", "device": ":/export"}},
				}},
				{Type: mount.TypeVolume, Source: "ext", Target: "/ext", VolumeOptions: &mount.VolumeOptions{}},
			})
			eq(t, "dirs", st.Dirs, []string{
				"/var/data/app/conf", "/var/data/volumes/app_db", "/var/data/volumes/app_logs", "/var/data/volumes/app_logs/db"})
			hasNote(t, st, "volume db: kept on the shared volume at /var/data/volumes/app_db")
			hasNote(t, st, "service db binds /etc/foo, a node-local path: its data stays on the node if the task moves")
			noNote(t, st, "docker.sock")
			noNote(t, st, "/var/data/app/conf")
			// db is used by two services and said once.
			count := 0
			for _, n := range st.Notes {
				if n == "volume db: kept on the shared volume at /var/data/volumes/app_db" {
					count++
				}
			}
			eq(t, "db notes", count, 1)
		},
	}, {
		name: "no shared storage",
		yaml: volumesYAML,
		opts: func(o *ConvertOptions) { o.StorageMount = "" },
		check: func(t *testing.T, st *Stack) {
			m := svc(t, st, "app_db").TaskTemplate.ContainerSpec.Mounts[0]
			eq(t, "db mount", m, mount.Mount{Type: mount.TypeVolume, Source: "app_db", Target: "/var/lib/postgresql/data",
				VolumeOptions: &mount.VolumeOptions{Labels: map[string]string{LabelNamespace: "app"}}})
			eq(t, "dirs", st.Dirs, []string(nil))
			hasNote(t, st, "volume db: a docker volume on each node")
			hasNote(t, st, "service db binds /var/data/app/conf, a node-local path")
		},
	}, {
		name:      "undeclared volume",
		yaml:      "services: {db: {image: postgres, volumes: [{type: volume, source: nope, target: /data}]}}",
		unchecked: true,
		wantErr:   "service db: volumes: /data: volume nope is not declared",
	}, {
		name:    "subpath leaving the volume",
		yaml:    "services: {db: {image: postgres, volumes: [{type: volume, source: v, target: /data, volume: {subpath: ../x}}]}}\nvolumes: {v: {}}",
		wantErr: "leaves the volume",
	}})
}
