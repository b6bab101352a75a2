//go:build linux

package reliability

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentWriters starts 40 snowsts processes (160 with SNOWSTS_HEAVY=1),
// each `snowsts assume --target-profile pN` against one simulated device, all
// writing one credentials file and one config file, while a reader in the test
// reads and parses the credentials file without pause. Every read is a whole
// file: it parses with ini.v1, every hand-written line is there in order, every
// managed section is complete, and no section seen once is missing later. At
// the end every pN is in both files and the AWS SDK loads each.
func TestConcurrentWriters(t *testing.T) {
	writers := pick(40, 160)
	d := startSim(t, false)
	s := newSandbox(t)
	s.configure(t, d)
	appendFile(t, s.creds, "\n"+foreignCreds)
	appendFile(t, s.config, "\n"+foreignConfig)
	base, err := os.ReadFile(s.creds)
	if err != nil {
		t.Fatal(err)
	}
	foreign := string(base)
	cfgBase, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reads, cfgReads atomic.Int64
	readErr := make(chan error, 2)
	var readers sync.WaitGroup
	readers.Add(1)
	go func() { // the credentials file, parsed without pause
		defer readers.Done()
		seen := map[string]bool{}
		for ctx.Err() == nil {
			data, err := os.ReadFile(s.creds)
			if err != nil {
				readErr <- fmt.Errorf("read %d: %w", reads.Load(), err)
				return
			}
			got, err := checkCredsFile(data, foreign)
			if err != nil {
				readErr <- fmt.Errorf("read %d: %w", reads.Load(), err)
				return
			}
			for name := range seen {
				if !got[name] {
					readErr <- fmt.Errorf("read %d: section [%s] seen before is gone", reads.Load(), name)
					return
				}
			}
			seen = got
			reads.Add(1)
		}
	}()
	readers.Add(1)
	go func() { // the config file: the hand-written lines stay
		defer readers.Done()
		for ctx.Err() == nil {
			data, err := os.ReadFile(s.config)
			if err == nil {
				err = linesInOrder(string(data), string(cfgBase))
			}
			if err != nil {
				readErr <- fmt.Errorf("config read %d: %w", cfgReads.Load(), err)
				return
			}
			cfgReads.Add(1)
			time.Sleep(time.Millisecond)
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	results := make([]result, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, o, e := s.command(ctx, "", snowstsBin, "--timeout", "60s", "assume",
				"--role-arn", d.roles[i%len(d.roles)], "--duration-seconds", "900", "--target-profile", fmt.Sprintf("p%d", i))
			err := c.Run()
			results[i] = result{Stdout: o.String(), Stderr: e.String(), Code: c.ProcessState.ExitCode()}
			if err != nil && results[i].Code == 0 {
				results[i].Code = -1
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	cancel()
	readers.Wait()
	close(readErr)
	for err := range readErr {
		t.Error(err)
	}
	for i, r := range results {
		if r.Code != 0 {
			t.Errorf("writer p%d: %s", i, r)
		}
	}
	data, err := os.ReadFile(s.creds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkCredsFile(data, foreign)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	for i := range writers {
		name := fmt.Sprintf("p%d", i)
		if !got[name] {
			t.Errorf("section [%s] lost from the credentials file", name)
		}
		if !strings.Contains(string(cfg), "\n[profile "+name+"]\n") {
			t.Errorf("section [profile %s] lost from the config file", name)
		}
		if err := sdkLoads(s, name); err != nil {
			t.Error(err)
		}
	}
	if stray := strayFiles(t, s.awsDir, "config", "credentials", "config.lock", "credentials.lock"); len(stray) > 0 {
		t.Errorf("files left in .aws: %v", stray)
	}
	t.Logf("%d writers in %v; %d whole reads of the credentials file (%d bytes at the end), %d of the config; %d AssumeRole calls",
		writers, took.Round(time.Millisecond), reads.Load(), len(data), cfgReads.Load(), d.dev.Calls("AssumeRole"))
	if reads.Load() < 10 {
		t.Errorf("only %d reads while the writers ran", reads.Load())
	}
}
