package main

import (
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdBlackhole exports BLACKHOLE_PORT, a loopback port that never answers a
// connect: see blackholeListener. The test never sends a packet off the
// machine.
func cmdBlackhole(ts *testscript.TestScript, neg bool, args []string) {
	port, closeFn, err := blackholeListener()
	if err != nil {
		ts.Fatalf("blackhole: %v", err)
	}
	ts.Defer(closeFn)
	ts.Setenv("BLACKHOLE_PORT", port)
}

// fillBacklog connects to addr until a connect times out: the listener's
// accept queue is then full and the kernel drops every further SYN.
func fillBacklog(addr string) ([]net.Conn, error) {
	var held []net.Conn
	for i := 0; i < 16; i++ {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			return held, nil
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Close()
	}
	return nil, errNotBlackholed
}

// cmdNeedStrace fails the script when strace is missing and
// SNOWSTS_INTEGRATION=1 (CI installs strace); elsewhere the script follows it
// with `[!exec:strace] skip 'reason'`.
func cmdNeedStrace(ts *testscript.TestScript, neg bool, args []string) {
	if _, err := exec.LookPath("strace"); err != nil && os.Getenv("SNOWSTS_INTEGRATION") == "1" {
		ts.Fatalf("strace is not installed and SNOWSTS_INTEGRATION=1")
	}
}

var connectRE = regexp.MustCompile(`connect\(\d+, \{sa_family=(AF_INET6?|AF_UNIX|AF_NETLINK)[^}]*?(?:sin6?_port=htons\((\d+)\))?[^}]*?(?:inet_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"|sun_path="([^"]*)")?`)

// cmdConnectsOnly checks an `strace -f -e trace=connect` log: every inet
// connect goes to one of the allowed HOST:PORT, and there is at least one.
//
//	connectsonly trace.txt 127.0.0.1:$SIM_PORT
func cmdConnectsOnly(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: connectsonly TRACEFILE HOST:PORT...")
	}
	allowed := map[string]bool{}
	for _, a := range args[1:] {
		allowed[a] = true
	}
	seen := 0
	for _, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		if !strings.Contains(line, "connect(") || strings.Contains(line, "resumed") && !strings.Contains(line, "sa_family") {
			continue
		}
		m := connectRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[1] {
		case "AF_INET", "AF_INET6":
			addr := net.JoinHostPort(m[3], m[2])
			if !allowed[addr] {
				ts.Fatalf("snowsts connected to %s, which is not the device: %s", addr, line)
			}
			seen++
		case "AF_UNIX":
			ts.Fatalf("snowsts connected to a unix socket %q (a name service?): %s", m[4], line)
		}
	}
	if seen == 0 {
		ts.Fatalf("no connect to the device in %s: is the trace empty?", args[0])
	}
	ts.Logf("%d connects, all to %v", seen, args[1:])
}
