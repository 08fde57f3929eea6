package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRedis is an in-process server on loopback that understands GET, SET,
// DEL and PING. It parses commands on its own (not with readReply), so a
// mistake in the client's encoding is not mirrored here.
type fakeRedis struct {
	ln net.Listener

	mu    sync.Mutex
	data  map[string]string
	raw   []string // every command as received, bytes included
	conns int      // connections accepted
	// closeAfterReply makes the server hang up after each reply, as a
	// restarted cache would have.
	closeAfterReply bool
	// silent makes the server read commands and never answer.
	silent bool
}

func newFakeRedis(t *testing.T) *fakeRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{ln: ln, data: map[string]string{}}
	t.Cleanup(func() { ln.Close() })
	go f.accept()
	return f
}

func (f *fakeRedis) addr() string { return f.ln.Addr().String() }

func (f *fakeRedis) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns++
		f.mu.Unlock()
		go f.serve(c)
	}
}

func (f *fakeRedis) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		args, raw, err := readCommand(r)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.raw = append(f.raw, raw)
		reply := f.apply(args)
		silent, hangUp := f.silent, f.closeAfterReply
		f.mu.Unlock()
		if silent {
			continue
		}
		io.WriteString(c, reply)
		if hangUp {
			return
		}
	}
}

// readCommand reads "*N\r\n" then N "$LEN\r\nBYTES\r\n".
func readCommand(r *bufio.Reader) (args []string, raw string, err error) {
	var b strings.Builder
	line := func() (string, error) {
		s, err := r.ReadString('\n')
		b.WriteString(s)
		return strings.TrimSuffix(s, "\r\n"), err
	}
	head, err := line()
	if err != nil || !strings.HasPrefix(head, "*") {
		return nil, "", fmt.Errorf("bad command head %q: %v", head, err)
	}
	n, _ := strconv.Atoi(head[1:])
	for range n {
		l, err := line()
		if err != nil || !strings.HasPrefix(l, "$") {
			return nil, "", fmt.Errorf("bad bulk head %q: %v", l, err)
		}
		size, _ := strconv.Atoi(l[1:])
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, "", err
		}
		b.Write(buf)
		args = append(args, string(buf[:size]))
	}
	return args, b.String(), nil
}

func (f *fakeRedis) apply(args []string) string {
	switch strings.ToUpper(args[0]) {
	case "PING":
		return "+PONG\r\n"
	case "SET":
		f.data[args[1]] = args[2]
		return "+OK\r\n"
	case "GET":
		v, ok := f.data[args[1]]
		if !ok {
			return "$-1\r\n"
		}
		return fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
	case "DEL":
		_, ok := f.data[args[1]]
		delete(f.data, args[1])
		if ok {
			return ":1\r\n"
		}
		return ":0\r\n"
	}
	return fmt.Sprintf("-ERR unknown command '%s'\r\n", args[0])
}

func (f *fakeRedis) stats() (raw []string, conns int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.raw...), f.conns
}

func TestRESPWireAndReplies(t *testing.T) {
	f := newFakeRedis(t)
	c := newRedisClient(f.addr(), 2*time.Second)
	defer c.Close()
	ctx := context.Background()
	value := "two\r\nlines é" // binary safe: CRLF and UTF-8 inside a value

	reply, err := c.Do(ctx, "SET", "k", value)
	if err != nil || reply != "OK" {
		t.Fatalf("SET: %v %v", reply, err)
	}
	raw, _ := f.stats()
	want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + strconv.Itoa(len(value)) + "\r\n" + value + "\r\n"
	if raw[0] != want {
		t.Fatalf("SET on the wire:\n%q\nwant\n%q", raw[0], want)
	}
	if reply, err := c.Do(ctx, "GET", "k"); err != nil || reply != value {
		t.Fatalf("GET k: %q %v", reply, err)
	}
	if reply, err := c.Do(ctx, "GET", "missing"); err != nil || reply != nil {
		t.Fatalf("GET missing: %#v %v, want nil", reply, err)
	}
	if reply, err := c.Do(ctx, "DEL", "k"); err != nil || reply != int64(1) {
		t.Fatalf("DEL k: %#v %v", reply, err)
	}
	_, err = c.Do(ctx, "NOPE")
	var re redisError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "unknown command 'NOPE'") {
		t.Fatalf("NOPE: %v, want the server's error reply", err)
	}
	// An error reply leaves the connection usable: all of it on one.
	if reply, err := c.Do(ctx, "PING"); err != nil || reply != "PONG" {
		t.Fatalf("PING: %v %v", reply, err)
	}
	if _, conns := f.stats(); conns != 1 {
		t.Fatalf("%d connections, want 1 kept and reused", conns)
	}
}

func TestRESPRedialsAfterServerHangsUp(t *testing.T) {
	f := newFakeRedis(t)
	f.closeAfterReply = true
	c := newRedisClient(f.addr(), 2*time.Second)
	defer c.Close()
	for i := range 3 {
		if reply, err := c.Do(context.Background(), "PING"); err != nil || reply != "PONG" {
			t.Fatalf("PING %d: %v %v", i, reply, err)
		}
	}
	// Each PING after the first took the connection kept from the one
	// before, found it dead and dialled once more (else it would have
	// failed): one new connection per PING.
	if _, conns := f.stats(); conns != 3 {
		t.Fatalf("%d connections, want 3", conns)
	}
}

func TestRESPDoesNotWaitForever(t *testing.T) {
	f := newFakeRedis(t)
	f.silent = true
	c := newRedisClient(f.addr(), 200*time.Millisecond)
	defer c.Close()
	start := time.Now()
	_, err := c.Do(context.Background(), "PING")
	if err == nil || !strings.Contains(err.Error(), f.addr()) {
		t.Fatalf("err %v, want a timeout naming %s", err, f.addr())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %s with a 200ms timeout", d)
	}
}

func TestRESPNobodyListening(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := newRedisClient(addr, time.Second).Do(context.Background(), "PING")
	if err == nil || !strings.Contains(err.Error(), "redis at "+addr) {
		t.Fatalf("err %v, want one naming %s", err, addr)
	}
}

func TestReadReply(t *testing.T) {
	ok := []struct {
		in   string
		want any
	}{
		{"+OK\r\n", "OK"},
		{"+\r\n", ""},
		{":-42\r\n", int64(-42)},
		{"$0\r\n\r\n", ""},
		{"$-1\r\n", nil},
		{"*-1\r\n", nil},
		{"*0\r\n", []any{}},
		{"-ERR wrong\r\n", redisError("ERR wrong")},
		{"*3\r\n$1\r\na\r\n:2\r\n*1\r\n-ERR in array\r\n", []any{"a", int64(2), []any{redisError("ERR in array")}}},
	}
	for _, tc := range ok {
		got, err := readReply(bufio.NewReader(strings.NewReader(tc.in)))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %#v %v, want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "+OK\n", "?what\r\n", ":x\r\n", "$-2\r\n", "$abc\r\n",
		"$3\r\nab", "$2\r\nabc\r\n", "*2\r\n+a\r\n", "$99999999999\r\n",
	} {
		if got, err := readReply(bufio.NewReader(strings.NewReader(in))); err == nil {
			t.Errorf("%q: %#v, want an error", in, got)
		}
	}
}
