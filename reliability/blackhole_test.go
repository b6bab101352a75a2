//go:build linux

package reliability

import (
	"net"
	"sync"
	"testing"

	"github.com/snowsts/snowsts/internal/blackhole"
)

// blackholePort is a loopback port that silently drops connects (see
// internal/blackhole), closed when the test ends.
func blackholePort(t testing.TB) string {
	t.Helper()
	port, closeFn, err := blackhole.Listen()
	if err != nil {
		t.Fatalf("black-holed port: %v", err)
	}
	t.Cleanup(closeFn)
	return port
}

// silentPort is a loopback port that accepts connections and never answers
// (nor closes them until the test ends): a device whose service hangs.
func silentPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// closedPort is a loopback port nothing listens on: connects are refused.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}
