package session

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment of the helper process of TestSingleFlightAcrossProcesses.
const (
	helperEnv        = "SNOWSTS_SESSION_TEST_HELPER"
	helperDirEnv     = "SNOWSTS_SESSION_TEST_DIR"
	helperCounterEnv = "SNOWSTS_SESSION_TEST_COUNTER"
	helperGoEnv      = "SNOWSTS_SESSION_TEST_GO"
)

// TestHelperProcess is not a test: it is one credential-process-like child of
// TestSingleFlightAcrossProcesses. It waits for the start signal, then asks the shared
// cache for the session; its fetch appends a line to the counter file and takes a while,
// like an AssumeRole call to a slow device.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestSingleFlightAcrossProcesses")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(os.Getenv(helperGoEnv)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Println("result error no start signal")
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	c := New(os.Getenv(helperDirEnv))
	k := testKey()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e, cached, err := c.GetOrFetch(ctx, k, 15*time.Minute, func(context.Context) (*Entry, error) {
		f, err := os.OpenFile(os.Getenv(helperCounterEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(f, "fetch by %d\n", os.Getpid())
		f.Close()
		time.Sleep(300 * time.Millisecond)
		return testEntry(fmt.Sprintf("ASIAPID%013d", os.Getpid()), time.Now().Add(time.Hour)), nil
	})
	if err != nil {
		fmt.Printf("result error %v\n", err)
		return
	}
	fmt.Printf("result id=%s akid=%s cached=%v\n", k.ID(), e.Credentials.AccessKeyID, cached)
}

func TestSingleFlightAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 32 processes")
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "cache")
	counter := filepath.Join(tmp, "fetches")
	goFile := filepath.Join(tmp, "go")
	const n = 32
	cmds := make([]*exec.Cmd, n)
	outs := make([]strings.Builder, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperDirEnv+"="+dir,
			helperCounterEnv+"="+counter, helperGoEnv+"="+goFile)
		cmd.Stdout = &outs[i]
		cmd.Stderr = &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	// All children are started; let them loose at once.
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, cmd := range cmds {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = cmd.Wait() }()
	}
	wg.Wait()

	var results []string
	fetchedBy := 0
	for i := range cmds {
		if errs[i] != nil {
			t.Errorf("child %d: %v\n%s", i, errs[i], outs[i].String())
			continue
		}
		var result string
		sc := bufio.NewScanner(strings.NewReader(outs[i].String()))
		for sc.Scan() {
			if r, ok := strings.CutPrefix(sc.Text(), "result "); ok {
				result = r
			}
		}
		if result == "" || strings.HasPrefix(result, "error") {
			t.Errorf("child %d: no result:\n%s", i, outs[i].String())
			continue
		}
		r, cached := strings.CutSuffix(result, " cached=true")
		if !cached {
			fetchedBy++
			r, _ = strings.CutSuffix(result, " cached=false")
		}
		results = append(results, r)
	}
	for i, r := range results {
		if r != results[0] {
			t.Errorf("child result %d = %q, child 0 = %q", i, r, results[0])
		}
	}
	lines, err := os.ReadFile(counter)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(lines), "\n"); got != 1 {
		t.Errorf("%d fetches across %d processes, want 1:\n%s", got, n, lines)
	}
	if fetchedBy != 1 {
		t.Errorf("%d children report cached=false, want 1", fetchedBy)
	}
	if want := "id=" + testKey().ID() + " "; len(results) > 0 && !strings.HasPrefix(results[0], want) {
		t.Errorf("result %q, want key id %s", results[0], want)
	}
}
