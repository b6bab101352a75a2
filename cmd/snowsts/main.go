// Command snowsts gets temporary credentials from an AWS Snowball Edge device's
// local STS and hands them to the shell, the AWS shared files and credential_process.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version, commit and date are stamped at build time, e.g. with
// -ldflags "-X main.version=1.2.3 -X main.commit=abc1234 -X main.date=2026-12-04T16:05:00Z".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// versionLine is what `snowsts version` prints after "snowsts ": the version,
// then the commit and build date when the build recorded them.
func versionLine(version, commit, date string) string {
	var extra []string
	if commit != "" {
		extra = append(extra, "commit "+commit)
	}
	if date != "" {
		extra = append(extra, "built "+date)
	}
	if len(extra) == 0 {
		return version
	}
	return version + " (" + strings.Join(extra, ", ") + ")"
}

func main() {
	io := systemStreams()
	if code, done := warmCredentialProcess(os.Args[1:], io, os.Getenv); done {
		os.Exit(code) // a cached session, served before anything else is set up
	}
	// A run lives milliseconds and keeps most of what it allocates (the AWS
	// files it read and the ones it writes): collecting at the default 100%
	// only repeats work. 400% halves an assume into 3 MB files' GC cycles
	// and lowers its peak RSS (docs/PERFORMANCE.md). $GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], io, os.Getenv)
	stop()
	os.Exit(code)
}
