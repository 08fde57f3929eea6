package apply

import (
	"fmt"
	"testing"

	skimage "skep/internal/image"
	"skep/internal/ingress"
)

func TestShipGroupsLoadTheBaseOnceAndCompiledProgramsApart(t *testing.T) {
	traefik := ingress.TraefikRecipe()
	proxy := ingress.ProxyRecipe()
	got := shipGroups([]skimage.Recipe{glusterdRecipe, traefik, keepalivedRecipe, proxy})
	var names [][]string
	for _, g := range got {
		var n []string
		for _, r := range g {
			tag, err := r.Tag()
			if err != nil {
				t.Fatal(err)
			}
			n = append(n, tag[:len(tag)-13]) // without :HASH
		}
		names = append(names, n)
	}
	if fmt.Sprint(names) != "[[skep-glusterd skep-vip skep-socket-proxy] [skep-traefik]]" {
		t.Fatalf("groups %v", names)
	}
	if g := shipGroups([]skimage.Recipe{traefik}); len(g) != 1 || len(g[0]) != 1 {
		t.Fatalf("a lone program: %v", g)
	}
}
