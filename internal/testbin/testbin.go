// Package testbin builds the real snowsts binary once for a test package that
// runs it as a user would (interop, reliability): the build and the search for
// the module root are the same everywhere, so they live here.
package testbin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Main builds ./cmd/snowsts into a temporary directory, stores its path in
// *bin, runs the package's tests and removes the directory. It returns the
// exit code for os.Exit; a failed build is reported on stderr under name.
func Main(m *testing.M, name string, bin *string) int {
	dir, err := os.MkdirTemp("", "snowsts-"+name+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := ModuleRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: find the module root: %v\n", name, err)
		return 1
	}
	*bin = filepath.Join(dir, "snowsts")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", *bin, "./cmd/snowsts")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: go build ./cmd/snowsts: %v\n%s", name, err, out)
		return 1
	}
	return m.Run()
}

// ModuleRoot is the directory of the go.mod the tests belong to.
func ModuleRoot() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return filepath.Abs("..")
	}
	return filepath.Dir(gomod), nil
}

// Result is what one finished process left behind.
type Result struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.Code, r.Took.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// Run runs cmd, which must not have been started and whose output is not
// yet redirected, and returns what it left behind; the test fails when the
// command cannot start or is still running when ctx ends.
func Run(ctx context.Context, t testing.TB, cmd *exec.Cmd) Result {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: o.String(), Stderr: e.String(), Took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: still running after %v\n%s", strings.Join(cmd.Args, " "), r.Took.Round(time.Millisecond), r)
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return r
}
