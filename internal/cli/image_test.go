package cli

import (
	"reflect"
	"testing"

	"skep/internal/image"
)

func TestPushSummarySaysPerImageWhichNodesGotItAndWhichHadIt(t *testing.T) {
	images := []image.LocalImage{
		{Tag: "myapp:1", ID: "sha256:0123456789abcdef"},
		{Tag: "db:17", ID: "sha256:fedcba9876543210"},
	}
	placed := []image.Placed{
		{Image: "db:17", Node: "node1", Action: image.ActionPresent},
		{Image: "db:17", Node: "node2", Action: image.ActionPresent},
		{Image: "myapp:1", Node: "node1", Action: image.ActionPresent},
		{Image: "myapp:1", Node: "node2", Action: image.ActionLoaded},
	}
	got := pushSummary(images, placed, []string{"node1", "node2", "node3"})
	want := []string{
		"myapp:1 (0123456789ab): loaded on node2; present on node1; NOT on node3",
		"db:17 (fedcba987654): present on node1, node2; NOT on node3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary\n %q\nwant\n %q", got, want)
	}
}
