package main

import (
	"bytes"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// docsRoot builds the command tree as a user with an empty environment sees
// it, so that no default taken from the environment ends up in the docs.
func docsRoot(out *bytes.Buffer) *cobra.Command {
	f := &factory{
		io:      &streams{In: strings.NewReader(""), Out: out, ErrOut: out, inFd: -1},
		getenv:  func(string) string { return "" },
		now:     func() time.Time { return time.Time{} },
		version: "dev",
	}
	root := newRootCmd(f)
	var mark func(c *cobra.Command)
	mark = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, s := range c.Commands() {
			mark(s)
		}
	}
	mark(root)
	return root
}
