package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/doctor"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/session"
)

type doctorOptions struct {
	f     *factory
	io    *streams
	flags roleFlags
}

func newDoctorCmd(f *factory, runF func(context.Context, *doctorOptions) error) *cobra.Command {
	o := &doctorOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the device profile, ports, certificate and clock, and say how to fix what fails",
		Long: `Check everything snowsts needs to reach the device, one line per check on
stdout, marked "ok  ", "warn", "FAIL" or "skip", each failure or warning
followed by a "fix:" line:

  profile       the device profile is complete: region snow, services, keys,
                an endpoint per service
  permissions   the credentials file and the session cache are private
  ca_bundle     the certificate file reads and is in date
  port SVC      each service endpoint accepts a TCP connection (all at once,
                2 s each; S3 and EC2 only warn: snowsts does not need them)
  http/tls SVC  the port speaks what the URL says: plain HTTP for http://,
                HTTPS for https://, with the certificate verified against
                ca_bundle (an unknown authority or a name mismatch is named)
  clock         the device's clock, from its Date header: warn above 1 minute,
                fail above 5
  keys          the device accepts the profile's keys (IAM ListRoles)
  assume-role   with --role-arn, a real AssumeRole (nothing is stored)

doctor contacts only the profile's endpoints and ends within about 10 seconds
even when every port drops packets. Exit 0 when nothing fails (warnings pass),
else the code of the first failure: 3 configuration, 4 refused by the device,
5 unreachable.`,
		Example: `  snowsts doctor
  snowsts --profile snow2 doctor --role-arn arn:aws:iam::123456789012:role/admin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runDoctor(cmd.Context(), o)
		},
	}
	o.flags.add(cmd)
	// A diagnostic assume asks for the shortest session the device allows.
	_ = cmd.Flags().Set("duration-seconds", fmt.Sprint(device.MinDurationSeconds))
	cmd.Flags().Lookup("duration-seconds").DefValue = fmt.Sprint(device.MinDurationSeconds)
	return cmd
}

func runDoctor(ctx context.Context, o *doctorOptions) error {
	f := o.f
	opts := doctor.Options{
		Files:   f.deviceFiles(),
		Profile: f.profile,
		Now:     f.now,
		Warn:    func(m string) { fmt.Fprintf(o.io.ErrOut, "warning: %s\n", m) },
	}
	if o.flags.roleARN != "" {
		role, err := o.flags.role(f)
		if err != nil {
			return err
		}
		opts.RoleARN, opts.SessionName, opts.DurationSeconds = role.RoleARN, role.SessionName, role.DurationSeconds
	}
	if dir, err := session.DefaultDir(f.getenv); err == nil {
		opts.CacheDir = dir
	}
	if f.timeout < 10*time.Second {
		opts.PortTimeout = min(2*time.Second, f.timeout/4)
		opts.CallTimeout = f.timeout / 2
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	start := time.Now()
	results := doctor.Run(ctx, opts)
	failed, warned := 0, 0
	for _, r := range results {
		fmt.Fprintf(o.io.Out, "%s  %-12s %s\n", r.Status.Mark(), r.Check, r.Detail)
		if r.Fix != "" && (r.Status == doctor.Fail || r.Status == doctor.Warn) {
			fmt.Fprintf(o.io.Out, "      %-12s fix: %s\n", "", r.Fix)
		}
		switch r.Status {
		case doctor.Fail:
			failed++
		case doctor.Warn:
			warned++
		}
	}
	f.log().Debug("doctor done", "elapsed", time.Since(start).Round(time.Millisecond))
	if code := doctor.ExitCode(results); code != exitcode.OK {
		return exitcode.New(code, fmt.Errorf("doctor: %d of %d checks failed", failed, len(results)), "")
	}
	if warned > 0 {
		fmt.Fprintf(o.io.ErrOut, "doctor: all checks passed, %d with a warning\n", warned)
	} else {
		fmt.Fprintln(o.io.ErrOut, "doctor: all checks passed")
	}
	return nil
}
