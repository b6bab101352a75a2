package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snowsts/snowsts/internal/blackhole"
)

// cmdBlackhole exports BLACKHOLE_PORT, a loopback port that never answers a
// connect: see internal/blackhole. The test never sends a packet off the
// machine.
func cmdBlackhole(ts *testscript.TestScript, neg bool, args []string) {
	port, closeFn, err := blackhole.Listen()
	if err != nil {
		ts.Fatalf("blackhole: %v", err)
	}
	ts.Defer(closeFn)
	ts.Setenv("BLACKHOLE_PORT", port)
}

// cmdNeedStrace fails the script when strace is missing and
// SNOWSTS_INTEGRATION=1 (CI installs strace); elsewhere the script follows it
// with `[!exec:strace] skip 'reason'`.
func cmdNeedStrace(ts *testscript.TestScript, neg bool, args []string) {
	if _, err := exec.LookPath("strace"); err != nil && os.Getenv("SNOWSTS_INTEGRATION") == "1" {
		ts.Fatalf("strace is not installed and SNOWSTS_INTEGRATION=1")
	}
}

var (
	familyRE = regexp.MustCompile(`connect\(\d+, \{sa_family=(AF_[A-Z0-9]+)`)
	portRE   = regexp.MustCompile(`sin6?_port=htons\((\d+)\)`)
	addrRE   = regexp.MustCompile(`inet_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"`)
	pathRE   = regexp.MustCompile(`sun_path=(@?"[^"]*")`)
)

// cmdConnectsOnly checks an `strace -f -e trace=connect` log: every inet
// connect goes to one of the allowed HOST:PORT, no unix socket is opened
// (a name service), and there is at least one connect.
//
//	connectsonly trace.txt 127.0.0.1:$SIM_PORT
func cmdConnectsOnly(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: connectsonly TRACEFILE HOST:PORT...")
	}
	n, err := checkConnects(ts.ReadFile(args[0]), args[1:])
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	ts.Logf("%d connects, all to %v", n, args[1:])
}

// checkConnects is cmdConnectsOnly's test, on the trace's text.
func checkConnects(trace string, allowedAddrs []string) (int, error) {
	allowed := map[string]bool{}
	for _, a := range allowedAddrs {
		allowed[a] = true
	}
	seen := 0
	for _, line := range strings.Split(trace, "\n") {
		m := familyRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[1] {
		case "AF_INET", "AF_INET6":
			port, host := portRE.FindStringSubmatch(line), addrRE.FindStringSubmatch(line)
			if port == nil || host == nil {
				return seen, fmt.Errorf("cannot read the address of: %s", line)
			}
			if addr := net.JoinHostPort(host[1], port[1]); !allowed[addr] {
				return seen, fmt.Errorf("snowsts connected to %s, which is not the device: %s", addr, line)
			}
			seen++
		case "AF_UNIX":
			return seen, fmt.Errorf("snowsts connected to a unix socket %v (a name service?): %s", pathRE.FindStringSubmatch(line), line)
		}
	}
	if seen == 0 {
		return 0, errors.New("no connect to the device: is the trace empty?")
	}
	return seen, nil
}
