package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
	"github.com/snowsts/snowsts/pkg/session"
)

type assumeOptions struct {
	f      *factory
	io     *streams
	flags  roleFlags
	target string
	force  bool
	output string
}

func newAssumeCmd(f *factory, runF func(context.Context, *assumeOptions) error) *cobra.Command {
	o := &assumeOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "assume",
		Short: "Assume a role on the device and write its credentials to a profile",
		Long: `Call AssumeRole on the device profile's STS and write the temporary credentials
to the credentials file as [T] (aws_access_key_id, aws_secret_access_key,
aws_session_token, x_security_token_expires) and [profile T] in the config file
(region snow, the device's services, ca_bundle), so "aws --profile T ..." works.

T is --target-profile, default <device profile>-<role name>. Both sections are
marked as snowsts's (key x_snowsts_managed = true); a same-named section snowsts
did not write is refused unless --force. T becomes the current session that
"snowsts env" and "snowsts exec" use. On a terminal without --role-arn, snowsts
lists the device's roles to pick from.

stdout: nothing (a summary goes to stderr), or with --output json an object with
Profile, RoleArn, AssumedRoleUser {Arn, AssumedRoleId}, AccessKeyId, Expiration.`,
		Example: `  snowsts assume --role-arn arn:aws:iam::123456789012:role/admin
  aws --profile snow-admin s3 ls

  snowsts assume --role-arn arn:aws:iam::123456789012:role/admin \
      --duration-seconds 900 --target-profile ops --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runAssume(cmd.Context(), o)
		},
	}
	o.flags.add(cmd)
	cmd.Flags().StringVar(&o.target, "target-profile", "", "profile `NAME` to write (default <profile>-<role name>)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite a same-named profile that snowsts did not write")
	cmd.Flags().StringVar(&o.output, "output", "text", "text (summary on stderr) or json (object on stdout)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runAssume(ctx context.Context, o *assumeOptions) error {
	f := o.f
	if o.output != "text" && o.output != "json" {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--output must be text or json, got %q", o.output), "")
	}
	if o.flags.roleARN == "" {
		if !o.io.canPrompt() {
			return exitcode.New(exitcode.Usage, errors.New("--role-arn is required"), "`snowsts roles` lists the device's roles")
		}
		arn, err := pickRole(ctx, f)
		if err != nil {
			return err
		}
		o.flags.roleARN = arn
	}
	role, err := o.flags.role(f)
	if err != nil {
		return err
	}
	target := o.target
	if target == "" {
		target = f.profile + "-" + device.RoleName(role.RoleARN)
	}
	if err := validateProfileName(target); err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--target-profile: %w", err), "")
	}

	paths := f.paths()
	cfg, creds, err := profile.Load(paths)
	if err != nil {
		return err
	}
	if err := profile.CheckAssumedWritable(paths, cfg, creds, target, o.force); err != nil {
		return err
	}
	b, err := f.broker()
	if err != nil {
		return err
	}
	// --timeout bounds the network work (not the role prompt above): without it a
	// device that accepts the connection and never answers hangs assume forever.
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	dev, err := b.DeviceFrom(cfg, creds, f.profile)
	if err != nil {
		return err
	}
	s, err := b.Assume(ctx, dev, role)
	if err != nil {
		return err
	}
	warnings, err := profile.WriteAssumed(ctx, paths, profile.Assumed{
		Target: target, Role: role, ServicesName: dev.ServicesName, CABundle: dev.CABundle, Credentials: s.Credentials,
	}, o.force)
	for _, w := range warnings {
		fmt.Fprintf(o.io.ErrOut, "warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	if err := b.Cache.SetCurrent(session.Current{
		TargetProfile: target, DeviceProfile: f.profile, RoleARN: role.RoleARN,
		SessionName: role.SessionName, DurationSeconds: int32(role.DurationSeconds),
	}); err != nil {
		fmt.Fprintf(o.io.ErrOut, "warning: %v\n", err)
	}
	if o.output == "json" {
		return writeJSON(o.io, assumeJSON{
			Profile: target, RoleArn: role.RoleARN,
			AssumedRoleUser: assumedRoleUser{Arn: s.AssumedRoleARN, AssumedRoleId: s.AssumedRoleID},
			AccessKeyId:     s.Credentials.AccessKeyID, Expiration: profile.FormatTime(s.Credentials.Expiration),
		})
	}
	fmt.Fprintf(o.io.ErrOut, "Assumed %s as %s\nProfile %q expires %s (in %s)\nUse: aws --profile %s ...   or   eval \"$(snowsts env)\"\n",
		role.RoleARN, s.AssumedRoleARN, target, profile.FormatTime(s.Credentials.Expiration),
		humanDuration(s.Credentials.Expiration.Sub(f.now())), target)
	return nil
}

type assumedRoleUser struct {
	Arn           string
	AssumedRoleId string //nolint:revive // the contract's field name
}

type assumeJSON struct {
	Profile         string
	RoleArn         string
	AssumedRoleUser assumedRoleUser
	AccessKeyId     string
	Expiration      string
}

func writeJSON(s *streams, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = s.Out.Write(append(b, '\n'))
	return err
}

// humanDuration renders d as "59m58s" rounded to seconds, or "expired".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	return d.Round(time.Second).String()
}

// broker builds the credential broker for this invocation.
func (f *factory) broker() (*broker.Broker, error) {
	c, err := f.cache()
	if err != nil {
		return nil, err
	}
	warn := func(msg string) { fmt.Fprintf(f.io.ErrOut, "warning: %s\n", msg) }
	return &broker.Broker{Paths: f.paths(), Cache: c, Logger: f.logger, Now: f.now, Warn: warn}, nil
}

// pickRole lists the device's roles on stderr and reads a choice.
func pickRole(ctx context.Context, f *factory) (string, error) {
	c, err := f.client(ctx)
	if err != nil {
		return "", err
	}
	roles, err := c.ListRoles(ctx)
	if err != nil {
		return "", err
	}
	if len(roles) == 0 {
		return "", exitcode.New(exitcode.Usage, errors.New("the device has no roles and --role-arn is missing"), "create a role on the device first (aws iam create-role)")
	}
	fmt.Fprintln(f.io.ErrOut, "Roles on the device:")
	for i, r := range roles {
		fmt.Fprintf(f.io.ErrOut, "  %d) %s\n", i+1, r.Arn)
	}
	for {
		a, err := ask(f.io, fmt.Sprintf("Role [1-%d]", len(roles)), "", false)
		if err != nil {
			return "", err
		}
		n, err := strconv.Atoi(strings.TrimSpace(a))
		if err == nil && n >= 1 && n <= len(roles) {
			return roles[n-1].Arn, nil
		}
		for _, r := range roles {
			if a == r.Arn || a == r.RoleName {
				return r.Arn, nil
			}
		}
		fmt.Fprintf(f.io.ErrOut, "pick a number from 1 to %d\n", len(roles))
	}
}
