// Package bench holds the benchmark suite (run.sh, the floor and the file
// generator). The suite takes minutes and is not run in CI; this test only
// checks that the script parses.
package bench

import (
	"os/exec"
	"testing"
)

func TestRunScriptParses(t *testing.T) {
	for _, sh := range []string{"sh", "bash", "dash"} {
		t.Run(sh, func(t *testing.T) {
			if _, err := exec.LookPath(sh); err != nil {
				t.Skipf("%s not installed", sh)
			}
			out, err := exec.Command(sh, "-n", "run.sh").CombinedOutput()
			if err != nil {
				t.Fatalf("%s -n run.sh: %v\n%s", sh, err, out)
			}
		})
	}
}
