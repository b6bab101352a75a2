package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/snowsts/snowsts/pkg/exitcode"
)

// factory carries what every command needs: the streams, the environment, the
// clock and the global flags. Commands take what they need from it.
type factory struct {
	io      *streams
	getenv  func(string) string
	now     func() time.Time
	version string

	// global flags
	profile string
	debug   bool
	timeout time.Duration

	logger *slog.Logger
}

// home returns the user's home directory from $HOME (or the OS's idea of it).
func (f *factory) home() string {
	if h := f.getenv("HOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

// log returns the debug logger; it discards everything without --debug.
func (f *factory) log() *slog.Logger {
	if f.logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return f.logger
}

// executable is the absolute path of the running snowsts binary.
func (f *factory) executable() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return filepath.Abs(p)
}

func newRootCmd(f *factory) *cobra.Command {
	root := newBareRoot(f)
	// One line a command; each lives in its own file.
	root.AddCommand(
		newVersionCmd(f),
		newConfigureCmd(f, nil),
		newAssumeCmd(f, nil),
		newEnvCmd(f, nil),
		newDemoCmd(f, nil),
		newSimulateCmd(f, nil),
		newCredentialProcessCmd(f, nil),
		newExecCmd(f, nil),
		newStatusCmd(f, nil),
		newClearCmd(f, nil),
		newRolesCmd(f, nil),
		newDoctorCmd(f, nil),
		newCompletionCmd(f),
	)
	root.AddCommand(extraCommands(f)...)
	registerCompletions(f, root) // --target-profile and --role-arn, on every command that has them
	return root
}

// newRootFor builds the tree a command line needs. credential-process, which
// the AWS CLI and SDKs run again and again, gets a root with only itself: the
// other commands' flags and help need not be built on its hot path.
func newRootFor(f *factory, args []string) *cobra.Command {
	if len(args) > 0 && args[0] == "credential-process" {
		root := newBareRoot(f)
		root.AddCommand(newCredentialProcessCmd(f, nil))
		return root
	}
	return newRootCmd(f)
}

// newBareRoot is the root command with its global flags and no subcommands.
func newBareRoot(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "snowsts",
		Short: "Temporary credentials from an AWS Snowball Edge device's local STS",
		Long: `snowsts points every AWS tool at a Snowball Edge device and gets temporary
credentials from the device's local STS (AssumeRole, region "snow").

  snowsts configure            write the device profile (endpoints, keys, certificate)
  snowsts assume --role-arn …  assume a role into ~/.aws/credentials
  eval "$(snowsts env)"        put the credentials in the shell
  credential_process           let the AWS CLI, SDKs and Terraform fetch them themselves

stdout carries data only; messages go to stderr. Exit codes: 0 ok, 1 failure,
2 usage, 3 configuration, 4 refused by the device, 5 device unreachable or
nonsensical, 130 interrupted.`,
		Example: `  snowsts configure --device 192.0.2.10 --import-credentials creds.ini
  snowsts assume --role-arn arn:aws:iam::123456789012:role/admin
  eval "$(snowsts env)"
  snowsts demo`,
		Version:           f.version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.debug {
				f.logger = slog.New(slog.NewTextHandler(f.io.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			return f.checkGlobalFlags()
		},
	}
	root.SetVersionTemplate("snowsts {{.Version}}\n")
	f.addGlobalFlags(root.PersistentFlags())
	_ = root.RegisterFlagCompletionFunc("profile", f.completeProfiles)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.New(exitcode.Usage, err, fmt.Sprintf("see '%s --help'", c.CommandPath()))
	})
	root.SetIn(f.io.In)
	root.SetOut(f.io.Out)
	root.SetErr(f.io.ErrOut)
	root.CompletionOptions.HiddenDefaultCmd = true

	return root
}

// addGlobalFlags defines the global flags in fl: the root's persistent flags,
// or the flag set of the warm credential-process path (warm.go).
func (f *factory) addGlobalFlags(fl *pflag.FlagSet) {
	defProfile := f.getenv("SNOWSTS_PROFILE")
	if defProfile == "" {
		defProfile = "snow"
	}
	fl.StringVar(&f.profile, "profile", defProfile, "device profile holding the device's long-term keys ($SNOWSTS_PROFILE)")
	fl.BoolVar(&f.debug, "debug", false, "debug log on stderr (secrets are masked)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "bound for a command's network work")
}

// checkGlobalFlags validates the global flags (exit 2).
func (f *factory) checkGlobalFlags() error {
	if f.timeout <= 0 {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--timeout must be positive, got %s", f.timeout), "")
	}
	if err := validateProfileName(f.profile); err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--profile: %w", err), "")
	}
	return nil
}

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of snowsts",
		Long: `Print the version of snowsts, with the commit and build date of a release
build (stamped by -ldflags; a development build prints "dev").`,
		Args:    noArgs,
		Example: "  snowsts version",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(f.io.Out, "snowsts %s\n", versionLine(f.version, commit, date))
			return err
		},
	}
}

func newCompletionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script",
		Long: `Print the completion script for a shell on stdout.

  bash:        source <(snowsts completion bash)
  zsh:         snowsts completion zsh > "${fpath[1]}/_snowsts"
  fish:        snowsts completion fish > ~/.config/fish/completions/snowsts.fish
  powershell:  snowsts completion powershell | Out-String | Invoke-Expression`,
		Example:   "  snowsts completion bash > /etc/bash_completion.d/snowsts",
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.ExactArgs(1)(cmd, args); err != nil {
				return exitcode.New(exitcode.Usage, err, "")
			}
			return exitcode.New(exitcode.Usage, cobra.OnlyValidArgs(cmd, args), "")
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(f.io.Out, true)
			case "zsh":
				return root.GenZshCompletion(f.io.Out)
			case "fish":
				return root.GenFishCompletion(f.io.Out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(f.io.Out)
			}
		},
	}
}

// noArgs is cobra.NoArgs with the usage exit code.
func noArgs(cmd *cobra.Command, args []string) error {
	return exitcode.New(exitcode.Usage, cobra.NoArgs(cmd, args), "")
}

// validateProfileName accepts the names the AWS files can hold as a section.
func validateProfileName(name string) error {
	if name == "" {
		return errors.New("profile name is empty")
	}
	if len(name) > 128 {
		return errors.New("profile name is longer than 128 characters")
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("[]#;=\"'\\", r) {
			return fmt.Errorf("profile name %q has a character the AWS files cannot hold", name)
		}
	}
	return nil
}

// run executes the command line and returns the process exit code. It renders
// an error once, with at most one hint line.
func run(ctx context.Context, args []string, io *streams, getenv func(string) string) int {
	f := newFactory(io, getenv)
	root := newRootFor(f, args)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	if ce := (*childExit)(nil); errors.As(err, &ce) {
		return ce.code // exec: the command's own status, nothing to add
	}
	code := exitcode.Of(err)
	if ctx.Err() != nil && code != exitcode.Usage {
		code = exitcode.Interrupted
		err = errors.New("interrupted")
	}
	if code == exitcode.Failure && isCobraUsageError(err) {
		code = exitcode.Usage
	}
	printError(io.ErrOut, err)
	return code
}

// newFactory is the factory of one run of snowsts.
func newFactory(io *streams, getenv func(string) string) *factory {
	return &factory{io: io, getenv: getenv, now: time.Now, version: version}
}

// printError renders err once: one "snowsts:" line and at most one hint line.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "snowsts: %s\n", err)
	if hint := exitcode.HintOf(err); hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
}

// isCobraUsageError recognises the errors cobra makes itself for an unknown
// command or a bad argument count, which carry no exit code.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
