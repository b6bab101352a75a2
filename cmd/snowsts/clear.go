package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/broker"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

type clearOptions struct {
	f      *factory
	io     *streams
	target string
	all    bool
}

func newClearCmd(f *factory, runF func(context.Context, *clearOptions) error) *cobra.Command {
	o := &clearOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "clear",
		Short: "Remove cached sessions and assumed-role profiles",
		Long: `Remove temporary credentials snowsts stored: assumed-role profiles (both the
[T] section of the credentials file and [profile T] of the config file), the
session cache entries, and the record of the current session.

  (no flag)            the current session: its profile, its cache entries and
                       the current record
  --target-profile T   the managed profile T (assumed-role or credential_process)
                       and the cache entries of the role it records
  --all                every cache entry, every assumed-role and
                       credential_process profile snowsts wrote, the current record

clear never removes a device profile (the long-term keys) or a section snowsts
did not write: naming one is refused with exit code 3. Everything else in the
AWS files stays as it was, byte for byte. What was removed is reported on
stderr; nothing is printed on stdout.`,
		Example: `  snowsts clear
  snowsts clear --target-profile snow-admin
  snowsts clear --all`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runClear(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.target, "target-profile", "", "remove the managed profile `NAME` and its cached sessions")
	cmd.Flags().BoolVar(&o.all, "all", false, "remove every cached session and every assumed-role and credential_process profile")
	return cmd
}

func runClear(ctx context.Context, o *clearOptions) error {
	if o.all && o.target != "" {
		return exitcode.New(exitcode.Usage, errors.New("--all and --target-profile exclude each other"), "")
	}
	if o.target != "" {
		if err := validateProfileName(o.target); err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--target-profile: %w", err), "")
		}
	}
	b, err := o.f.broker()
	if err != nil {
		return err
	}
	var c broker.Cleared
	switch {
	case o.all:
		c, err = b.ClearAll(ctx)
	case o.target != "":
		c, err = b.ClearProfile(ctx, o.target)
	default:
		c, err = b.ClearCurrent(ctx)
	}
	reportCleared(o.io, c, err == nil)
	return err
}

// reportCleared tells on stderr what was removed and what was kept; ok says
// whether the whole clear succeeded (else the error follows the report).
func reportCleared(s *streams, c broker.Cleared, ok bool) {
	w := s.ErrOut
	for _, p := range c.Profiles {
		fmt.Fprintf(w, "removed profile %s\n", p)
	}
	for _, p := range c.Kept {
		fmt.Fprintf(w, "kept profile %s: snowsts did not write it as an assumed-role profile\n", p)
	}
	if c.Sessions > 0 {
		fmt.Fprintf(w, "removed %d cached session%s\n", c.Sessions, plural(c.Sessions))
	}
	if c.Current {
		fmt.Fprintln(w, "cleared the current session")
	}
	if ok && len(c.Profiles) == 0 && c.Sessions == 0 && !c.Current && len(c.Kept) == 0 {
		fmt.Fprintln(w, "nothing to clear")
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
