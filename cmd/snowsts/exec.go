package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/shellenv"
)

// execEnvVar marks the environment of a command run by `snowsts exec`, so
// that a nested exec can refuse.
const execEnvVar = "SNOWSTS_EXEC"

// Exit codes of exec when the command cannot run, as POSIX shells use them.
const (
	exitCannotRun = 126 // found but not executable
	exitNotFound  = 127 // not found
)

type execOptions struct {
	f      *factory
	io     *streams
	source sourceFlags
	argv   []string
	// environ is the environment the command inherits (os.Environ).
	environ func() []string
}

func newExecCmd(f *factory, runF func(context.Context, *execOptions) error) *cobra.Command {
	o := &execOptions{f: f, io: f.io, environ: os.Environ}
	cmd := &cobra.Command{
		Use:   "exec [flags] -- CMD [ARGS...]",
		Short: "Run a command with the session's credentials in its environment",
		Long: `Run CMD with the variables of "snowsts env" (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION=snow, the device's
AWS_ENDPOINT_URL_* and AWS_CA_BUNDLE) added to the current environment.
AWS_PROFILE and AWS_DEFAULT_PROFILE are removed so that the variables win.
Credentials come from the same sources as for env: the assume flags,
--target-profile T, or the current session.

CMD also gets SNOWSTS_EXEC (the profile or role it runs as); snowsts exec
refuses to run inside another (exit 2), since the inner credentials would
silently replace the outer ones.

CMD's exit code is snowsts's; a CMD killed by a signal gives 128+signal. CMD
not found exits 127, found but not executable 126. SIGTERM and SIGHUP sent to
snowsts are passed on to CMD, and so are SIGINT and SIGQUIT unless snowsts runs
in the terminal's foreground, where the terminal already sent them to CMD
(passing them on would deliver Ctrl-C twice). The credentials are not renewed
while CMD runs: for long jobs use a credential_process profile instead.`,
		Example: `  snowsts exec -- aws s3 ls
  snowsts exec --target-profile snow-admin -- terraform apply
  snowsts exec --role-arn arn:aws:iam::123456789012:role/admin -- sh -c 'aws s3 ls'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitcode.New(exitcode.Usage, errors.New("missing the command to run"), "usage: snowsts exec [flags] -- CMD [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.source.capture(cmd)
			o.argv = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runExec(cmd.Context(), o)
		},
	}
	// Everything after CMD is CMD's, with or without "--".
	cmd.Flags().SetInterspersed(false)
	o.source.add(cmd, true)
	return cmd
}

func runExec(ctx context.Context, o *execOptions) error {
	if v := o.f.getenv(execEnvVar); v != "" {
		return exitcode.New(exitcode.Usage, fmt.Errorf("already inside `snowsts exec` (%s=%s); refusing to nest", execEnvVar, cell(v)),
			"exit the outer command first (or unset "+execEnvVar+" if you mean to replace its credentials)")
	}
	s, err := o.source.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	env := execEnv(o.environ(), sessionVars(s), execMarker(o, s))
	path, err := lookPath(o.argv[0], envValue(env, "PATH"))
	if err != nil {
		return err
	}
	o.f.log().Debug("exec", "path", path, "role", s.Role.RoleARN, "source", s.Source,
		"expires", s.Credentials.Expiration.UTC().Format("2006-01-02T15:04:05Z"))
	return runChild(ctx, path, o.argv, env, o.io)
}

// execMarker is SNOWSTS_EXEC's value: the target profile, else the role ARN
// asked for, else the current session's profile.
func execMarker(o *execOptions, s *broker.Session) string {
	switch {
	case o.source.target != "":
		return o.source.target
	case o.source.roleGiven:
		return s.Role.RoleARN
	}
	if c, err := o.f.cache(); err == nil {
		if cur, err := c.Current(); err == nil {
			return cur.TargetProfile
		}
	}
	return s.Role.RoleARN
}

// execEnv is base without the variables exec sets or that would override
// them (every variable of `env --unset`, AWS_PROFILE, AWS_DEFAULT_PROFILE,
// the legacy AWS_SECURITY_TOKEN, SNOWSTS_EXEC), plus vars and the marker.
func execEnv(base []string, vars []shellenv.Var, marker string) []string {
	drop := map[string]bool{"AWS_PROFILE": true, "AWS_DEFAULT_PROFILE": true, "AWS_SECURITY_TOKEN": true, execEnvVar: true}
	for _, n := range shellenv.Names() {
		drop[n] = true
	}
	for _, v := range vars {
		drop[v.Name] = true
	}
	out := make([]string, 0, len(base)+len(vars)+1)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if name == "" || drop[name] {
			continue
		}
		out = append(out, kv)
	}
	for _, v := range vars {
		out = append(out, v.Name+"="+v.Value)
	}
	return append(out, execEnvVar+"="+marker)
}

// envValue returns the last value of name in env.
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// lookPath finds file the way a shell does, in the directories of pathList
// (the command's PATH, not snowsts's), using exec.LookPath on each candidate.
// A name with a separator is taken as a path. Relative PATH entries are
// skipped, as exec.LookPath refuses them (ErrDot). Not found is exit 127;
// found only as files that cannot be executed, 126.
func lookPath(file, pathList string) (string, error) {
	notFound := exitcode.New(exitNotFound, fmt.Errorf("%s: command not found", cell(file)),
		"check the name, or give the command's path")
	if file == "" {
		return "", notFound
	}
	if strings.ContainsRune(file, '/') || strings.ContainsRune(file, filepath.Separator) {
		p, err := exec.LookPath(file)
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, fs.ErrNotExist):
			return "", notFound
		default:
			return "", cannotRun(file, err)
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue
		}
		cand := filepath.Join(dir, file)
		p, err := exec.LookPath(cand)
		if err == nil {
			return p, nil
		}
		if fi, serr := os.Stat(cand); serr == nil && fi.Mode().IsRegular() && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", cannotRun(file, denied)
	}
	return "", notFound
}

func cannotRun(file string, err error) error {
	return exitcode.New(exitCannotRun, fmt.Errorf("cannot run %s: %w", cell(file), err),
		"check that the file is an executable program (chmod +x)")
}

// childExit is the exit status of the command exec ran. run() exits with it
// and prints nothing: the command has spoken for itself.
type childExit struct{ code int }

func (e *childExit) Error() string { return fmt.Sprintf("command exited with status %d", e.code) }

// forwarded are the signals snowsts passes on to the command.
var forwarded = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runChild runs path with argv and env on the streams, passes signals on, and
// returns its exit status. Cancelling ctx does not stop the command (the
// signal that cancels it is passed on instead); ctx only stops a start that
// has not happened yet.
func runChild(ctx context.Context, path string, argv, env []string, io *streams) error {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := ctx.Err(); err != nil {
		return err
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Stdin: io.In, Stdout: io.Out, Stderr: io.ErrOut}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// e.g. a script whose interpreter is missing
			return exitcode.New(exitNotFound, fmt.Errorf("run %s: %w", cell(argv[0]), err), "check the command's #! line")
		}
		return cannotRun(argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if passOn(sig) {
				_ = cmd.Process.Signal(sig)
			}
		case err := <-done:
			return childStatus(argv[0], err)
		}
	}
}

// passOn reports whether sig should be sent to the command: a SIGINT or
// SIGQUIT that the terminal sent to its whole foreground process group has
// reached the command already.
func passOn(sig os.Signal) bool {
	if sig == os.Interrupt || sig == syscall.SIGQUIT {
		return !inForeground()
	}
	return true
}

// childStatus turns the result of Wait into snowsts's result.
func childStatus(name string, err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("run %s: %w", cell(name), err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &childExit{code: 128 + int(ws.Signal())}
	}
	return &childExit{code: ee.ExitCode()}
}

// cell makes a value safe for one table cell or message: "-" for empty, and control
// characters (a tab would shift the columns) replaced.
func cell(v string) string {
	if v == "" {
		return "-"
	}
	b := []rune(v)
	for i, r := range b {
		if r < ' ' || r == 0x7f {
			b[i] = '?'
		}
	}
	return string(b)
}
