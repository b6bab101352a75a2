package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

type credentialProcessOptions struct {
	f            *factory
	io           *streams
	flags        roleFlags
	minRemaining time.Duration
}

func newCredentialProcessCmd(f *factory, runF func(context.Context, *credentialProcessOptions) error) *cobra.Command {
	o := &credentialProcessOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "credential-process",
		Short: "Print credentials for credential_process in an AWS profile",
		Long: `Print the credentials of a role session as the one JSON object that the AWS
CLI, the SDKs and Terraform read from a credential_process helper:

  {"Version":1,"AccessKeyId":"…","SecretAccessKey":"…","SessionToken":"…","Expiration":"2026-12-04T16:05:00Z"}

Credentials come from the session cache (shared with env and exec) while they
have more than --min-remaining left; the cache is read without loading any SDK
configuration, so the warm path is cheap. Otherwise the role is assumed on the
device profile's STS, and however many invocations ask for the same session at
once, only one of them calls AssumeRole; the others wait and share its result.

It never prompts and never reads stdin. On error, stdout stays empty and one
line goes to stderr; the exit code says what failed (2 usage, 3 configuration,
4 refused by the device, 5 device unreachable). "snowsts configure role NAME"
writes a profile that runs this command.`,
		Example: `  # in ~/.aws/config (see "snowsts configure role")
  [profile ops]
  region = snow
  services = snow
  credential_process = "/usr/local/bin/snowsts" credential-process --profile snow --role-arn arn:aws:iam::123456789012:role/admin

  snowsts credential-process --role-arn arn:aws:iam::123456789012:role/admin --min-remaining 30m`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if runF != nil {
				err = runF(cmd.Context(), o)
			} else {
				err = runCredentialProcess(cmd.Context(), o)
			}
			return oneLine(err)
		},
	}
	o.addFlags(cmd.Flags())
	registerDurationCompletion(cmd)
	// The AWS CLI shows a helper's stderr as it is: keep usage errors to one line too.
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.New(exitcode.Usage, err, "")
	})
	return cmd
}

// addFlags defines credential-process's flags in fl: the command's flag set,
// or the one its warm path parses before cobra is set up (warm.go).
func (o *credentialProcessOptions) addFlags(fl *pflag.FlagSet) {
	o.flags.addTo(fl)
	fl.DurationVar(&o.minRemaining, "min-remaining", 15*time.Minute, "serve cached credentials only with more than this left")
}

// check validates the flags (exit 2) and returns the role to serve.
func (o *credentialProcessOptions) check() (profile.Role, error) {
	if o.flags.roleARN == "" {
		return profile.Role{}, exitcode.New(exitcode.Usage, errors.New("--role-arn is required"), "")
	}
	role, err := o.flags.role(o.f)
	if err != nil {
		return profile.Role{}, err
	}
	switch d := time.Duration(role.DurationSeconds) * time.Second; {
	case o.minRemaining < 0:
		return profile.Role{}, exitcode.New(exitcode.Usage, fmt.Errorf("--min-remaining must not be negative, got %s", o.minRemaining), "")
	case o.minRemaining >= d:
		return profile.Role{}, exitcode.New(exitcode.Usage,
			fmt.Errorf("--min-remaining %s is not shorter than --duration-seconds %d: no session would ever be fresh enough", o.minRemaining, role.DurationSeconds), "")
	}
	return role, nil
}

// fromCache checks the flags and looks the session up in the session cache:
// the whole of a warm run before its output. s is nil on a miss; b and role are
// what the caller goes on with then.
func (o *credentialProcessOptions) fromCache() (b *broker.Broker, role profile.Role, s *broker.Session, err error) {
	if role, err = o.check(); err != nil {
		return nil, role, nil, err
	}
	if b, err = o.f.broker(); err != nil {
		return nil, role, nil, err
	}
	s, _ = b.Warm(o.f.profile, role, o.minRemaining)
	return b, role, s, nil
}

func runCredentialProcess(ctx context.Context, o *credentialProcessOptions) error {
	f := o.f
	b, role, s, err := o.fromCache()
	if err != nil {
		return err
	}
	if s == nil {
		ctx, cancel := context.WithTimeout(ctx, f.timeout)
		defer cancel()
		dev, err := b.LoadDevice(ctx, f.profile)
		if err != nil {
			return err
		}
		if s, err = b.Get(ctx, dev, broker.Request{Role: role, MinRemaining: o.minRemaining}); err != nil {
			return err
		}
	}
	f.log().Debug("credential-process", "source", s.Source, "role", role.RoleARN, "expiration", s.Credentials.Expiration)
	return o.write(s)
}

// write prints s as the credential_process JSON object on stdout.
func (o *credentialProcessOptions) write(s *broker.Session) error {
	out, err := session.ProcessOutput(session.Credentials{
		AccessKeyID:     s.Credentials.AccessKeyID,
		SecretAccessKey: s.Credentials.SecretAccessKey,
		SessionToken:    s.Credentials.SessionToken,
		Expiration:      s.Credentials.Expiration,
	})
	if err != nil {
		return err
	}
	_, err = o.io.Out.Write(out)
	return err
}

// oneLine folds an error's hint into its message and keeps it on one line, so
// that whatever shows a credential_process helper's stderr shows all of it.
// The exit code is kept.
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if h := exitcode.HintOf(err); h != "" {
		msg += " (" + h + ")"
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return exitcode.New(exitcode.Of(err), errors.New(msg), "")
}
