//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExecCtrlCOnATerminal presses Ctrl-C on a real terminal while `snowsts
// exec` runs a command in the foreground. The terminal sends SIGINT to the
// whole foreground process group, so the command has it already: snowsts must
// not send it a second one (a second Ctrl-C means "quit now" to tools such as
// Terraform), and must outlive the command and exit with its status. strace
// shows every signal snowsts sends.
func TestExecCtrlCOnATerminal(t *testing.T) {
	for _, tool := range []string{"script", "strace"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
				t.Fatalf("%s is required with SNOWSTS_INTEGRATION=1: %v", tool, err)
			}
			t.Skipf("skipping: %s is not installed (%v)", tool, err)
		}
	}
	env := append(execHome(t), "TERM=dumb")
	dir := t.TempDir()
	exe := installSnowsts(t, filepath.Join(dir, "bin"))
	trace := filepath.Join(dir, "signals.trace")
	// The command counts the SIGINTs it gets, waits a little for another, and
	// exits 7.
	child := `n=0; trap "n=\$((n+1))" INT; echo ready; while [ $n -eq 0 ]; do sleep 0.05; done; sleep 0.5; echo "ints=$n"; exit 7`
	// script runs its command through sh -c; exec leaves snowsts (under strace,
	// which blocks the signal for itself) alone in the foreground, as when an
	// operator types the command at a prompt.
	command := "exec strace -f -qq -I never -e trace=kill,tgkill,pidfd_send_signal -o " + trace + " " +
		exe + " exec --target-profile ops -- sh -c '" + child + "'"
	shown, code := converse(t, env, command, []exchange{{"ready", "\x03"}})
	if code != 7 {
		t.Fatalf("snowsts exited %d, want the command's 7; the terminal showed:\n%s", code, shown)
	}
	if !strings.Contains(shown, "ints=1") || strings.Contains(shown, "snowsts:") {
		t.Fatalf("the command did not get exactly one SIGINT, or snowsts complained; the terminal showed:\n%s", shown)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if sent := regexp.MustCompile(`(?m)^.*(kill|pidfd_send_signal)\(.*SIGINT.*$`).Find(b); sent != nil {
		t.Fatalf("a second SIGINT was sent: %s", sent)
	}
}
