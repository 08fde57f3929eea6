package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// redisClient speaks just enough of RESP, Redis' wire protocol (version 2),
// for this example: a command goes out as an array of bulk strings; a reply
// comes back as a simple string, an error, an integer, a bulk string or an
// array of those. It is written by hand because the example uses the
// standard library only, to show an app with no dependency to vendor; a
// real app would use a maintained client.
//
// Connections are kept for reuse. Every command this app sends (GET, SET,
// DEL, PING) can be sent twice without harm, so a kept connection that
// turns out dead (the cache restarted, or swarm moved it to another node)
// is replaced and the command sent once more.
type redisClient struct {
	addr    string
	timeout time.Duration // per command: dial, write and read
	idle    chan *redisConn
}

type redisConn struct {
	net.Conn
	r *bufio.Reader
}

// redisError is an error reply ("-ERR ..."): the server answered, so the
// connection is still good.
type redisError string

func (e redisError) Error() string { return "redis: " + string(e) }

func newRedisClient(addr string, timeout time.Duration) *redisClient {
	return &redisClient{addr: addr, timeout: timeout, idle: make(chan *redisConn, 8)}
}

// Do sends one command and returns its reply: string, int64, []any, or nil
// for a nil reply (GET of a missing key).
func (c *redisClient) Do(ctx context.Context, args ...string) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("redis: no command given")
	}
	conn, kept, err := c.conn(ctx)
	for {
		if err != nil {
			return nil, fmt.Errorf("redis at %s: %w", c.addr, err)
		}
		var reply any
		if reply, err = conn.do(ctx, c.timeout, args); err == nil {
			c.keep(conn)
			if e, ok := reply.(redisError); ok {
				return nil, e
			}
			return reply, nil
		}
		conn.Close()
		if !kept || ctx.Err() != nil {
			return nil, fmt.Errorf("redis at %s: %s: %w", c.addr, args[0], err)
		}
		// A kept connection was dead, so the others are likely dead too
		// (the cache restarted or moved): drop them and dial once more.
		c.Close()
		conn, err = c.dial(ctx)
		kept = false
	}
}

// conn is a kept connection if there is one (kept is then true), else a new one.
func (c *redisClient) conn(ctx context.Context) (conn *redisConn, kept bool, err error) {
	select {
	case conn := <-c.idle:
		return conn, true, nil
	default:
	}
	conn, err = c.dial(ctx)
	return conn, false, err
}

func (c *redisClient) dial(ctx context.Context) (*redisConn, error) {
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	return &redisConn{Conn: nc, r: bufio.NewReader(nc)}, nil
}

func (c *redisClient) keep(conn *redisConn) {
	select {
	case c.idle <- conn:
	default:
		conn.Close()
	}
}

// Close closes the kept connections.
func (c *redisClient) Close() {
	for {
		select {
		case conn := <-c.idle:
			conn.Close()
		default:
			return
		}
	}
}

func (conn *redisConn) do(ctx context.Context, timeout time.Duration, args []string) (any, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write(b); err != nil {
		return nil, err
	}
	return readReply(conn.r)
}

// maxBulk bounds one bulk string read, so a corrupt length cannot make the
// client allocate without limit (Redis' own bound is 512 MB).
const maxBulk = 64 << 20

// readReply reads one reply. An error reply is returned as a redisError
// value, not an error, so one inside an array does not cut the array short.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("malformed reply line %q", line)
	}
	kind, text := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return text, nil
	case '-':
		return redisError(text), nil
	case ':':
		return strconv.ParseInt(text, 10, 64)
	case '$', '*':
		n, err := strconv.Atoi(text)
		if err != nil || n < -1 || n > maxBulk {
			return nil, fmt.Errorf("malformed length in reply line %q", line)
		}
		if n == -1 {
			return nil, nil
		}
		if kind == '*' {
			out := make([]any, n)
			for i := range out {
				if out[i], err = readReply(r); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if string(buf[n:]) != "\r\n" {
			return nil, errors.New("bulk string not ended by CRLF")
		}
		return string(buf[:n]), nil
	}
	return nil, fmt.Errorf("unknown reply type %q", kind)
}
