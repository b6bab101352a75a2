package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/snowsts/snowsts/pkg/device"
	"github.com/snowsts/snowsts/pkg/exitcode"
)

type rolesOptions struct {
	f      *factory
	io     *streams
	output string
}

func newRolesCmd(f *factory, runF func(context.Context, *rolesOptions) error) *cobra.Command {
	o := &rolesOptions{f: f, io: f.io}
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List the device's IAM roles",
		Long: `List the roles of the device's local IAM (ListRoles on the profile's IAM
endpoint, signed with the device profile's keys).

stdout: a table (ROLE, MAX SESSION, CREATED, ARN), or with --output json an
array of objects with RoleName, Arn, MaxSessionDuration (seconds) and
CreateDate (UTC, 2026-12-04T16:05:00Z). Pass an Arn to "snowsts assume
--role-arn".`,
		Example: `  snowsts roles
  snowsts roles --output json | jq -r '.[].Arn'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runRoles(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "table", "table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// roleJSON is one role in `roles --output json`.
type roleJSON struct {
	RoleName           string
	Arn                string
	MaxSessionDuration int32
	CreateDate         string
}

func runRoles(ctx context.Context, o *rolesOptions) error {
	if o.output != "table" && o.output != "json" {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--output must be table or json, got %q", o.output), "")
	}
	f := o.f
	p, err := f.loadDevice(ctx)
	if err != nil {
		return err
	}
	c, err := device.NewClient(p, device.Options{Logger: f.log(),
		Warn: func(m string) { fmt.Fprintf(o.io.ErrOut, "warning: %s\n", m) }})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	roles, err := c.ListRoles(ctx)
	if err != nil {
		return err
	}
	if o.output == "json" {
		out := make([]roleJSON, 0, len(roles))
		for _, r := range roles {
			out = append(out, roleJSON{RoleName: r.RoleName, Arn: r.Arn, MaxSessionDuration: r.MaxSessionDuration, CreateDate: utcZ(r.CreateDate)})
		}
		return writeJSON(o.io, out)
	}
	if len(roles) == 0 {
		fmt.Fprintln(o.io.ErrOut, "the device has no roles (create one with `aws iam create-role --profile "+f.profile+"`)")
		return nil
	}
	tw := tabwriter.NewWriter(o.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tMAX SESSION\tCREATED\tARN")
	for _, r := range roles {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", printable(r.RoleName), time.Duration(r.MaxSessionDuration)*time.Second, utcZ(r.CreateDate), printable(r.Arn))
	}
	return tw.Flush()
}

// utcZ is the contract's time form, or "" for a zero time.
func utcZ(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// printable keeps device-supplied text from driving the terminal: control
// characters (escape sequences, tabs, newlines) become '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
