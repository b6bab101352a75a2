package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/shellenv"
)

// sourceFlags choose where env and exec take credentials from: the assume
// flags, a managed profile (--target-profile), or the current session.
type sourceFlags struct {
	role         roleFlags
	target       string
	minRemaining time.Duration
	roleGiven    bool
}

func (s *sourceFlags) add(cmd *cobra.Command, withTarget bool) {
	s.role.add(cmd)
	if withTarget {
		cmd.Flags().StringVar(&s.target, "target-profile", "", "use the managed assumed-role profile `NAME` (re-assumed when it has expired)")
	}
	cmd.Flags().DurationVar(&s.minRemaining, "min-remaining", 15*time.Minute, "reuse cached credentials only with more than this left")
}

// capture records which flags were given; call it in RunE.
func (s *sourceFlags) capture(cmd *cobra.Command) { s.roleGiven = s.role.given(cmd) }

// resolve gets the session the flags ask for.
func (s *sourceFlags) resolve(ctx context.Context, f *factory) (*broker.Session, error) {
	if s.minRemaining < 0 {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("--min-remaining must not be negative"), "")
	}
	if s.roleGiven && s.target != "" {
		return nil, exitcode.New(exitcode.Usage, fmt.Errorf("--target-profile and the assume flags (--role-arn ...) exclude each other"), "")
	}
	if s.target != "" {
		if err := validateProfileName(s.target); err != nil {
			return nil, exitcode.New(exitcode.Usage, fmt.Errorf("--target-profile: %w", err), "")
		}
	}
	var role profile.Role
	if s.roleGiven {
		if s.role.roleARN == "" {
			return nil, exitcode.New(exitcode.Usage, fmt.Errorf("--role-arn is required with --role-session-name or --duration-seconds"), "")
		}
		r, err := s.role.role(f)
		if err != nil {
			return nil, err
		}
		if time.Duration(r.DurationSeconds)*time.Second <= s.minRemaining {
			return nil, exitcode.New(exitcode.Usage,
				fmt.Errorf("--duration-seconds %d is not longer than --min-remaining %s: every call would assume the role again", r.DurationSeconds, s.minRemaining), "")
		}
		role = r
	}
	b, err := f.broker()
	if err != nil {
		return nil, err
	}
	// --timeout bounds the network work: a device that accepts the connection and
	// never answers would otherwise hang env and exec forever.
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	switch {
	case s.roleGiven:
		dev, err := b.LoadDevice(ctx, f.profile)
		if err != nil {
			return nil, err
		}
		return b.Get(ctx, dev, broker.Request{Role: role, MinRemaining: s.minRemaining})
	case s.target != "":
		return b.FromProfile(ctx, s.target, s.minRemaining)
	default:
		return b.FromCurrent(ctx, s.minRemaining)
	}
}

// sessionVars are the environment variables of the contract for s.
func sessionVars(s *broker.Session) []shellenv.Var {
	c := s.Credentials
	vars := []shellenv.Var{
		{Name: shellenv.AccessKeyID, Value: c.AccessKeyID},
		{Name: shellenv.SecretAccessKey, Value: c.SecretAccessKey},
		{Name: shellenv.SessionToken, Value: c.SessionToken},
		{Name: shellenv.Region, Value: "snow"},
		{Name: shellenv.DefaultRegion, Value: "snow"},
		{Name: shellenv.CredentialExpiration, Value: profile.FormatTime(c.Expiration)},
	}
	for _, e := range []struct{ svc, name string }{
		{"sts", shellenv.EndpointURLSTS}, {"iam", shellenv.EndpointURLIAM},
		{"s3", shellenv.EndpointURLS3}, {"ec2", shellenv.EndpointURLEC2},
	} {
		if u := s.Device.Endpoints[e.svc]; u != "" {
			vars = append(vars, shellenv.Var{Name: e.name, Value: u})
		}
	}
	if s.Device.CABundle != "" {
		vars = append(vars, shellenv.Var{Name: shellenv.CABundle, Value: s.Device.CABundle})
	}
	return vars
}
