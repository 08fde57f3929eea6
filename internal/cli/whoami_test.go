package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
