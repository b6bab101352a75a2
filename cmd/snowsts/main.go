// Command snowsts gets temporary credentials from an AWS Snowball Edge device's
// local STS and hands them to the shell, the AWS shared files and credential_process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], systemStreams(), os.Getenv)
	stop()
	os.Exit(code)
}
