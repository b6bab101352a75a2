package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// scriptCondition adds the condition [peer:PROGRAM] (or
// [peer:python3/MODULE]) to the scripts: true when the real peer is
// installed. A missing peer makes the condition an error under
// SNOWSTS_INTEGRATION=1, where every peer is required, so that
//
//	[!peer:aws] skip 'the AWS CLI is not installed'
//
// skips visibly on a bare machine and fails in CI.
func scriptCondition(cond string) (bool, error) {
	peer, ok := strings.CutPrefix(cond, "peer:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	prog, module, _ := strings.Cut(peer, "/")
	missing := ""
	if _, err := exec.LookPath(prog); err != nil {
		missing = prog + " is not installed"
	} else if module != "" {
		if err := exec.Command(prog, "-c", "import "+module).Run(); err != nil {
			missing = prog + " cannot import " + module
		}
	}
	if missing == "" {
		return true, nil
	}
	if os.Getenv("SNOWSTS_INTEGRATION") == "1" {
		return false, fmt.Errorf("%s, and SNOWSTS_INTEGRATION=1 requires it", missing)
	}
	return false, nil
}
