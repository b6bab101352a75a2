//go:build linux

package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitForOpenFile waits until process pid has a file open whose path contains
// part, polling /proc/PID/fd, and reports whether it saw one before timeout or
// the process's end.
func waitForOpenFile(pid int, part string, timeout time.Duration) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		des, err := os.ReadDir(dir)
		if err != nil {
			return false // gone
		}
		for _, de := range des {
			if l, err := os.Readlink(filepath.Join(dir, de.Name())); err == nil && strings.Contains(l, part) {
				return true
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return false
}

// bigForeign is a hand-written credentials file of n profiles, about 100 bytes
// each (30,000 make some 3 MB).
func bigForeign(n int) string {
	var b strings.Builder
	b.WriteString("# a large hand-written file\n")
	for i := range n {
		fmt.Fprintf(&b, "[f%05d]\naws_access_key_id = AKIAF%015d\naws_secret_access_key = secret/%033d\n\n", i, i, i)
	}
	return b.String()
}

// TestKillDuringWrites starts snowsts assume processes on a large credentials
// file (30,000 hand-written profiles, about 3 MB) and SIGKILLs them at random
// moments, three at a time, for 8 rounds (40 with SNOWSTS_HEAVY=1). After
// every round the file is whole: it parses with ini.v1, every hand-written line
// is there in order, and every section snowsts wrote is complete; at the end
// the AWS SDK loads the files, the temp files left behind are named as such,
// and snowsts still works (no lock is left held).
func TestKillDuringWrites(t *testing.T) {
	rounds, perRound := pick(8, 40), 3
	d := startSim(t, false)
	s := newSandbox(t)
	s.configure(t, d)
	appendFile(t, s.creds, "\n"+bigForeign(30000))
	base, err := os.ReadFile(s.creds)
	if err != nil {
		t.Fatal(err)
	}
	foreign := string(base)

	// How long one write takes, to kill within it.
	one := s.snowsts(t, 0, "assume", "--role-arn", d.role, "--target-profile", "timing")
	window := 2 * one.Took
	t.Logf("one assume on a %d-byte file takes %v; killing within %v", len(base), one.Took.Round(time.Millisecond), window.Round(time.Millisecond))

	var killed, killedInWrite, finished int
	var mu sync.Mutex
	start := time.Now()
	for round := range rounds {
		var wg sync.WaitGroup
		for p := range perRound {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				c, _, e := s.command(ctx, "", snowstsBin, "assume", "--role-arn", d.roles[p%len(d.roles)],
					"--duration-seconds", "900", "--target-profile", fmt.Sprintf("k%d", round*perRound+p))
				if err := c.Start(); err != nil {
					t.Error(err)
					return
				}
				inWrite := false
				if p == 0 {
					// The first of each round dies the moment it has its temp file
					// open: in the middle of writing the new file.
					inWrite = waitForOpenFile(c.Process.Pid, ".credentials.tmp-", 30*time.Second)
				} else {
					time.Sleep(time.Duration(rand.Int64N(int64(window))))
				}
				_ = c.Process.Signal(syscall.SIGKILL)
				err := c.Wait()
				mu.Lock()
				defer mu.Unlock()
				if ws, ok := c.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					killed++
					if inWrite {
						killedInWrite++
					}
				} else if err == nil {
					finished++
				} else {
					t.Errorf("assume k%d failed before its kill: %v\n%s", round*perRound+p, err, e)
				}
			}()
		}
		wg.Wait()
		data, err := os.ReadFile(s.creds)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := checkCredsFile(data, foreign); err != nil {
			t.Fatalf("after round %d: %v", round, err)
		}
	}
	took := time.Since(start)

	for _, p := range []string{"f00000", "f29999", "timing"} {
		if err := sdkLoads(s, p); err != nil {
			t.Error(err)
		}
	}
	var stray []string
	for _, dir := range []string{s.awsDir, s.cache} {
		for _, name := range strayFiles(t, dir, "config", "credentials", "config.lock", "credentials.lock", "current.json") {
			if strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".lock") {
				continue // the session cache's entries and locks
			}
			stray = append(stray, filepath.Join(filepath.Base(dir), name))
			if !strings.HasPrefix(name, ".config.tmp-") && !strings.HasPrefix(name, ".credentials.tmp-") && !strings.HasSuffix(name, ".tmp") {
				t.Errorf("left behind %s, not named as a temp file", name)
			}
		}
	}
	// Nothing is stuck: a lock held by a killed process is free again.
	s.snowsts(t, 0, "--timeout", "20s", "assume", "--role-arn", d.role, "--target-profile", "after")
	s.snowsts(t, 0, "status")
	if err := sdkLoads(s, "after"); err != nil {
		t.Error(err)
	}
	t.Logf("%d rounds of %d processes in %v: %d killed (%d with the temp file open), %d finished before the kill; temp files left: %d %v",
		rounds, perRound, took.Round(time.Millisecond), killed, killedInWrite, finished, len(stray), stray)
	if killedInWrite == 0 {
		t.Error("no process was killed in the middle of a write")
	}
}
