package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
)

type configureRoleOptions struct {
	f     *factory
	io    *streams
	name  string
	flags roleFlags
	force bool
	// executable is the absolute path of snowsts to write; nil means f.executable.
	executable func() (string, error)
}

func newConfigureRoleCmd(f *factory, runF func(context.Context, *configureRoleOptions) error) *cobra.Command {
	o := &configureRoleOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "role NAME",
		Short: "Write a profile whose credentials come from snowsts credential-process",
		Long: `Write [profile NAME] in the config file so that every AWS tool gets fresh role
credentials by itself, through credential_process:

  [profile NAME]
  region = snow
  services = <the device profile's services section>
  ca_bundle = <the device profile's ca_bundle, when it has one>
  credential_process = "/abs/path/snowsts" credential-process --profile P --role-arn ARN --role-session-name S --duration-seconds D
  x_snowsts_managed = true
  x_snowsts_kind = process

P is the device profile (--profile). The path of snowsts is quoted so that
paths with spaces work for the AWS CLI, boto3, the Go SDK and Terraform. No
call is made to the device: the role is assumed when a tool first needs it,
and the credentials are cached and shared with env and exec.

A same-named section that snowsts did not write is refused unless --force, and
so is a [NAME] section in the credentials file, whose static keys would win
over credential_process (a managed one left by "snowsts assume" is removed).
NAME may not be the device profile. Keys you add to the section are kept.`,
		Example: `  snowsts configure role ops --role-arn arn:aws:iam::123456789012:role/admin
  aws --profile ops s3 ls

  snowsts --profile dev1 configure role dev1-reader \
      --role-arn arn:aws:iam::123456789012:role/reader --duration-seconds 14400`,
		Args: func(cmd *cobra.Command, args []string) error {
			return exitcode.New(exitcode.Usage, cobra.ExactArgs(1)(cmd, args), "")
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runConfigureRole(cmd.Context(), o)
		},
	}
	o.flags.add(cmd)
	cmd.Flags().BoolVar(&o.force, "force", false, "take over a same-named profile that snowsts did not write")
	return cmd
}

func runConfigureRole(ctx context.Context, o *configureRoleOptions) error {
	f := o.f
	if err := validateProfileName(o.name); err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("profile name: %w", err), "")
	}
	if o.name == f.profile {
		return exitcode.New(exitcode.Usage, fmt.Errorf("%q is the device profile; the role profile needs another name", o.name), "")
	}
	if o.flags.roleARN == "" {
		return exitcode.New(exitcode.Usage, errors.New("--role-arn is required"), "`snowsts roles` lists the device's roles")
	}
	role, err := o.flags.role(f)
	if err != nil {
		return err
	}
	exe := o.executable
	if exe == nil {
		exe = f.executable
	}
	path, err := exe()
	if err != nil {
		return fmt.Errorf("find the snowsts executable: %w", err)
	}
	command, err := profile.QuoteCommand([]string{path, "credential-process",
		"--profile", f.profile, "--role-arn", role.RoleARN, "--role-session-name", role.SessionName,
		"--duration-seconds", strconv.Itoa(role.DurationSeconds)}, runtime.GOOS)
	if err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("write credential_process: %w", err),
			"install snowsts in a path without quotes, '%', ' #' or ' ;'")
	}

	paths := f.paths()
	cfg, creds, err := profile.Load(paths)
	if err != nil {
		return err
	}
	if err := profile.CheckProcessWritable(paths, cfg, creds, o.name, o.force); err != nil {
		return err
	}
	b, err := f.broker()
	if err != nil {
		return err
	}
	dev, err := b.DeviceFrom(cfg, creds, f.profile)
	if err != nil {
		return err
	}
	warnings, err := profile.WriteProcess(ctx, paths, profile.Process{
		Name: o.name, ServicesName: dev.ServicesName, CABundle: dev.CABundle, Command: command, Role: role,
	}, o.force)
	for _, w := range warnings {
		fmt.Fprintf(o.io.ErrOut, "warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.io.ErrOut, "Wrote profile %q: %s as %s through device profile %q, %ds sessions\nUse: aws --profile %s iam list-roles\n",
		o.name, role.RoleARN, role.SessionName, f.profile, role.DurationSeconds, o.name)
	return nil
}
