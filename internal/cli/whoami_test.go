package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWhoamiAnswersHostAndHeaders(t *testing.T) {
	srv := httptest.NewServer(whoamiHandler("task1"))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/x?y=1", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{"Hostname: task1\n", "GET /x?y=1 HTTP/1.1\n", "X-Forwarded-Proto: https\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// With --drain the backend goes on answering after SIGTERM (its context
// ending), then stops.
func TestWhoamiDrainsAfterStop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveWhoami(ctx, ln, 300*time.Millisecond) }()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	get := func() error {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	stop()
	stopped := time.Now()
	time.Sleep(100 * time.Millisecond)
	if err := get(); err != nil {
		t.Fatalf("refused %s after the stop, within the drain: %v", time.Since(stopped), err)
	}
	select {
	case err := <-served:
		if err != nil || time.Since(stopped) < 300*time.Millisecond {
			t.Fatalf("ended after %s: %v", time.Since(stopped), err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("still serving long after the drain")
	}
	if err := get(); err == nil {
		t.Fatal("answered after the drain")
	}
}
