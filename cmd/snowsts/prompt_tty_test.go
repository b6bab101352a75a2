//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsts/snowsts/pkg/devicesim/simtest"
)

// exchange is one prompt snowsts prints and what the user types at it.
type exchange struct{ prompt, answer string }

// converse runs command on a real terminal (util-linux `script` gives it a
// pseudo-terminal), types each answer once its prompt has appeared, and
// returns everything the terminal showed and the exit code.
func converse(t *testing.T, env []string, command string, talk []exchange) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "script", "-qfec", command, "/dev/null")
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, x := range talk {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), x.prompt) {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("no prompt %q; the terminal shows:\n%s", x.prompt, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		out.consume(x.prompt)
		if _, err := io.WriteString(stdin, x.answer+"\r"); err != nil {
			t.Fatal(err)
		}
	}
	err = cmd.Wait()
	stdin.Close()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.all(), exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v\n%s", command, err, out.all())
	}
	return out.all(), 0
}

// lockedBuffer collects a terminal's output; consume moves past a prompt so
// that the same prompt text asked again is waited for again.
type lockedBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	seen int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()[l.seen:]
}

func (l *lockedBuffer) consume(prompt string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.seen += strings.Index(s[l.seen:], prompt) + len(prompt)
}

func (l *lockedBuffer) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPromptsOnATerminal types at snowsts's prompts as an operator would: a
// new profile asks for what is missing and never echoes the secret; a bare
// configure shows the current values (the secret masked) and keeps them,
// custom endpoints included, on Enter; assume without --role-arn offers the
// device's roles.
func TestPromptsOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
			t.Fatalf("util-linux script is required with SNOWSTS_INTEGRATION=1: %v", err)
		}
		t.Skipf("skipping: util-linux script is not installed (%v)", err)
	}
	sim := simtest.Start(t, simtest.Options{})
	dir := t.TempDir()
	exe := installSnowsts(t, filepath.Join(dir, "bin"))
	home := filepath.Join(dir, "home")
	config := filepath.Join(home, ".aws", "config")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "USER=tester", "TERM=dumb",
		"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
		"SNOWSTS_CACHE_DIR=" + filepath.Join(home, "cache")}
	key, secret := sim.Banner.AccessKeyID, sim.Banner.SecretAccessKey

	shown, code := converse(t, env, exe+" configure --sts-endpoint "+sim.URL+" --iam-endpoint "+sim.URL, []exchange{
		{"Device IP address or host name: ", "127.0.0.1"},
		{"Access key id: ", key},
		{"Secret access key: ", secret},
	})
	if code != 0 || strings.Contains(shown, secret) {
		t.Fatalf("configure exited %d; the terminal showed:\n%s", code, shown)
	}
	before, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"endpoint_url = " + sim.URL, "endpoint_url = http://127.0.0.1:8080"} {
		if !strings.Contains(string(before), want) {
			t.Fatalf("config lacks %q:\n%s", want, before)
		}
	}

	shown, code = converse(t, env, exe+" configure", []exchange{
		{"Device IP address or host name [127.0.0.1]: ", ""},
		{"Access key id [" + key + "]: ", ""},
		{"Secret access key [****" + secret[len(secret)-4:] + "]: ", ""},
	})
	if code != 0 || strings.Contains(shown, secret) {
		t.Fatalf("bare configure exited %d; the terminal showed:\n%s", code, shown)
	}
	if after, _ := os.ReadFile(config); !bytes.Equal(after, before) {
		t.Fatalf("Enter at every prompt changed the config:\n%s\nwas\n%s", after, before)
	}

	shown, code = converse(t, env, exe+" assume", []exchange{{"Role [1-3]: ", "2"}})
	if code != 0 || !strings.Contains(shown, "2) arn:aws:iam::123456789012:role/operator") || !strings.Contains(shown, `Profile "snow-operator" expires`) {
		t.Fatalf("assume with a picked role exited %d; the terminal showed:\n%s", code, shown)
	}
}
