package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// warmCredentialProcess is the hot path of `snowsts credential-process`, which
// the AWS CLI, the SDKs and Terraform run again and again: it serves a cached
// session before main sets up signal handling or cobra builds a command, the
// two largest costs left in a run that never touches the network.
//
// It answers only when it can answer exactly as the command would: the command
// line parses with the command's own flags (the same definitions, through
// pflag, which is what cobra parses with), it holds no positional argument and
// no --debug, -h or --help (pflag refuses flags it was not given, such as
// --version), it passes the command's own checks, and the cache holds a session
// with more than --min-remaining left. Then it prints what the command would
// print and reports done. Otherwise it has written nothing and reports not
// done, and main runs the command as usual, which reads the cache again and
// reports every error itself (TestWarmPathAgreesWithTheCommand).
func warmCredentialProcess(args []string, s *streams, getenv func(string) string) (code int, done bool) {
	if len(args) == 0 || args[0] != "credential-process" {
		return 0, false
	}
	f := newFactory(s, getenv)
	o := &credentialProcessOptions{f: f, io: s}
	fl := pflag.NewFlagSet("credential-process", pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.Usage = func() {}
	f.addGlobalFlags(fl)
	o.addFlags(fl)
	if fl.Parse(args[1:]) != nil || fl.NArg() > 0 || f.debug || f.checkGlobalFlags() != nil {
		return 0, false
	}
	_, _, sess, err := o.fromCache()
	if err != nil || sess == nil {
		return 0, false
	}
	if err := o.write(sess); err != nil {
		printError(s.ErrOut, err)
		return exitcode.Of(err), true
	}
	return exitcode.OK, true
}
