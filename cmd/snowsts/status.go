package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
	"github.com/snowsts/snowsts/pkg/profile"
)

type statusOptions struct {
	f      *factory
	io     *streams
	output string
}

func newStatusCmd(f *factory, runF func(context.Context, *statusOptions) error) *cobra.Command {
	o := &statusOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List cached sessions and managed assumed-role profiles",
		Long: `List the sessions snowsts knows about: the assumed-role profiles it wrote in
the AWS files (SOURCE profile) and the entries of its session cache (SOURCE
cache), with the role, the device's STS endpoint, the expiry (UTC) and the time
left. The current session (the last "snowsts assume", used by env and exec
without flags) is marked with * (JSON: "Current": true).

For a profile, PROFILE is the assumed-role profile (aws --profile PROFILE);
for a cache entry it is the device profile the session was assumed through.

The report goes to stdout; it never shows a key, secret or token. With no
sessions the table is empty and "no sessions" goes to stderr; --output json
prints an array of objects with Profile, DeviceProfile, RoleArn, SessionName,
Endpoint, Expiration ("" when a profile holds no credentials), Remaining
(seconds, 0 once expired), Expired, Source and Current.`,
		Example: `  snowsts status
  snowsts status --output json | jq -r '.[] | select(.Current) | .Profile'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runStatus(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "table", "table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// statusJSON is one element of `status --output json`.
type statusJSON struct {
	Profile         string
	DeviceProfile   string
	RoleArn         string
	SessionName     string
	DurationSeconds int `json:",omitempty"`
	Endpoint        string
	Expiration      string
	Remaining       int64
	Expired         bool
	Source          string
	Current         bool
}

func runStatus(ctx context.Context, o *statusOptions) error {
	if o.output != "table" && o.output != "json" {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--output must be table or json, got %q", o.output), "")
	}
	b, err := o.f.broker()
	if err != nil {
		return err
	}
	list, err := b.Sessions()
	if err != nil {
		return err
	}
	now := o.f.now()
	if o.output == "json" {
		out := make([]statusJSON, 0, len(list))
		for _, s := range list {
			out = append(out, toStatusJSON(s, now))
		}
		return writeJSON(o.io, out)
	}
	if len(list) == 0 {
		fmt.Fprintln(o.io.ErrOut, "no sessions")
		return nil
	}
	return writeStatusTable(o.io, list, now)
}

func toStatusJSON(s broker.SessionInfo, now time.Time) statusJSON {
	j := statusJSON{
		Profile: s.Profile, DeviceProfile: s.DeviceProfile, RoleArn: s.RoleARN, SessionName: s.SessionName,
		DurationSeconds: s.DurationSeconds, Endpoint: s.Endpoint, Source: s.Source, Current: s.Current,
	}
	if !s.Expiration.IsZero() {
		j.Expiration = profile.FormatTime(s.Expiration)
	}
	if left := s.Remaining(now); left > 0 {
		j.Remaining = int64(left / time.Second)
	} else {
		j.Expired = true
	}
	return j
}

// writeStatusTable prints list as aligned columns on stdout.
func writeStatusTable(s *streams, list []broker.SessionInfo, now time.Time) error {
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tPROFILE\tSOURCE\tROLE\tSESSION\tENDPOINT\tEXPIRES\tLEFT")
	for _, e := range list {
		mark, exp, left := " ", "-", "no credentials"
		if e.Current {
			mark = "*"
		}
		if !e.Expiration.IsZero() {
			exp, left = profile.FormatTime(e.Expiration), humanDuration(e.Remaining(now))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, cell(e.Profile), e.Source, cell(e.RoleARN),
			cell(e.SessionName), cell(e.Endpoint), exp, left)
	}
	return tw.Flush()
}
