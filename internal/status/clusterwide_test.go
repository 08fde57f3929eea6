package status

import (
	"context"
	"sync"
	"testing"
	"time"

	"skep/internal/config"
	"skep/internal/host"
)

// cwFixture is a clusterWide over three brick hosts whose asking is
// recorded instead of run; answers says which hosts answer well.
func cwFixture(answers map[string]bool) (*clusterWide, []*probe, *[]string) {
	c := storageCluster()
	cw := newClusterWide(c)
	var probes []*probe
	for _, h := range c.Hosts {
		p := newProbe(c, h, time.Second)
		probes = append(probes, p)
		cw.add(p)
	}
	var mu sync.Mutex
	asked := &[]string{}
	cw.ask = func(p *probe, _ context.Context) {
		mu.Lock()
		defer mu.Unlock()
		*asked = append(*asked, p.cfg.Name)
	}
	cw.answered = func(p *probe) bool { return answers[p.cfg.Name] }
	return cw, probes, asked
}

func connect(p *probe) { p.host = &host.Host{} }

// The first brick host to connect asks; no other can claim it.
func TestClusterWideOneAsker(t *testing.T) {
	cw, probes, _ := cwFixture(nil)
	if !cw.claim(probes[1]) {
		t.Fatal("node2 connected first but may not ask")
	}
	if cw.claim(probes[0]) || cw.claim(probes[2]) {
		t.Fatal("a second host may ask the cluster-wide questions")
	}
	c := storageCluster()
	c.Hosts = append(c.Hosts, config.Host{Name: "node4", Address: addr(4), Role: "worker"})
	worker := newProbe(c, c.Hosts[3], time.Second)
	if worker.brick || newClusterWide(c).claim(worker) {
		t.Error("a host without a brick may ask")
	}
}

// The asker failed: the next connected brick hosts in cluster-file order
// are asked, one at a time, until one answers.
func TestClusterWideFallbackInOrder(t *testing.T) {
	cw, probes, asked := cwFixture(map[string]bool{"node3": true})
	for _, p := range probes {
		connect(p)
	}
	cw.claim(probes[1])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cw.finish(ctx, probes[1])
	if got := *asked; len(got) != 2 || got[0] != "node1" || got[1] != "node3" {
		t.Errorf("asked %v, want node1 then node3", got)
	}
	select {
	case <-cw.settled:
	default:
		t.Error("not settled after finish")
	}
}

// No fallback when the asker answered, when the next host is not
// connected, or when too little time is left.
func TestClusterWideNoNeedlessFallback(t *testing.T) {
	cw, probes, asked := cwFixture(map[string]bool{"node1": true})
	connect(probes[0])
	cw.claim(probes[0])
	cw.finish(context.Background(), probes[0])
	if len(*asked) != 0 {
		t.Errorf("asked %v after a whole answer", *asked)
	}

	cw, probes, asked = cwFixture(nil)
	connect(probes[0]) // node2 and node3 never connect (frozen)
	cw.claim(probes[0])
	cw.finish(context.Background(), probes[0])
	if len(*asked) != 0 {
		t.Errorf("asked unconnected hosts: %v", *asked)
	}

	cw, probes, asked = cwFixture(nil)
	for _, p := range probes {
		connect(p)
	}
	cw.claim(probes[0])
	ctx, cancel := context.WithTimeout(context.Background(), fallbackMin/2)
	defer cancel()
	cw.finish(ctx, probes[0])
	if len(*asked) != 0 {
		t.Errorf("asked with %s left: %v", fallbackMin/2, *asked)
	}
}

// When no brick host can be reached, nobody waits for an asker.
func TestClusterWideSettlesWhenNoBrickHostConnects(t *testing.T) {
	cw, probes, _ := cwFixture(nil)
	for _, p := range probes[:2] {
		cw.unreachable(p)
	}
	select {
	case <-cw.settled:
		t.Fatal("settled with a brick host still dialling")
	default:
	}
	cw.unreachable(probes[2])
	select {
	case <-cw.settled:
	default:
		t.Fatal("not settled with every brick host unreachable")
	}
}
