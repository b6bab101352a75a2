package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/shellenv"
)

type envOptions struct {
	f      *factory
	io     *streams
	source sourceFlags
	shell  string
	unset  bool
}

func newEnvCmd(f *factory, runF func(context.Context, *envOptions) error) *cobra.Command {
	o := &envOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print shell code that exports the session's credentials",
		Long: `Print shell code for eval "$(snowsts env)" that sets AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and AWS_DEFAULT_REGION
(snow), AWS_CREDENTIAL_EXPIRATION, AWS_ENDPOINT_URL_STS/IAM/S3/EC2 (the device's
endpoints) and AWS_CA_BUNDLE (when the profile has ca_bundle), so that plain
"aws s3 ls" reaches the device.

Credentials come from, in this order of choice:
  --role-arn ...        a cached session with more than --min-remaining left,
                        else a new AssumeRole (shared with credential-process)
  --target-profile T    the managed profile T in the credentials file,
                        assumed again from its recorded role when it expires
  neither               the current session (the last "snowsts assume")

env never writes the AWS files. Values are quoted so that no value can run code
in any supported shell; on error nothing is printed on stdout.`,
		Example: `  eval "$(snowsts env)"
  eval "$(snowsts env --role-arn arn:aws:iam::123456789012:role/admin)"
  snowsts env --shell fish | source
  snowsts env --shell powershell | Invoke-Expression
  eval "$(snowsts env --unset)"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.source.capture(cmd)
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runEnv(cmd.Context(), o)
		},
	}
	o.source.add(cmd, true)
	cmd.Flags().StringVar(&o.shell, "shell", "", "sh, bash, zsh, fish, powershell or cmd (default: from $SHELL, else sh)")
	cmd.Flags().BoolVar(&o.unset, "unset", false, "print code that clears the variables instead")
	_ = cmd.RegisterFlagCompletionFunc("shell", cobra.FixedCompletions([]string{"sh", "bash", "zsh", "fish", "powershell", "cmd"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runEnv(ctx context.Context, o *envOptions) error {
	sh := shellenv.Detect(o.f.getenv)
	if o.shell != "" {
		var err error
		if sh, err = shellenv.ParseShell(o.shell); err != nil {
			return err
		}
	}
	if o.unset {
		script, err := shellenv.Unset(sh, shellenv.Names())
		if err != nil {
			return err
		}
		_, err = io.WriteString(o.io.Out, script)
		return err
	}
	s, err := o.source.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	script, err := shellenv.Export(sh, sessionVars(s))
	if err != nil {
		return deviceValueError(sh, s, err)
	}
	if _, err := io.WriteString(o.io.Out, script); err != nil {
		return err
	}
	fmt.Fprintf(o.io.ErrOut, "# %s as %s, expires %s (in %s), from %s\n", s.Role.RoleARN, s.Role.SessionName,
		s.Credentials.Expiration.UTC().Format("2006-01-02T15:04:05Z"), humanDuration(s.Credentials.Expiration.Sub(o.f.now())), s.Source)
	return nil
}

// deviceValueError reclassifies a value the shell cannot carry: when it is one
// of the credentials the device sent, the device's reply is at fault (exit 5,
// as for credentials with control characters); otherwise the value came from
// the AWS files (exit 3).
func deviceValueError(sh shellenv.Shell, s *broker.Session, err error) error {
	if !errors.Is(err, shellenv.ErrUnsafeValue) {
		return err
	}
	c := s.Credentials
	for _, v := range []string{c.AccessKeyID, c.SecretAccessKey, c.SessionToken} {
		if _, qerr := shellenv.Quote(sh, v); qerr != nil {
			return exitcode.New(exitcode.Unreachable,
				fmt.Errorf("the device's credentials hold characters that %s cannot carry safely; refusing to print them", sh),
				"use --shell powershell (or bash, zsh, fish), or snowsts exec / credential_process, which need no quoting")
		}
	}
	return err
}
